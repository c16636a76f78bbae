//! The answer line, the JSON format and `/metrics`: first on small routers that carry the
//! app's request-ID layer, then over real sockets on the app as `start` builds it. Counters
//! are per process and tests run in parallel: each looks for its own series, at least counts.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{middleware, Router};
use testkit::Capture;
use tower::ServiceExt;
use tracing_subscriber::EnvFilter;

use super::*;
use crate::extract::CallId;
use crate::ops::metrics;
use crate::secret::Secret;
use crate::ServeConfig;

/// A route that validates its call ID and records an agent, as the real ones do.
fn calls() -> Router {
    Router::new()
        .route(
            "/api/calls/{call_id}/recordings",
            get(|CallId(_): CallId| async {
                // As auth records it.
                let agent = tracing::field::display("agent_7");
                tracing::Span::current().record("agent", agent);
                "[]"
            }),
        )
        .layer(middleware::from_fn(crate::request_id::layer))
}

async fn send(router: Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = router.oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// Runs `req` with a subscriber of `format` set for this thread (tokio tests run on one).
async fn logged(format: LogFormat, router: Router, req: Request<Body>) -> String {
    let logs = Capture::default();
    let writer = logs.clone();
    let sub = logs::subscriber(format, EnvFilter::new("info"), false, move || {
        writer.clone()
    });
    let _guard = tracing::subscriber::set_default(sub);
    // Tests run in parallel, and a log site first reached on a thread without a subscriber
    // can be registered as "never logs" just as ours is set. One warm-up request gets every
    // site on the path registered; rebuilding then asks our subscriber about each.
    send(router.clone(), get_req("/warm-up")).await;
    tracing::callsite::rebuild_interest_cache();
    logs.clear();
    send(router, req).await;
    logs.text()
}

#[tokio::test]
async fn one_info_line_per_request_carries_route_status_and_ids() {
    let req = Request::get("/api/calls/call_9/recordings")
        .header("x-request-id", "req-abc")
        .body(Body::empty())
        .unwrap();
    let text = logged(LogFormat::Text, calls(), req).await;
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line = lines[0];
    assert!(line.contains("INFO"), "{line}");
    for part in [
        "method=GET",
        r#"route="/api/calls/{call_id}/recordings""#,
        "status=200",
        "latency_ms=",
        "request_id=req-abc",
        "call_id=call_9",
        "agent=agent_7",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
}

#[tokio::test]
async fn an_unmatched_request_is_logged_by_its_path() {
    let text = logged(LogFormat::Text, calls(), get_req("/nowhere/x")).await;
    let line = text.lines().find(|l| l.contains("answered")).unwrap();
    assert!(line.contains(r#"route="/nowhere/x""#), "{line}");
    assert!(line.contains("status=404"), "{line}");
}

#[tokio::test]
async fn json_lines_parse_and_carry_the_span() {
    let req = Request::get("/api/calls/call_j/recordings")
        .header("x-request-id", "req-json")
        .body(Body::empty())
        .unwrap();
    let text = logged(LogFormat::Json, calls(), req).await;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let answered = lines
        .iter()
        .find(|v| v["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(answered["level"], "INFO");
    assert_eq!(
        answered["fields"]["route"],
        "/api/calls/{call_id}/recordings"
    );
    assert_eq!(answered["fields"]["status"], 200);
    assert!(answered["fields"]["latency_ms"].is_number());
    assert_eq!(answered["span"]["request_id"], "req-json");
    assert_eq!(answered["span"]["call_id"], "call_j");
    assert_eq!(answered["span"]["agent"], "agent_7");
}

fn metrics_router(token: Option<&str>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(token.map(Secret::new))
}

fn count(text: &str, line_start: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn metrics_counts_requests_by_route_method_and_status() {
    send(calls(), get_req("/api/calls/call_m/recordings")).await;
    let (status, text) = send(metrics_router(None), get_req("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("# TYPE minivoice_http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE minivoice_http_request_duration_seconds histogram"),
        "{text}"
    );
    let series = r#"minivoice_http_requests_total{route="/api/calls/{call_id}/recordings",method="GET",status="200"}"#;
    let before = count(&text, series);
    assert!(before >= 1, "{text}");
    send(calls(), get_req("/api/calls/call_m/recordings")).await;
    let (_, text) = send(metrics_router(None), get_req("/metrics")).await;
    // Counters are per process and tests run in parallel: at least one more, maybe others.
    assert!(count(&text, series) > before, "{text}");
    assert!(text.contains(
        r#"minivoice_http_request_duration_seconds_bucket{route="/api/calls/{call_id}/recordings",method="GET",le="0.005"}"#
    ), "{text}");
}

#[tokio::test]
async fn unmatched_paths_share_one_series() {
    send(calls(), get_req("/scanner/probe-1")).await;
    let (_, text) = send(metrics_router(None), get_req("/metrics")).await;
    assert!(!text.contains("probe-1"), "{text}");
    assert!(
        text.contains(r#"route="unmatched",method="GET",status="404""#),
        "{text}"
    );
}

#[tokio::test]
async fn a_metrics_token_is_required_when_set() {
    let (status, body) = send(metrics_router(Some("m-token")), get_req("/metrics")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let wrong = Request::get("/metrics")
        .header("authorization", "Bearer m-tokem")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(metrics_router(Some("m-token")), wrong).await.0,
        StatusCode::UNAUTHORIZED
    );

    let right = Request::get("/metrics")
        .header("authorization", "Bearer m-token")
        .body(Body::empty())
        .unwrap();
    send(calls(), get_req("/api/calls/call_t/recordings")).await;
    let (status, text) = send(metrics_router(Some("m-token")), right).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("# TYPE"), "{text}");
}

#[tokio::test]
async fn the_event_functions_show_up() {
    upstream_latency("list", 0.02);
    upstream_retry();
    upstream_failure("timeout");
    upstream_operation("get");
    streams_open(3);
    streams_max(7);
    store_up(true);
    webhook_outcome("accepted");
    inbox_depth(2);
    idempotent_replay();
    store_error("begin");
    let text = handle().render();
    for part in [
        r#"minivoice_upstream_request_duration_seconds_bucket{op="list",le="0.025"}"#,
        "minivoice_upstream_retries_total ",
        r#"minivoice_upstream_failures_total{kind="timeout"}"#,
        r#"minivoice_upstream_operations_total{op="get"}"#,
        "# TYPE minivoice_event_streams_open gauge",
        "# TYPE minivoice_event_streams_max gauge",
        "# TYPE minivoice_store_up gauge",
        r#"minivoice_webhook_deliveries_total{outcome="accepted"}"#,
        "# TYPE minivoice_webhook_inbox_depth gauge",
        "minivoice_idempotent_replays_total ",
        r#"minivoice_store_errors_total{op="begin"}"#,
        "# HELP minivoice_store_errors_total Failed store operations, by operation.",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
}

#[test]
fn the_log_format_is_one_option_for_every_subcommand() {
    use crate::config::Cli;
    use clap::Parser;
    for args in [
        &["minivoice-proxy", "--log-format", "json"][..],
        &["minivoice-proxy", "sandbox", "--log-format", "json"],
        &["minivoice-proxy", "serve", "--log-format", "json"],
    ] {
        let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(cli.log_format, LogFormat::Json, "{args:?}");
    }
    // Options before a subcommand's name are the default command's (`args_conflicts_with_
    // subcommands`), so there the flag follows the name; LOG_FORMAT works everywhere.
    assert!(Cli::try_parse_from(["minivoice-proxy", "--log-format", "json", "sandbox"]).is_err());
    let err = Cli::try_parse_from(["minivoice-proxy", "--log-format", "xml"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("invalid value 'xml'") && err.contains("[possible values: text, json]"),
        "{err}"
    );
    assert_eq!(LogFormat::default(), LogFormat::Text);
}

mod sockets;
