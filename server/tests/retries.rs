//! Reads are retried on transient upstream failures inside the overall timeout; writes never
//! are. Faults that cannot be retried become clear 502s, and the proxy keeps serving.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;

const LIST: &str = r#"{"data":[]}"#;

#[tokio::test]
async fn reads_are_retried_through_502_503_504() {
    let fake = Fake::start(Script::Seq(vec![
        (StatusCode::SERVICE_UNAVAILABLE, "<html>busy</html>"),
        (StatusCode::BAD_GATEWAY, ""),
        (StatusCode::GATEWAY_TIMEOUT, ""),
        (StatusCode::OK, LIST),
    ]))
    .await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let a = call(proxy, "GET", "/api/calls/call_r/recordings", None, "").await;
    assert_eq!((a.status, a.text.as_str()), (200, LIST));
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn retries_stop_at_the_overall_timeout() {
    let fake = Fake::start(Script::Reply(StatusCode::SERVICE_UNAVAILABLE, "")).await;
    let proxy = proxy_to(&fake.base_url(), 600).await;
    let t = Instant::now();
    let a = call(proxy, "GET", "/api/calls/call_r/recordings", None, "").await;
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
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let proxy = proxy_to(&format!("http://{dead}"), 500).await;
    let t = Instant::now();
    let a = call(proxy, "GET", "/api/calls/call_r/recordings", None, "").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_unavailable"));
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "it retried before giving up"
    );
    assert!(t.elapsed() < Duration::from_millis(500 + 300));
}

#[tokio::test]
async fn a_write_is_never_retried() {
    let fake = Fake::start(Script::Seq(vec![
        (StatusCode::SERVICE_UNAVAILABLE, ""),
        (StatusCode::OK, LIST),
    ]))
    .await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let a = post_action(proxy, "call_w", "start").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_error"));
    assert_eq!(
        fake.requests().len(),
        1,
        "a start must not be repeated blindly"
    );
}

#[tokio::test]
async fn a_reset_mid_body_is_an_invalid_response_and_the_proxy_recovers() {
    let upstream = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"data\":[",
    )
    .await;
    let proxy = proxy_to(&format!("http://{upstream}"), 2000).await;
    let a = post_action(proxy, "call_x", "start").await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (502, "upstream_invalid_response")
    );
    let a = call(proxy, "GET", "/api/info", None, "").await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn an_oversized_declared_body_is_refused_unread() {
    let upstream = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n{",
    )
    .await;
    let proxy = proxy_to(&format!("http://{upstream}"), 2000).await;
    let a = post_action(proxy, "call_x", "start").await;
    assert_eq!(
        (a.status, a.code().as_str()),
        (502, "upstream_invalid_response")
    );
}
