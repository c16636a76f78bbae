//! Memory stays flat however many calls pass through: every call opens and closes a live
//! stream, gets a signed `call.completed`, and every tenth is started and stopped. The proxy
//! runs as its own process against the sandbox in another, so its RSS is its own.
//!
//! The plateau test runs in the suite; `cargo xtask soak` runs the full 100,000 calls on the
//! release build and prints the figures.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use testkit::*;

const CONCURRENCY: usize = 16;

struct Soak {
    proxy: Proxy,
    _minivoice: Proxy,
    app: TestApp,
}

impl Soak {
    async fn begin() -> Soak {
        let minivoice = Proxy::launch(&["sandbox"], &[("SANDBOX_API_KEY", KEY.into())]).await;
        let data = tempfile::tempdir().unwrap().keep();
        let proxy = Proxy::launch(
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
            app: proxy.app(),
            proxy,
            _minivoice: minivoice,
        }
    }

    async fn calls(&self, range: std::ops::Range<usize>) {
        let range_end = range.end;
        futures_util::stream::iter(range)
            .for_each_concurrent(CONCURRENCY, |i| one_call(&self.app, i))
            .await;
        // Measured once the webhook worker has caught up: the inbox is processed in order,
        // so a probe delivered last is processed last.
        let probe = format!("soak_probe_{}", range_end);
        let status = self
            .app
            .deliver(&format!("msg_{probe}"), &call_completed(&probe))
            .await;
        assert_eq!(status, 202);
        wait_until("the inbox to drain", Duration::from_secs(120), || async {
            self.app.call_status(&probe).await == "completed"
        })
        .await;
    }
}

async fn one_call(app: &TestApp, i: usize) {
    let call_id = format!("soak_{i}");
    let stream = app.open_events(&call_id, None, None).await;
    assert_eq!(stream.status(), 200, "stream {i}");
    drop(stream);
    if i.is_multiple_of(10) {
        for action in ["start", "stop"] {
            let status = app
                .post_action_with_key(&call_id, action, &format!("{call_id}-{action}"))
                .await
                .status;
            assert_eq!(status, 200, "{action} {i}");
        }
    }
    // As MiniVoice would: a 503 (the inbox is full, back-pressure) is delivered again.
    let (id, body) = (format!("msg_{call_id}"), call_completed(&call_id));
    wait_until(
        "the webhook to be accepted",
        Duration::from_secs(60),
        || async {
            match app.deliver(&id, &body).await {
                202 => true,
                503 => false,
                other => panic!("webhook {i}: {other}"),
            }
        },
    )
    .await;
}

/// Warm-up, then the rest; RSS after each, in KB.
async fn soak(warm_up: usize, total: usize) -> (u64, u64, Duration) {
    let soak = Soak::begin().await;
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
