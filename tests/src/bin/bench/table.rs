//! The one table a bench run prints, and the machine it ran on.

use crate::bytes::{Sizes, KINDS};
use crate::throughput::Figures;
use crate::{median, Run};

/// Cold-load transfer goal, bytes (kB = 1,000 bytes, as browsers' tools count them).
const TRANSFER_GOAL: f64 = 80_000.0;
const RENDER_GOAL: f64 = 1.5;
const RPS_GOAL: f64 = 0.9;
const P99_GOAL: f64 = 1.2;
const KIB_GOAL: f64 = 20.0;
const DELIVERY_P99_GOAL_MS: f64 = 100.0;

pub fn print(run: &Run) {
    println!("| what | ours | floor / peer | ratio | goal |");
    println!("| --- | --- | --- | --- | --- |");
    for (i, (_, kind)) in KINDS.iter().enumerate() {
        let (ours, floor) = (run.assets[0][i], run.assets[1][i]);
        let ratio = match (ours, floor) {
            (Some(o), Some(f)) => format!("br {}", times(o.brotli as f64 / f.brotli as f64)),
            _ => "—".into(),
        };
        row(
            &format!("bytes: {kind}, raw / gzip / br"),
            &sizes(ours),
            &sizes(floor),
            &ratio,
            "—",
        );
    }
    let transferred =
        |c: &[crate::page::Cold]| median(c.iter().map(|c| c.transferred as f64).collect());
    let (ours, floor) = (transferred(&run.cold[0]), transferred(&run.cold[1]));
    row(
        "bytes: cold load transferred (fresh Chromium, median; page + assets, no `/api/`)",
        &format!("{:.1} kB", ours / 1000.0),
        &format!("{:.1} kB (hello world)", floor / 1000.0),
        &times(ours / floor),
        &verdict("≤ 80 kB", ours <= TRANSFER_GOAL),
    );
    let renders = |c: &[crate::page::Cold]| -> Option<f64> {
        let marks: Option<Vec<f64>> = c.iter().map(|c| c.first_render_ms).collect();
        marks.map(median)
    };
    let n = run.cold[0].len();
    let what = format!("first render: navigation → first state (median of {n} cold loads)");
    match (renders(&run.cold[0]), renders(&run.cold[1])) {
        (Some(o), Some(f)) => row(
            &what,
            &format!("{o:.0} ms"),
            &format!("{f:.0} ms (hello world)"),
            &times(o / f),
            &verdict("≤ 1.5× hello world", o / f <= RENDER_GOAL),
        ),
        (o, f) => row(
            &what,
            &o.map_or("n/a (no `minivoice:first-render` mark)".into(), |o| {
                format!("{o:.0} ms")
            }),
            &f.map_or("n/a".into(), |f| format!("{f:.0} ms (hello world)")),
            "n/a",
            "≤ 1.5× hello world",
        ),
    }
    for (c, [proxy, passthrough, nginx]) in &run.throughput.rows {
        let what = |peer: &str| format!("`GET …/recordings`, proxy vs {peer}, {c} connection(s)");
        let rps = proxy.rps / passthrough.rps;
        let p99 = proxy.p99_ms / passthrough.p99_ms;
        row(
            &what("passthrough floor"),
            &wrk(proxy),
            &wrk(passthrough),
            &format!("req/s {}, p99 {}", times(rps), times(p99)),
            &verdict(
                "req/s ≥ 0.9×, p99 ≤ 1.2×",
                rps >= RPS_GOAL && p99 <= P99_GOAL,
            ),
        );
        row(
            &what("nginx `proxy_pass`"),
            &wrk(proxy),
            &wrk(nginx),
            &format!(
                "req/s {}, p99 {}",
                times(proxy.rps / nginx.rps),
                times(proxy.p99_ms / nginx.p99_ms)
            ),
            "shown beside",
        );
    }
    for f in &run.fanout {
        let n = thousands(f.subscribers as u64);
        let judged = f.subscribers >= 10_000;
        let goal = |text: &str, met: bool| {
            if judged {
                verdict(text, met)
            } else {
                "—".into()
            }
        };
        row(
            &format!("live events: proxy RSS per SSE subscriber, {n} on one call"),
            &format!("{:.1} KiB", f.kib_each),
            "—",
            "—",
            &goal("< 20 KiB", f.kib_each < KIB_GOAL),
        );
        row(
            &format!("live events: one event's delivery to {n} subscribers, p50 / p99"),
            &format!("{:.1} / {:.1} ms", f.p50_ms, f.p99_ms),
            &format!("{:.1} ms (median, to 1 subscriber)", f.single_ms),
            &format!("p50 {}", times(f.p50_ms / f.single_ms)),
            &goal("p99 < 100 ms", f.p99_ms < DELIVERY_P99_GOAL_MS),
        );
    }
    println!();
    println!("machine: {}", machine());
    println!("command: `cargo xtask bench`");
}

fn row(what: &str, ours: &str, peer: &str, ratio: &str, goal: &str) {
    println!("| {what} | {ours} | {peer} | {ratio} | {goal} |");
}

fn verdict(goal: &str, met: bool) -> String {
    format!("{goal} {}", if met { "✓" } else { "✗" })
}

fn times(r: f64) -> String {
    format!("{r:.2}×")
}

fn sizes(s: Option<Sizes>) -> String {
    s.map_or("—".into(), |s| {
        format!(
            "{} / {} / {} B",
            thousands(s.raw),
            thousands(s.gzip),
            thousands(s.brotli)
        )
    })
}

fn wrk(f: &Figures) -> String {
    format!(
        "{} req/s, p50 {:.2} ms, p99 {:.2} ms{}",
        thousands(f.rps.round() as u64),
        f.p50_ms,
        f.p99_ms,
        if f.errors { " (errors seen)" } else { "" }
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Cores, CPU model and kernel, from the kernel itself.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cores} cores (nproc), {model}, Linux {}", kernel.trim())
}
