//! The one table a bench run prints, and the machine it ran on.

use crate::bytes::{Sizes, KINDS};
use crate::throughput::Figures;
use crate::{median, Pages, Run};

/// Cold-load transfer goal, bytes (kB = 1,000 bytes, as browsers' tools count them): the
/// budget `tests/tests/e2e/budget.rs` holds.
const TRANSFER_GOAL: f64 = 115_000.0;
const RENDER_GOAL: f64 = 1.5;
const RPS_GOAL: f64 = 0.9;
const P99_GOAL: f64 = 1.2;
const KIB_GOAL: f64 = 20.0;
const DELIVERY_P99_GOAL_MS: f64 = 100.0;
/// A delayed ACK on Linux holds a segment back 40 ms: any answer that slow stalled.
const STALL_MS: f64 = 40.0;
const CENTRE_P99_GOAL_MS: f64 = 50.0;
const CENTRE_RATIO_GOAL: f64 = 3.0;

pub fn print(run: &Run) {
    println!("| what | ours | floor / peer | ratio | goal |");
    println!("| --- | --- | --- | --- | --- |");
    if let Some(pages) = &run.pages {
        bytes_rows(pages);
        first_render(pages);
        kept_alive(pages);
    }
    if let Some(t) = &run.throughput {
        throughput(t);
    }
    if let Some(i) = &run.instructions {
        row(
            "instructions per forwarded `GET …/recordings` (callgrind, user space)",
            &thousands(i.proxy.round() as u64),
            &format!(
                "{} (axum + reqwest passthrough)",
                thousands(i.floor.round() as u64)
            ),
            &times(i.proxy / i.floor),
            "shown beside (explains req/s)",
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
    if let Some(c) = &run.centre {
        centre(c);
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

fn bytes_rows(pages: &Pages) {
    for (i, (_, kind)) in KINDS.iter().enumerate() {
        let (ours, floor) = (pages.assets[0][i], pages.assets[1][i]);
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
    let all =
        |k: usize| -> Vec<&crate::page::Cold> { pages.cold.iter().flat_map(|r| &r[k]).collect() };
    let transferred =
        |c: Vec<&crate::page::Cold>| median(c.iter().map(|c| c.transferred as f64).collect());
    let (ours, floor) = (transferred(all(0)), transferred(all(1)));
    row(
        "bytes: cold load transferred (fresh Chromium, median; page + assets, no `/api/`)",
        &format!("{:.1} kB", ours / 1000.0),
        &format!("{:.1} kB (hello world)", floor / 1000.0),
        &times(ours / floor),
        &verdict("≤ 115 kB", ours <= TRANSFER_GOAL),
    );
}

/// Each run's medians (widget, hello world through the proxy, hello world from a plain static
/// server), then the goal on the median of the runs' ratios.
fn first_render(pages: &Pages) {
    // A load that never marked took at least the deadline: counted as that, and said.
    let deadline = crate::page::MARK_DEADLINE.as_secs_f64() * 1000.0;
    let unmarked =
        |c: &[crate::page::Cold]| c.iter().filter(|c| c.first_render_ms.is_none()).count();
    let render = |c: &[crate::page::Cold]| -> Option<f64> {
        let marks: Vec<f64> = c
            .iter()
            .map(|c| c.first_render_ms.unwrap_or(deadline))
            .collect();
        (!marks.is_empty()).then(|| median(marks))
    };
    let n = pages.cold.first().map_or(0, |r| r[0].len());
    let mut ratios = vec![];
    for (i, [ours, hello, plain]) in pages.cold.iter().enumerate() {
        let what = format!(
            "first render, run {} of {}: navigation → first state (median of {n} cold loads)",
            i + 1,
            pages.cold.len()
        );
        let ms = |v: Option<f64>, c: &[crate::page::Cold]| {
            let missed = match unmarked(c) {
                0 => String::new(),
                k => format!(" ({k} never marked, counted as {:.0} s)", deadline / 1000.0),
            };
            v.map_or("n/a".into(), |v| format!("{v:.0} ms{missed}"))
        };
        let (o, h, p) = (render(ours), render(hello), render(plain));
        let ratio = o.zip(h).map(|(o, h)| o / h);
        ratios.extend(ratio);
        row(
            &what,
            &ms(o, ours),
            &format!(
                "{} (hello world, our proxy); {} (hello world, `python3 -m http.server`)",
                ms(h, hello),
                ms(p, plain)
            ),
            &ratio.map_or("n/a".into(), times),
            "—",
        );
    }
    let met = ratios.len() == pages.cold.len() && median(ratios.clone()) <= RENDER_GOAL;
    row(
        &format!(
            "first render: median of the {} runs' ratios",
            pages.cold.len()
        ),
        "—",
        "—",
        &if ratios.is_empty() {
            "n/a".into()
        } else {
            times(median(ratios))
        },
        &verdict("≤ 1.5× hello world", met),
    );
}

/// The widget's assets in turn over one kept-alive connection: each answer's time.
fn kept_alive(pages: &Pages) {
    let (paths, ours, plain) = &pages.kept_alive;
    let names: Vec<&str> = paths
        .iter()
        .map(|p| match p.as_str() {
            "/" => "page",
            p if p.ends_with(".js") => "glue",
            p if p.ends_with(".wasm") => "wasm",
            p if p.ends_with(".css") => "CSS",
            _ => "asset",
        })
        .collect();
    let list = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let worst = ours.iter().copied().fold(0.0, f64::max);
    row(
        &format!(
            "assets over one kept-alive connection ({}), each answer, median of {} connections",
            names.join(" / "),
            crate::KEPT_ALIVE_ROUNDS
        ),
        &format!("{} ms", list(ours)),
        &format!(
            "{} ms (`python3 -m http.server`, a connection each)",
            list(plain)
        ),
        &format!("slowest {worst:.2} ms"),
        &verdict("each < 40 ms (no delayed-ACK stall)", worst < STALL_MS),
    );
}

fn throughput(t: &crate::throughput::Results) {
    for (c, [proxy, reqwest, hyper, nginx]) in &t.rows {
        let what = |peer: &str| format!("`GET …/recordings`, proxy vs {peer}, {c} connection(s)");
        let rps = proxy.rps / reqwest.rps;
        let p99 = proxy.p99_ms / reqwest.p99_ms;
        row(
            &what("axum + reqwest passthrough (floor)"),
            &wrk(proxy),
            &wrk(reqwest),
            &format!("req/s {}, p99 {}", times(rps), times(p99)),
            &verdict(
                "req/s ≥ 0.9×, p99 ≤ 1.2×",
                rps >= RPS_GOAL && p99 <= P99_GOAL,
            ),
        );
        for (peer, f) in [
            ("axum + hyper-util passthrough", hyper),
            ("nginx `proxy_pass`", nginx),
        ] {
            row(
                &what(peer),
                &wrk(proxy),
                &wrk(f),
                &format!(
                    "req/s {}, p99 {}",
                    times(proxy.rps / f.rps),
                    times(proxy.p99_ms / f.p99_ms)
                ),
                "shown beside",
            );
        }
    }
    row(
        "the proxy's log over the throughput runs (default INFO, to a file)",
        &format!(
            "{} answer lines, {:.1} MB",
            thousands(t.log_lines as u64),
            t.log_bytes as f64 / 1e6
        ),
        "—",
        "—",
        "—",
    );
}

fn centre(c: &crate::centre::Centre) {
    let n = thousands(c.streams as u64);
    row(
        &format!("centre: proxy RSS per open stream, {n} streams each on its own call"),
        &format!("{:.1} KiB", c.kib_each),
        "—",
        "—",
        &verdict("< 20 KiB", c.kib_each < KIB_GOAL),
    );
    let ratio = c.p99_ms / c.single_p99_ms;
    row(
        &format!(
            "centre: webhook accepted → its event on its call's stream, {n} streams open, {} webhooks ({}/s for {} s, each another call), p50 / p99",
            thousands(c.webhooks as u64),
            crate::centre::RATE,
            crate::centre::SENDING.as_secs()
        ),
        &format!("{:.1} / {:.1} ms", c.p50_ms, c.p99_ms),
        &format!("{:.1} / {:.1} ms (one stream open)", c.single_p50_ms, c.single_p99_ms),
        &format!("p99 {}", times(ratio)),
        &verdict(
            "p99 < 50 ms and ≤ 3× one stream's",
            c.p99_ms < CENTRE_P99_GOAL_MS && ratio <= CENTRE_RATIO_GOAL,
        ),
    );
}
