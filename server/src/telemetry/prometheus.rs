//! The process's Prometheus recorder; `crate::ops` serves what it renders at `GET /metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds, in seconds, of the latency buckets: from a cached answer to MiniVoice's
/// default 10 s timeout.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often recorded latencies are folded into their buckets when nobody scrapes: until then
/// each one is held in memory, so an unscraped proxy would grow without bound.
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed as the global one on first use. Once per process, not
/// per app: the `metrics` facade takes one global recorder, and tests start many apps.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            // Real histograms (`_bucket` lines) rather than summaries: they aggregate across
            // proxies, quantiles computed per process do not.
            .set_buckets_for_metric(
                Matcher::Suffix("_duration_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        match metrics::set_global_recorder(recorder) {
            Ok(()) => describe(),
            Err(e) => {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty: {e}")
            }
        }
        let upkeep = handle.clone();
        // A plain thread: the first metric may be recorded outside any runtime.
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP);
                upkeep.run_upkeep();
            });
        if let Err(e) = spawned {
            tracing::warn!("no metrics upkeep thread (scrapes still fold latencies): {e}");
        }
        handle
    })
}

/// The shared handle (installs the recorder when nothing did yet).
pub fn handle() -> &'static PrometheusHandle {
    install()
}

fn describe() {
    use super::{
        HTTP_DURATION, HTTP_REQUESTS, IDEMPOTENT_REPLAYS, INBOX_DEPTH, STORE_ERRORS, STORE_UP,
        STREAMS_MAX, STREAMS_OPEN, UPSTREAM_DURATION, UPSTREAM_FAILURES, UPSTREAM_OPERATIONS,
        UPSTREAM_RETRIES, WEBHOOK_DELIVERIES,
    };
    metrics::describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "Requests answered, by route, method and status."
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to the response head, by route and method."
    );
    metrics::describe_histogram!(
        UPSTREAM_DURATION,
        Unit::Seconds,
        "One HTTP exchange with MiniVoice, by operation."
    );
    metrics::describe_counter!(
        UPSTREAM_RETRIES,
        Unit::Count,
        "MiniVoice reads tried again after a transient failure."
    );
    metrics::describe_counter!(
        UPSTREAM_FAILURES,
        Unit::Count,
        "MiniVoice operations that failed after their retries, by kind."
    );
    metrics::describe_counter!(
        UPSTREAM_OPERATIONS,
        Unit::Count,
        "MiniVoice operations ended, after their retries, by operation."
    );
    metrics::describe_gauge!(STREAMS_OPEN, Unit::Count, "Live event streams open now.");
    metrics::describe_gauge!(
        STREAMS_MAX,
        Unit::Count,
        "Live event streams allowed at once (MAX_EVENT_STREAMS)."
    );
    metrics::describe_counter!(
        WEBHOOK_DELIVERIES,
        Unit::Count,
        "Webhook deliveries, by outcome."
    );
    metrics::describe_gauge!(
        INBOX_DEPTH,
        Unit::Count,
        "Webhook deliveries stored and not yet applied."
    );
    metrics::describe_counter!(
        IDEMPOTENT_REPLAYS,
        Unit::Count,
        "Actions answered from their idempotency key's stored result."
    );
    metrics::describe_counter!(
        STORE_ERRORS,
        Unit::Count,
        "Failed store operations, by operation."
    );
    metrics::describe_gauge!(
        STORE_UP,
        "1 while the store answers with every migration applied (as /readyz), else 0."
    );
    super::connections::describe();
}
