//! Several replicas, measured: two proxy processes (the binary given) on one fresh PostgreSQL
//! database behind nginx, with MiniVoice's sandbox as their upstream. Prints the delivery
//! latency of live events from one replica to a stream on the other (a signed webhook to A,
//! the event read on B), and the throughput of one vs two replicas behind nginx (`wrk`).
//!
//! `cargo xtask replicas [--events N] [--seconds S]` (it builds the release proxy, starts
//! PostgreSQL, and installs nginx and wrk when missing).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use minivoice_e2e::deployment::{Deployment, Nginx, PUBLIC_URL, TOKEN_SECRET};
use minivoice_e2e::procs::{loopback, proxy_at};
use minivoice_e2e::send_webhook;
use testkit::{percentile, replica_env, required_test_database, KEY, WEBHOOK_SECRET};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = args
        .first()
        .expect("usage: replicas PROXY_BINARY [--events N] [--seconds S]")
        .clone();
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let events = flag("--events", 1000) as usize;
    let seconds = flag("--seconds", 5);

    let database = required_test_database().await;
    let binary = Path::new(&binary);
    let sandbox_env = [("SANDBOX_API_KEY", KEY.to_owned())];
    let minivoice = proxy_at(binary, &["sandbox"], loopback(), &sandbox_env, None).await;
    let mut env = replica_env(&database, &format!("http://{}", minivoice.addr));
    // Behind nginx nothing is local: the documented deployment's token secret and name.
    env.push(("WIDGET_TOKEN_SECRET", TOKEN_SECRET.to_owned()));
    env.push(("PUBLIC_URL", PUBLIC_URL.to_owned()));
    let bearer = format!("Bearer {}", Deployment::token("bench", &["bench_call"]));
    let replica_a = proxy_at(binary, &[], loopback(), &env, None).await;
    let replica_b = proxy_at(binary, &[], loopback(), &env, None).await;
    let (a, b) = (replica_a.addr, replica_b.addr);

    // Cross-replica delivery: a webhook to A, its live event read on B's stream.
    let client = reqwest::Client::new();
    let stream = client
        .get(format!("http://{b}/api/calls/bench_call/events"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    let mut stream = stream.bytes_stream();
    let mut buffer = String::new();
    let mut lags = Vec::with_capacity(events);
    for i in 0..events {
        let rec = format!("rec_bench_{i}");
        let body = serde_json::json!({
            "event": "recording.stopped",
            "call": {"id": "bench_call", "status": "in_progress"},
            "recording": {"id": rec, "status": "stopped", "duration_seconds": 1, "size_bytes": 16000}
        })
        .to_string();
        let id = format!("msg_bench_{i}");
        let sent = Instant::now();
        let status = send_webhook(&client, a, WEBHOOK_SECRET, &id, body).await;
        assert_eq!(status, 202, "webhook {i}");
        let needle = format!("\"{rec}\"");
        while !buffer.contains(&needle) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .expect("the event reached B")
                .expect("B's stream is open")
                .unwrap();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        lags.push(sent.elapsed());
        buffer.clear();
    }
    lags.sort();

    // Throughput behind nginx: one replica, then both.
    let mut rows = vec![];
    for backends in [vec![a], vec![a, b]] {
        let nginx = Nginx::start(&backends).await;
        let out = Command::new("wrk")
            .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"])
            .args(["-H", &format!("Authorization: {bearer}")])
            .arg(format!(
                "http://{}/api/calls/bench_call/recordings",
                nginx.addr
            ))
            .output()
            .expect("wrk (cargo xtask replicas installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |label: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .map(|v| v.split_whitespace().next().unwrap_or("?").to_owned())
                .unwrap_or_else(|| "?".into())
        };
        rows.push((
            backends.len(),
            field("Requests/sec:"),
            field("50%"),
            field("99%"),
            text.contains("Non-2xx"),
        ));
    }

    println!("| what | figure |");
    println!("| --- | --- |");
    println!(
        "| live event, webhook to replica A → stream on replica B ({events} events) | p50 {:.1} ms, p99 {:.1} ms |",
        percentile(&lags, 0.50).as_secs_f64() * 1000.0,
        percentile(&lags, 0.99).as_secs_f64() * 1000.0
    );
    for (n, rps, p50, p99, errors) in rows {
        println!(
            "| `GET …/recordings` behind nginx, {n} replica(s), wrk -t2 -c64 -d{seconds}s | {rps} req/s, p50 {p50}, p99 {p99}{} |",
            if errors { " (non-2xx answers seen)" } else { "" }
        );
    }
}
