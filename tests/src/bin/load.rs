//! Bounded loopback load run: starts the proxy binary in sandbox mode, sends N requests at
//! concurrency C through it (start / list / stop / metadata cycles, one call per worker), and
//! reports errors, throughput, latency and the proxy's peak memory.
//!
//! `cargo xtask load [--requests N] [--concurrency C]`

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = args
        .first()
        .expect("usage: load PROXY_BINARY [--requests N] [--concurrency C]");
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let total = flag("--requests", 20_000);
    let concurrency = flag("--concurrency", 128);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A real database file, as in production: every action is written to the audit trail.
    let data = tempfile::tempdir().unwrap();
    let mut proxy = Command::new(binary)
        .env_remove("MINIVOICE_API_KEY")
        .env_remove("MINIVOICE_API_KEY_FILE")
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("WIDGET_DIR", "/nonexistent")
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the proxy");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let ready = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(10),
            "proxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let issued = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (client, base, issued, errors) =
                (client.clone(), base.clone(), issued.clone(), errors.clone());
            tokio::spawn(async move {
                let call = format!("load_{w}");
                let recs = format!("{base}/api/calls/{call}/recordings");
                let mut latencies = vec![];
                let mut step = 0usize;
                let mut last_recording = String::new();
                while issued.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    let req = match step % 4 {
                        0 => client
                            .post(&recs)
                            .header("content-type", "application/json")
                            .body(r#"{"action":"start"}"#),
                        1 => client.get(&recs),
                        2 => client
                            .post(&recs)
                            .header("content-type", "application/json")
                            .body(r#"{"action":"stop"}"#),
                        _ => client.get(format!("{recs}/{last_recording}")),
                    };
                    match req.send().await {
                        Ok(resp) if resp.status() == 200 => {
                            let body: serde_json::Value = resp.json().await.unwrap_or_default();
                            if let Some(id) = body["data"]["recording"]["id"].as_str() {
                                last_recording = id.to_owned();
                            }
                        }
                        Ok(resp) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!(
                                "{} {}",
                                resp.status(),
                                resp.text().await.unwrap_or_default()
                            );
                        }
                        Err(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("transport: {e}");
                        }
                    }
                    latencies.push(t.elapsed());
                    step += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = vec![];
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", proxy.id())).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_else(|| "?".into())
    };
    let errors = errors.load(Ordering::Relaxed);
    println!("requests:     {}", latencies.len());
    println!("concurrency:  {concurrency}");
    println!("errors:       {errors}");
    println!("elapsed:      {:.2} s", elapsed.as_secs_f64());
    println!(
        "throughput:   {:.0} req/s",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!("latency p50:  {:.2} ms", pct(0.50).as_secs_f64() * 1e3);
    println!("latency p99:  {:.2} ms", pct(0.99).as_secs_f64() * 1e3);
    println!("latency max:  {:.2} ms", pct(1.0).as_secs_f64() * 1e3);
    println!("proxy peak RSS (VmHWM): {}", field("VmHWM:"));
    println!("proxy RSS at end:       {}", field("VmRSS:"));
    let _ = proxy.kill();
    let _ = proxy.wait();
    if errors > 0 {
        std::process::exit(1);
    }
}
