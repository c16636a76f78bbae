//! Reads are retried on transient upstream failures inside the overall timeout; writes never
//! are. Faults that cannot be retried become clear 502s, and the proxy keeps serving.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use testkit::*;

const LIST: &str = r#"{"data":[]}"#;

#[tokio::test]
async fn reads_are_retried_through_502_503_504() {
    let (app, fake) = TestApp::in_front_of(
        Script::Seq(vec![
            (StatusCode::SERVICE_UNAVAILABLE, "<html>busy</html>"),
            (StatusCode::BAD_GATEWAY, ""),
            (StatusCode::GATEWAY_TIMEOUT, ""),
            (StatusCode::OK, LIST),
        ]),
        3000,
    )
    .await;
    let a = app.get("/api/calls/call_r/recordings").await;
    assert_eq!((a.status, a.text.as_str()), (200, LIST));
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn retries_stop_at_the_overall_timeout() {
    let (app, fake) =
        TestApp::in_front_of(Script::Reply(StatusCode::SERVICE_UNAVAILABLE, ""), 600).await;
    let t = Instant::now();
    let a = app.get("/api/calls/call_r/recordings").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_error"));
    assert!(
        t.elapsed() < Duration::from_millis(600 + 300),
        "{:?}",
        t.elapsed()
    );
    let n = fake.requests().len();
    assert!((2..=12).contains(&n), "backoff keeps attempts bounded: {n}");
}

#[tokio::test]
async fn a_refused_read_is_retried_then_reported_unavailable() {
    let app = TestApp::forwarding_to(&dead_upstream(), 500).await;
    let t = Instant::now();
    let a = app.get("/api/calls/call_r/recordings").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_unavailable"));
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "it retried before giving up"
    );
    assert!(t.elapsed() < Duration::from_millis(500 + 300));
}

#[tokio::test]
async fn a_write_is_never_retried() {
    let (app, fake) = TestApp::in_front_of(
        Script::Seq(vec![
            (StatusCode::SERVICE_UNAVAILABLE, ""),
            (StatusCode::OK, LIST),
        ]),
        3000,
    )
    .await;
    let a = app.post_action("call_w", "start").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_error"));
    assert_eq!(
        fake.requests().len(),
        1,
        "a start must not be repeated blindly"
    );
}

/// A start forwarded to an upstream that answers `raw`: the proxy, and its answer.
async fn start_against(raw: &'static [u8]) -> (TestApp, Answer) {
    let app = TestApp::forwarding_to(&raw_upstream(raw).await, 2000).await;
    let a = app.post_action("call_x", "start").await;
    (app, a)
}

#[tokio::test]
async fn a_reset_mid_body_is_an_invalid_response_and_the_proxy_recovers() {
    let (app, a) = start_against(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"data\":[",
    )
    .await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (502, "upstream_invalid_response")
    );
    let a = app.get("/api/info").await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn an_oversized_declared_body_is_refused_unread() {
    let (_app, a) = start_against(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n{",
    )
    .await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (502, "upstream_invalid_response")
    );
}
