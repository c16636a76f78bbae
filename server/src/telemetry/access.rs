//! The answer line: one INFO line per request, logged inside the request's span after the
//! handler ran, so it carries the request ID and, once the extractors and auth recorded them
//! on the span, the call ID and agent. The HTTP metrics are counted at the same point.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};

use super::{HTTP_DURATION, HTTP_REQUESTS};

/// The `route` label of requests no route matched (static files, 404s): their paths are the
/// caller's to choose, and one series per path would grow without bound.
pub const UNMATCHED: &str = "unmatched";

/// What the answer line needs from a request, taken before the request is handed on.
pub struct Exchange {
    method: Method,
    /// The route pattern (`/api/calls/{call_id}/recordings`), when a route matched (shared,
    /// not copied).
    matched: Option<MatchedPath>,
    path: String,
    started: Instant,
}

impl Exchange {
    /// Reads the method and route. In middleware added with `Router::layer`, axum has routed
    /// already, so `MatchedPath` is there for every request a route matched.
    pub fn begin(req: &Request) -> Exchange {
        let matched = req.extensions().get::<MatchedPath>();
        Exchange {
            method: req.method().clone(),
            matched: matched.cloned(),
            path: if matched.is_some() {
                String::new()
            } else {
                req.uri().path().to_owned()
            },
            started: Instant::now(),
        }
    }

    /// Logs the answer line in `span` and counts the request. For a live event stream this is
    /// when its head is sent, not when it closes.
    pub fn finish(self, span: &tracing::Span, status: StatusCode) {
        super::prometheus::install();
        let elapsed = self.started.elapsed();
        let route = self
            .matched
            .as_ref()
            .map_or(&*self.path, MatchedPath::as_str);
        // Microseconds kept: most answers take well under a millisecond.
        let latency_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
        span.in_scope(|| {
            tracing::info!(
                method = %self.method,
                route,
                status = status.as_u16(),
                latency_ms,
                "answered"
            );
        });
        let route = self.matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let (count, duration) = series(route, method_label(&self.method), status);
        count.increment(1);
        duration.record(elapsed.as_secs_f64());
    }
}

/// Per route, then per method and status: the request counter and the duration histogram.
type Series = HashMap<Box<str>, HashMap<(&'static str, u16), (Counter, Histogram)>>;

/// The handles of the series every answer updates, registered on a route's first answer with
/// that method and status. Registering per answer built each series' key (owned labels) and
/// looked it up in the recorder every time. Bounded: routes are the router's patterns (and
/// [`UNMATCHED`]), methods a fixed set, statuses the few the proxy gives.
static SERIES: LazyLock<RwLock<Series>> = LazyLock::new(RwLock::default);

fn series(route: &str, method: &'static str, status: StatusCode) -> (Counter, Histogram) {
    let key = (method, status.as_u16());
    let known = SERIES.read().unwrap_or_else(|e| e.into_inner());
    if let Some(handles) = known.get(route).and_then(|r| r.get(&key)) {
        return handles.clone();
    }
    drop(known);
    let mut known = SERIES.write().unwrap_or_else(|e| e.into_inner());
    known
        .entry(route.into())
        .or_default()
        .entry(key)
        .or_insert_with(|| {
            let route = route.to_owned();
            (
                metrics::counter!(
                    HTTP_REQUESTS,
                    "route" => route.clone(),
                    "method" => method,
                    "status" => status.as_str().to_owned()
                ),
                metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method),
            )
        })
        .clone()
}

/// HTTP allows any token as a method; only the standard ones become label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
