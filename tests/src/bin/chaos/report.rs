//! The calibration (what each operation costs PostgreSQL) and the printed report: per fault,
//! per total, per statement.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::check::Totals;
use crate::faults::Window;
use crate::log::{Attempt, Kind};
use crate::statements::{self, Background, Cost, Stats};
use crate::{Deployment, PREFIX, WEBHOOK_SECRET};

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

/// Each operation alone, before the load: statements per action (one widget watching the
/// call), per webhook and per stream resume.
pub async fn calibrate(d: &Deployment, client: &reqwest::Client, ops: usize) -> Vec<Cost> {
    eprintln!("chaos: calibrating statements per operation ({ops} of each)");
    let background = Background::measure(&d.cluster, 5).await;
    let call = format!("{PREFIX}_cal_a");
    let token = d.token("chaos-calibration", Some(&call));
    let events = format!("{}/api/calls/{call}/events?access_token={token}", d.base());
    // A widget watching the call, as there is when an agent acts.
    let watching = client.get(&events).send().await.expect("a stream");
    assert!(
        watching.status().is_success(),
        "stream: {}",
        watching.status()
    );

    statements::reset(&d.cluster);
    let t = Instant::now();
    for k in 0..ops {
        let action = ["start", "pause", "resume", "stop"][k % 4];
        let (url, body) = match action {
            "start" | "stop" => (
                format!("{}/api/calls/{call}/recordings", d.base()),
                format!(r#"{{"action":"{action}"}}"#),
            ),
            _ => (
                format!("{}/api/calls/{call}/{action}", d.base()),
                String::new(),
            ),
        };
        let status = client
            .post(url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("idempotency-key", format!("cal-{k}"))
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(200), "calibration {action} {k}");
    }
    let actions = background.cost(
        "action (start, pause, resume, stop; one widget watching)",
        ops,
        statements::read(&d.cluster),
        t.elapsed().as_secs_f64(),
    );
    drop(watching);

    statements::reset(&d.cluster);
    let t = Instant::now();
    for k in 0..ops {
        let body = serde_json::json!({
            "event": "recording.stopped",
            "call": {"id": format!("{PREFIX}_cal_w"), "status": "in_progress"},
            "recording": {"id": format!("rec_cal_{k}"), "status": "stopped",
                          "duration_seconds": 1, "size_bytes": 16000}
        });
        let status = minivoice_e2e::send_webhook(
            client,
            d.nginx.addr,
            WEBHOOK_SECRET,
            &format!("msg_cal_{k}"),
            body.to_string(),
        )
        .await;
        assert!(status.is_success(), "calibration webhook {k}: {status}");
    }
    let cluster = &d.cluster;
    wait_for(
        "the calibration's webhooks",
        Duration::from_secs(30),
        || {
            cluster
                .sql("SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")
                .trim()
                == "0"
        },
    )
    .await;
    let webhooks = background.cost(
        "webhook (verified, stored, acknowledged, processed, published)",
        ops,
        statements::read(&d.cluster),
        t.elapsed().as_secs_f64(),
    );

    // Resumes from five events back: the backlog is read from the store.
    let last = ops as u64;
    statements::reset(&d.cluster);
    let t = Instant::now();
    for _ in 0..ops {
        let resp = client
            .get(&events)
            .header("last-event-id", (last - 5).to_string())
            .send()
            .await
            .expect("a resumed stream");
        let mut body = resp.bytes_stream();
        let mut text = String::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            while text.matches("\nid:").count() + usize::from(text.starts_with("id:")) < 5 {
                match body.next().await {
                    Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => break,
                }
            }
        })
        .await;
        assert!(read.is_ok(), "a resume replayed its backlog");
    }
    let resumes = background.cost(
        "stream resume (Last-Event-ID, 5 events replayed)",
        ops,
        statements::read(&d.cluster),
        t.elapsed().as_secs_f64(),
    );
    eprintln!(
        "chaos: idle replicas issue {:.1} statements/s between them",
        background.rate()
    );
    vec![actions, webhooks, resumes]
}

pub struct Run<'a> {
    pub seconds: u64,
    pub load_seconds: f64,
    pub windows: &'a [Window],
    pub attempts: &'a [Attempt],
    pub totals: &'a Totals,
    pub costs: &'a [Cost],
    pub run_stats: &'a Stats,
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
            .filter(|a| !a.ok && a.at > w.end && a.at < next)
            .map(|a| a.at - w.end)
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

    println!("\n### Statements per operation (pg_stat_statements, each operation alone, idle background subtracted)\n");
    println!("| operation | statements | database time |");
    println!("| --- | --- | --- |");
    for c in r.costs {
        println!(
            "| {} (×{}) | {:.1} | {:.2} ms |",
            c.name, c.ops, c.per_op, c.ms_per_op
        );
    }
    for c in r.costs {
        println!("\n{}:\n", c.name);
        println!("| statement | per operation | mean |");
        println!("| --- | --- | --- |");
        for (q, n, mean) in &c.statements {
            println!("| {} | {n:.2} | {mean:.3} ms |", statements::short(q));
        }
    }
    let mut whole: Vec<_> = r.run_stats.iter().collect();
    whole.sort_by(|a, b| b.1.calls.total_cmp(&a.1.calls));
    let calls: f64 = whole.iter().map(|s| s.1.calls).sum();
    let ms: f64 = whole.iter().map(|s| s.1.total_ms).sum();
    println!(
        "\n### The whole load ({:.0} s, faults included): {calls:.0} statements, {:.0}/s, {:.1} s of database time\n",
        r.load_seconds,
        calls / r.load_seconds,
        ms / 1000.0
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
