//! The calibration (what each operation costs PostgreSQL) and the printed report: per fault,
//! per total, per statement.

use std::time::{Duration, Instant};

use crate::check::Totals;
use crate::faults::Window;
use crate::log::{Attempt, Kind};
use crate::statements::{self, Cost, Sample};

/// Waits for `ready`, `limit` at most; says so when it gave up (the checks then tell what
/// was missing).
pub async fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        if Instant::now() > deadline {
            eprintln!("chaos: gave up waiting for {what} after {limit:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Run<'a> {
    pub seconds: u64,
    pub load_seconds: f64,
    pub windows: &'a [Window],
    pub attempts: &'a [Attempt],
    pub totals: &'a Totals,
    pub costs: &'a [Cost],
    pub run: &'a Sample,
    pub injected_minivoice_failures: u64,
    pub wall: Duration,
}

fn rate(attempts: &[&Attempt], kind: Kind) -> String {
    let of_kind: Vec<_> = attempts.iter().filter(|a| a.kind == kind).collect();
    let failed = of_kind.iter().filter(|a| !a.ok).count();
    if of_kind.is_empty() {
        return "–".into();
    }
    format!(
        "{failed}/{} ({:.1}%)",
        of_kind.len(),
        100.0 * failed as f64 / of_kind.len() as f64
    )
}

pub fn print(r: &Run) {
    println!(
        "## Chaos run: {} s of load ({:.0} s measured), {:.0} s in all\n",
        r.seconds,
        r.load_seconds,
        r.wall.as_secs_f64()
    );
    println!("| fault | on (s into the load) | actions failed | webhooks failed | stream (re)connects failed | first success after it (actions, webhooks) | errors went on for |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (i, w) in r.windows.iter().enumerate() {
        let during: Vec<&Attempt> = r
            .attempts
            .iter()
            .filter(|a| a.at >= w.start && a.at <= w.end)
            .collect();
        let next = r.windows.get(i + 1).map_or(f64::MAX, |n| n.start);
        let first_ok = |kind| {
            r.attempts
                .iter()
                .filter(|a| a.kind == kind && a.ok && a.at >= w.end)
                .map(|a| a.at - w.end)
                .fold(f64::MAX, f64::min)
        };
        let after_ok = |kind| match first_ok(kind) {
            f if f == f64::MAX => "never".to_owned(),
            f => format!("{f:.2} s"),
        };
        let errors_until = r
            .attempts
            .iter()
            // Failures that ended before the next fault began (one sent just before it
            // fails because of it).
            .filter(|a| !a.ok && a.at > w.end && a.done < next)
            .map(|a| a.done - w.end)
            .fold(0.0, f64::max);
        println!(
            "| {} | {:.1}–{:.1} ({:.1} s) | {} | {} | {} | {}, {} | {} |",
            w.name,
            w.start,
            w.end,
            w.end - w.start,
            rate(&during, Kind::Action),
            rate(&during, Kind::Webhook),
            rate(&during, Kind::Stream),
            after_ok(Kind::Action),
            after_ok(Kind::Webhook),
            if errors_until == 0.0 {
                "0 s (none after it)".to_owned()
            } else {
                format!("{errors_until:.1} s after it")
            }
        );
    }
    let all: Vec<&Attempt> = r.attempts.iter().collect();
    println!(
        "| whole run | 0–{:.0} | {} | {} | {} | | |",
        r.load_seconds,
        rate(&all, Kind::Action),
        rate(&all, Kind::Webhook),
        rate(&all, Kind::Stream)
    );

    let t = r.totals;
    println!("\n| total | figure |");
    println!("| --- | --- |");
    println!(
        "| webhooks: sent / acknowledged / processed (store); tries | {} / {} / {}; {} |",
        t.deliveries, t.acknowledged, t.processed, t.webhook_tries
    );
    println!(
        "| webhooks acknowledged but not processed; never acknowledged | **{}**; **{}** |",
        t.acknowledged_not_processed, t.never_acknowledged
    );
    println!(
        "| actions (intents): answered 2xx / refused by MiniVoice or the proxy / no answer in the end | {} / {} / {} |",
        t.answered_2xx, t.answered_refused, t.unanswered
    );
    println!(
        "| audit rows: all / carried out / pending | {} / {} / {} |",
        t.trail_rows, t.trail_carried_out, t.trail_pending
    );
    println!(
        "| MiniVoice's record (sandbox journal): actions carried out | {} |",
        t.minivoice_actions
    );
    println!(
        "| answered 2xx but not in the trail; answered 2xx but not at MiniVoice | **{}**; **{}** |",
        t.answered_not_in_trail, t.answered_not_at_minivoice
    );
    println!(
        "| carried out by MiniVoice: not in the trail; in the trail as pending (unknown) | **{}**; {} |",
        t.minivoice_not_in_trail, t.minivoice_trail_pending
    );
    println!("| duplicate starts | **{}** |", t.duplicate_starts);
    println!(
        "| streams: {} open, events read, resyncs, reconnects | {} , {}, {} |",
        t.streams, t.stream_events, t.resyncs, t.reconnects
    );
    println!(
        "| events missed by a stream without a resync | **{}** |",
        t.missed_without_resync
    );
    println!(
        "| MiniVoice requests failed on purpose | {} |",
        r.injected_minivoice_failures
    );

    println!("\n### What each operation costs (each alone, the idle background taken out)\n");
    println!("| operation | statements | execution time | PostgreSQL CPU | both replicas' CPU | WAL written |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for c in r.costs {
        println!(
            "| {} (×{}) | {:.1} | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} bytes |",
            c.name, c.ops, c.statements, c.exec_ms, c.pg_cpu_ms, c.proxy_cpu_ms, c.wal_bytes,
        );
    }
    for c in r.costs {
        println!("\n{}:\n", c.name);
        println!("| statement | per operation | mean |");
        println!("| --- | --- | --- |");
        for (q, n, mean) in &c.each {
            println!("| {} | {n:.2} | {mean:.3} ms |", statements::short(q));
        }
    }
    let mut whole: Vec<_> = r.run.stats.iter().collect();
    whole.sort_by(|a, b| b.1.calls.total_cmp(&a.1.calls));
    println!(
        "\n### The whole load ({:.0} s, faults included): {:.0} statements ({:.0}/s), {:.1} s of execution, {:.0} WAL flushes ({:.1}/s), {:.1} MB of WAL\n",
        r.run.seconds,
        r.run.statements(),
        r.run.statements() / r.run.seconds,
        r.run.exec_ms() / 1000.0,
        r.run.wal_syncs,
        r.run.wal_syncs / r.run.seconds,
        r.run.wal_bytes / 1e6,
    );
    println!("| statement | calls | mean |");
    println!("| --- | --- | --- |");
    for (q, s) in whole.iter().take(15) {
        println!(
            "| {} | {:.0} | {:.3} ms |",
            statements::short(q),
            s.calls,
            s.total_ms / s.calls.max(1.0)
        );
    }
}
