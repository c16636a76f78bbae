//! The proxy over real sockets against a fake MiniVoice: what it forwards, and how it answers
//! when MiniVoice fails.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn start_is_forwarded_with_the_key_and_answered_verbatim() {
    let response = fixture("start_recording.response.json");
    let fake = Fake::start(Script::Reply(StatusCode::OK, response)).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = post_action(proxy, "call_123", "start").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.text, response,
        "MiniVoice's JSON is returned byte for byte"
    );
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path, "/v1/calls/call_123/recordings");
    assert_eq!(seen[0].auth.as_deref(), Some(&*format!("Bearer {KEY}")));
    let sent: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    let documented: serde_json::Value =
        serde_json::from_str(fixture("start_recording.request.json")).unwrap();
    assert_eq!(sent, documented);
}

#[tokio::test]
async fn list_and_metadata_use_the_inferred_routes() {
    let body = r#"{"data":[{"id":"rec_1","status":"processing_v9","duration_seconds":3,"size_bytes":9,"new":1}]}"#;
    let fake = Fake::start(Script::Reply(StatusCode::OK, body)).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_7/recordings", None, "").await;
    assert_eq!(
        (a.status, a.text.as_str()),
        (200, body),
        "unknown status and fields survive"
    );
    let one = r#"{"data":{"id":"rec_1","status":"stopped","duration_seconds":3,"size_bytes":9,"call_id":"call_7"}}"#;
    let fake = Fake::start(Script::Reply(StatusCode::OK, one)).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_7/recordings/rec_1", None, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(fake.requests()[0].path, "/v1/calls/call_7/recordings/rec_1");
}

#[tokio::test]
async fn minivoice_errors_pass_through_with_their_status() {
    let err = fixture("error.recording_not_started.json");
    let fake = Fake::start(Script::Reply(StatusCode::CONFLICT, err)).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = post_action(proxy, "call_1", "stop").await;
    assert_eq!(a.status, 409);
    assert_eq!(a.text, err);
    assert_eq!(a.code(), "recording_not_started");
}

#[tokio::test]
async fn a_hanging_upstream_is_a_504_within_the_bound() {
    let fake = Fake::start(Script::Hang).await;
    let proxy = proxy_to(&fake.base_url(), 700).await;
    let t = Instant::now();
    let a = post_action(proxy, "call_1", "start").await;
    let took = t.elapsed();
    assert_eq!((a.status, a.code().as_str()), (504, "upstream_timeout"));
    assert!(
        took >= Duration::from_millis(650),
        "answered early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(700 + 500),
        "answered late: {took:?}"
    );
    // The proxy still serves the next request.
    let b = call(proxy, "GET", "/api/info", None, "").await;
    assert_eq!(b.status, 200);
}

#[tokio::test]
async fn a_refused_connection_is_a_502_upstream_unavailable() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let proxy = proxy_to(&format!("http://{dead}"), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_1/recordings", None, "").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_unavailable"));
}

#[tokio::test]
async fn answers_not_in_the_documented_shape_are_502() {
    let cases: Vec<(Script, &str)> = vec![
        (
            Script::Reply(StatusCode::OK, r#"{"data":{"call_id":"c"}}"#),
            "upstream_invalid_response",
        ),
        (
            Script::Reply(StatusCode::OK, r#"{"data":[{"id":"r","#),
            "upstream_invalid_response",
        ),
        (
            Script::Reply(StatusCode::OK, "<html>ok</html>"),
            "upstream_invalid_response",
        ),
        (
            Script::Owned(StatusCode::OK, vec![b' '; 2 << 20]),
            "upstream_invalid_response",
        ),
        (
            Script::Reply(StatusCode::SERVICE_UNAVAILABLE, "<html>down</html>"),
            "upstream_error",
        ),
        (
            Script::Reply(StatusCode::INTERNAL_SERVER_ERROR, ""),
            "upstream_error",
        ),
    ];
    for (script, code) in cases {
        let fake = Fake::start(script).await;
        let proxy = proxy_to(&fake.base_url(), 2000).await;
        let a = post_action(proxy, "call_1", "start").await;
        assert_eq!((a.status, a.code().as_str()), (502, code), "{}", a.text);
        let next = call(proxy, "GET", "/api/info", None, "").await;
        assert_eq!(next.status, 200, "the proxy serves the next request");
    }
}

#[tokio::test]
async fn a_recording_of_another_call_is_not_found() {
    // MiniVoice looks the recording up by ID alone and returns call B's recording.
    let other = r#"{"data":{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9,"call_id":"call_b"}}"#;
    let fake = Fake::start(Script::Reply(StatusCode::OK, other)).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_a/recordings/rec_b", None, "").await;
    assert_eq!((a.status, a.code().as_str()), (404, "recording_not_found"));
    assert!(
        !a.text.contains("call_b"),
        "nothing of the other call leaks"
    );
    // Without a call_id in the answer, the call's own list decides.
    let bare = r#"{"data":{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9}}"#;
    let listed_elsewhere =
        r#"{"data":[{"id":"rec_a","status":"stopped","duration_seconds":3,"size_bytes":9}]}"#;
    let fake = Fake::start(Script::Seq(vec![
        (StatusCode::OK, bare),
        (StatusCode::OK, listed_elsewhere),
    ]))
    .await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_a/recordings/rec_b", None, "").await;
    assert_eq!(a.status, 404);
    let listed_here =
        r#"{"data":[{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9}]}"#;
    let fake = Fake::start(Script::Seq(vec![
        (StatusCode::OK, bare),
        (StatusCode::OK, listed_here),
    ]))
    .await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let a = call(proxy, "GET", "/api/calls/call_a/recordings/rec_b", None, "").await;
    assert_eq!((a.status, a.text.as_str()), (200, bare));
}

#[tokio::test]
async fn redirects_from_minivoice_are_not_followed() {
    let target = Fake::start(Script::Reply(
        StatusCode::OK,
        fixture("start_recording.response.json"),
    ))
    .await;
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}/v1/calls/call_r/recordings\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            target.base_url()
        )
        .into_boxed_str(),
    );
    let upstream = raw_upstream(redirect.as_bytes()).await;
    let proxy = proxy_to(&format!("http://{upstream}"), 2000).await;
    let a = post_action(proxy, "call_r", "start").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_error"));
    assert!(target.requests().is_empty(), "the POST was not re-sent");
}
