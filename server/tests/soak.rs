//! Memory stays flat however many calls pass through: every call opens and closes a live
//! stream, gets a signed `call.completed`, and every tenth is started and stopped. The proxy
//! runs as its own process against the sandbox in another, so its RSS is its own.
//!
//! The plateau test runs in the suite; `cargo xtask soak` runs the full 100,000 calls on the
//! release build and prints the figures.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::process::{wait_until, Proxy};
use common::webhook::{call_completed, deliver_signed, WEBHOOK_SECRET};
use common::*;
use futures_util::StreamExt;

const CONCURRENCY: usize = 16;

struct Soak {
    proxy: Proxy,
    _minivoice: Proxy,
    client: reqwest::Client,
}

impl Soak {
    async fn start() -> Soak {
        let minivoice = Proxy::spawn(&["sandbox"], &[("SANDBOX_API_KEY", KEY.into())]).await;
        let data = tempfile::tempdir().unwrap().keep();
        let proxy = Proxy::spawn(
            &[],
            &[
                ("MINIVOICE_API_KEY", KEY.into()),
                ("MINIVOICE_BASE_URL", format!("http://{}", minivoice.addr)),
                ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
                ("DATA_DIR", data.display().to_string()),
                ("MAX_STREAMS_PER_AGENT", "1000".into()),
            ],
        )
        .await;
        Soak {
            proxy,
            _minivoice: minivoice,
            client: reqwest::Client::new(),
        }
    }

    async fn calls(&self, range: std::ops::Range<usize>) {
        let range_end = range.end;
        futures_util::stream::iter(range)
            .for_each_concurrent(CONCURRENCY, |i| one_call(&self.client, self.proxy.addr, i))
            .await;
        // Measured once the webhook worker has caught up: the inbox is processed in order,
        // so a probe delivered last is processed last.
        let probe = format!("soak_probe_{}", range_end);
        let status = deliver_signed(
            &self.client,
            self.proxy.addr,
            &format!("msg_{probe}"),
            &call_completed(&probe),
            WEBHOOK_SECRET,
        )
        .await;
        assert_eq!(status, 202);
        let addr = self.proxy.addr;
        wait_until("the inbox to drain", Duration::from_secs(120), || {
            let path = format!("/api/calls/{probe}/status");
            async move {
                call(addr, "GET", &path, None, "").await.json()["data"]["status"] == "completed"
            }
        })
        .await;
    }
}

async fn one_call(client: &reqwest::Client, proxy: SocketAddr, i: usize) {
    let call_id = format!("soak_{i}");
    let stream = client
        .get(format!("http://{proxy}/api/calls/{call_id}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200, "stream {i}");
    drop(stream);
    if i.is_multiple_of(10) {
        for action in ["start", "stop"] {
            let status = client
                .post(format!("http://{proxy}/api/calls/{call_id}/recordings"))
                .header("content-type", "application/json")
                .header("idempotency-key", format!("{call_id}-{action}"))
                .body(format!(r#"{{"action":"{action}"}}"#))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200, "{action} {i}");
        }
    }
    let status = deliver_signed(
        client,
        proxy,
        &format!("msg_{call_id}"),
        &call_completed(&call_id),
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(status, 202, "webhook {i}");
}

/// Warm-up, then the rest; RSS after each, in KB.
async fn soak(warm_up: usize, total: usize) -> (u64, u64, Duration) {
    let soak = Soak::start().await;
    let t = Instant::now();
    soak.calls(0..warm_up).await;
    let warm = soak.proxy.rss_kb();
    soak.calls(warm_up..total).await;
    (warm, soak.proxy.rss_kb(), t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_plateaus_as_calls_pass() {
    let (warm, end, took) = soak(3_000, 12_000).await;
    eprintln!("soak: RSS {warm} KB after 3,000 calls, {end} KB after 12,000 ({took:?})");
    assert!(
        end < warm + 8 * 1024,
        "9,000 more calls added {} KB",
        end.saturating_sub(warm)
    );
}

/// `cargo xtask soak`: SOAK_CALLS (default 100,000) on the release build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long: run by cargo xtask soak"]
async fn soak_full() {
    let total: usize = std::env::var("SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let warm_up = (total / 10).max(1_000);
    let (warm, end, took) = soak(warm_up, total).await;
    println!(
        "soak: {total} calls in {:.0} s; RSS after warm-up ({warm_up} calls) {:.1} MB, at the end \
         {:.1} MB: {:+.1} MB",
        took.as_secs_f64(),
        warm as f64 / 1024.0,
        end as f64 / 1024.0,
        (end as f64 - warm as f64) / 1024.0
    );
}
