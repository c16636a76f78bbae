//! What the proxy tells its operators: one log line per request (`access`), the log format
//! (`logs`, `LOG_FORMAT=text|json`) and the Prometheus metrics served at `GET /metrics`
//! (`prometheus`).
//!
//! Metrics are counted per process: the recorder is global (the `metrics` facade allows one),
//! installed on first use and shared by every app instance in the process, which is what tests
//! that start many apps need and what a scraper of one proxy process expects.
//!
//! | metric | kind | labels | recorded by |
//! | --- | --- | --- | --- |
//! | `minivoice_http_requests_total` | counter | `route`, `method`, `status` | [`access`], every request |
//! | `minivoice_http_request_duration_seconds` | histogram | `route`, `method` | [`access`] (time to the response head; a live stream's lifetime is not counted) |
//! | `minivoice_upstream_request_duration_seconds` | histogram | `op` (`list`, `get`, `act`) | [`upstream_latency`], one per HTTP exchange with MiniVoice |
//! | `minivoice_upstream_retries_total` | counter | | [`upstream_retry`] |
//! | `minivoice_upstream_failures_total` | counter | `kind` | [`upstream_failure`], once per failed operation |
//! | `minivoice_upstream_operations_total` | counter | `op` | [`upstream_operation`], once per operation, after its retries |
//! | `minivoice_event_streams_open` | gauge | | [`streams_open`] |
//! | `minivoice_event_streams_max` | gauge | | [`streams_max`] (`MAX_EVENT_STREAMS`) |
//! | `minivoice_webhook_deliveries_total` | counter | `outcome` | [`webhook_outcome`] |
//! | `minivoice_webhook_inbox_depth` | gauge | | [`inbox_depth`] |
//! | `minivoice_idempotent_replays_total` | counter | | [`idempotent_replay`] |
//! | `minivoice_store_errors_total` | counter | `op` | [`store_error`] |
//! | `minivoice_store_up` | gauge | | [`store_up`], at every store health check |
//! | `minivoice_connections_open`, `minivoice_connections_max` | gauges | | [`connections`], as connections open and close; `MAX_CONNECTIONS` |
//! | `minivoice_connections_refused_total` | counter | `cap` (`total`, `per_client`) | [`connections`], each connection a cap closed |
//! | `minivoice_accept_errors_total` | counter | | [`connections`], each failed accept (EMFILE…) |
//!
//! The alert rules in `deploy/prometheus/alerts.yml` read these names: renaming one fails
//! `tests/tests/e2e/alerts.rs`.
//!
//! Label values are `&'static str` on purpose: a label takes a value from a small fixed set
//! (an error message or an ID there would make one series per value, without bound).

pub mod access;
pub mod connections;
mod log_writer;
pub mod logs;
pub mod panics;
pub mod prometheus;

pub use access::Exchange;
pub use connections::{accept_error, connection_refused, connections_max, connections_open};
pub use logs::LogFormat;
pub use prometheus::handle;

use std::sync::RwLock;

use metrics::{Counter, Histogram};

pub const HTTP_REQUESTS: &str = "minivoice_http_requests_total";
pub const HTTP_DURATION: &str = "minivoice_http_request_duration_seconds";
pub const UPSTREAM_DURATION: &str = "minivoice_upstream_request_duration_seconds";
pub const UPSTREAM_RETRIES: &str = "minivoice_upstream_retries_total";
pub const UPSTREAM_FAILURES: &str = "minivoice_upstream_failures_total";
pub const UPSTREAM_OPERATIONS: &str = "minivoice_upstream_operations_total";
pub const STREAMS_OPEN: &str = "minivoice_event_streams_open";
pub const STREAMS_MAX: &str = "minivoice_event_streams_max";
pub const WEBHOOK_DELIVERIES: &str = "minivoice_webhook_deliveries_total";
pub const INBOX_DEPTH: &str = "minivoice_webhook_inbox_depth";
pub const IDEMPOTENT_REPLAYS: &str = "minivoice_idempotent_replays_total";
pub const STORE_ERRORS: &str = "minivoice_store_errors_total";
pub const STORE_UP: &str = "minivoice_store_up";

/// One exchange with MiniVoice took `secs` (`op`: `list`, `get` or `act`), failed or not.
pub fn upstream_latency(op: &'static str, secs: f64) {
    static BY_OP: Handles<Histogram> = Handles::new();
    BY_OP
        .get(op, || metrics::histogram!(UPSTREAM_DURATION, "op" => op))
        .record(secs);
}

/// A MiniVoice read is about to be tried again after a transient failure.
pub fn upstream_retry() {
    prometheus::install();
    metrics::counter!(UPSTREAM_RETRIES).increment(1);
}

/// A MiniVoice operation failed, after its retries: `timeout`, `unavailable`,
/// `invalid_response`, `auth` (our key refused) or `status` (a 5xx).
pub fn upstream_failure(kind: &'static str) {
    prometheus::install();
    metrics::counter!(UPSTREAM_FAILURES, "kind" => kind).increment(1);
}

/// A MiniVoice operation (`list`, `get` or `act`) ended, after its retries, well or not: the
/// denominator of the failure rate an alert watches (failures are per operation too).
pub fn upstream_operation(op: &'static str) {
    static BY_OP: Handles<Counter> = Handles::new();
    BY_OP
        .get(op, || metrics::counter!(UPSTREAM_OPERATIONS, "op" => op))
        .increment(1);
}

/// One metric's handles by the value of its one label, registered on first use: these are
/// updated on every forwarded request, and registering each time built the series' key and
/// looked it up in the recorder (the answer's series are kept the same way, `access.rs`).
/// Bounded: the label values are the code's own constants.
struct Handles<T>(RwLock<Vec<(&'static str, T)>>);

impl<T: Clone> Handles<T> {
    const fn new() -> Self {
        Handles(RwLock::new(Vec::new()))
    }

    fn get(&self, value: &'static str, register: impl FnOnce() -> T) -> T {
        let known = self.0.read().unwrap_or_else(|e| e.into_inner());
        if let Some((_, handle)) = known.iter().find(|(v, _)| *v == value) {
            return handle.clone();
        }
        drop(known);
        prometheus::install();
        let handle = register();
        let mut known = self.0.write().unwrap_or_else(|e| e.into_inner());
        if !known.iter().any(|(v, _)| *v == value) {
            known.push((value, handle.clone()));
        }
        handle
    }
}

/// Live event streams open now (call where the hub's count changes).
pub fn streams_open(n: usize) {
    prometheus::install();
    metrics::gauge!(STREAMS_OPEN).set(n as f64);
}

/// How many live event streams may be open (`MAX_EVENT_STREAMS`): set once, so an alert can
/// divide the open streams by it rather than repeat the setting.
pub fn streams_max(n: usize) {
    prometheus::install();
    metrics::gauge!(STREAMS_MAX).set(n as f64);
}

/// A webhook delivery was received and ended so (`accepted`, `duplicate`, `invalid_signature`,
/// `queue_full`, `applied`, `failed`: one small fixed set, chosen by the caller).
pub fn webhook_outcome(outcome: &'static str) {
    prometheus::install();
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}

/// Webhook deliveries stored and not yet applied: the worker's `AtomicI64` count as it is
/// (a transient negative, from a resynchronisation race, shows as 0).
pub fn inbox_depth(n: i64) {
    prometheus::install();
    metrics::gauge!(INBOX_DEPTH).set(n.max(0) as f64);
}

/// An action was answered from its idempotency key's stored result, not forwarded again.
pub fn idempotent_replay() {
    prometheus::install();
    metrics::counter!(IDEMPOTENT_REPLAYS).increment(1);
}

/// A store operation failed (`op`: `begin`, `finish`, `accept_delivery`, …).
pub fn store_error(op: &'static str) {
    prometheus::install();
    metrics::counter!(STORE_ERRORS, "op" => op).increment(1);
}

/// Whether the last store health check reached the store with every migration applied (what
/// `/readyz` reports): 1 or 0.
pub fn store_up(up: bool) {
    prometheus::install();
    metrics::gauge!(STORE_UP).set(if up { 1.0 } else { 0.0 });
}

#[cfg(test)]
mod tests;
