//! The proxy over real sockets against a fake MiniVoice: what it forwards, and how it answers
//! when MiniVoice fails.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use testkit::*;

#[tokio::test]
async fn start_is_forwarded_with_the_key_and_answered_verbatim() {
    let response = started_response();
    let (app, fake) = TestApp::in_front_of(Script::Reply(StatusCode::OK, response), 2000).await;
    let a = app.post_action("call_123", "start").await;
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
    let (app, _fake) = TestApp::in_front_of(Script::Reply(StatusCode::OK, body), 2000).await;
    let a = app.get("/api/calls/call_7/recordings").await;
    assert_eq!(
        (a.status, a.text.as_str()),
        (200, body),
        "unknown status and fields survive"
    );
    let one = r#"{"data":{"id":"rec_1","status":"stopped","duration_seconds":3,"size_bytes":9,"call_id":"call_7"}}"#;
    let (app, fake) = TestApp::in_front_of(Script::Reply(StatusCode::OK, one), 2000).await;
    let a = app.get("/api/calls/call_7/recordings/rec_1").await;
    assert_eq!(a.status, 200);
    assert_eq!(fake.requests()[0].path, "/v1/calls/call_7/recordings/rec_1");
}

#[tokio::test]
async fn minivoice_errors_pass_through_with_their_status() {
    let err = fixture("error.recording_not_started.json");
    let (app, _fake) = TestApp::in_front_of(Script::Reply(StatusCode::CONFLICT, err), 2000).await;
    let a = app.post_action("call_1", "stop").await;
    assert_eq!(a.status, 409);
    assert_eq!(a.text, err);
    assert_eq!(a.code(), "recording_not_started");
}

#[tokio::test]
async fn a_hanging_upstream_is_a_504_within_the_bound() {
    let (app, _fake) = TestApp::in_front_of(Script::Hang, 700).await;
    let t = Instant::now();
    let a = app.post_action("call_1", "start").await;
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
    let b = app.get("/api/info").await;
    assert_eq!(b.status, 200);
}

#[tokio::test]
async fn a_refused_connection_is_a_502_upstream_unavailable() {
    let app = TestApp::forwarding_to(&dead_upstream(), 2000).await;
    let a = app.get("/api/calls/call_1/recordings").await;
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
        let (app, _fake) = TestApp::in_front_of(script, 2000).await;
        let a = app.post_action("call_1", "start").await;
        assert_eq!((a.status, a.code().as_str()), (502, code), "{}", a.text);
        let next = app.get("/api/info").await;
        assert_eq!(next.status, 200, "the proxy serves the next request");
    }
}

#[tokio::test]
async fn a_recording_of_another_call_is_not_found() {
    // The proxy's answer for call A's rec_b when MiniVoice answers as `script`.
    let rec_b_of_call_a = |script: Script| async move {
        let (app, _fake) = TestApp::in_front_of(script, 2000).await;
        app.get("/api/calls/call_a/recordings/rec_b").await
    };
    // MiniVoice looks the recording up by ID alone and returns call B's recording.
    let other = r#"{"data":{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9,"call_id":"call_b"}}"#;
    let a = rec_b_of_call_a(Script::Reply(StatusCode::OK, other)).await;
    assert_eq!((a.status, a.code().as_str()), (404, "recording_not_found"));
    assert!(
        !a.text.contains("call_b"),
        "nothing of the other call leaks"
    );
    // Without a call_id in the answer, the call's own list decides.
    let bare = r#"{"data":{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9}}"#;
    let listed_elsewhere =
        r#"{"data":[{"id":"rec_a","status":"stopped","duration_seconds":3,"size_bytes":9}]}"#;
    let listed_here =
        r#"{"data":[{"id":"rec_b","status":"stopped","duration_seconds":3,"size_bytes":9}]}"#;
    let bare_then = |list| {
        rec_b_of_call_a(Script::Seq(vec![
            (StatusCode::OK, bare),
            (StatusCode::OK, list),
        ]))
    };
    assert_eq!(bare_then(listed_elsewhere).await.status, 404);
    let a = bare_then(listed_here).await;
    assert_eq!((a.status, a.text.as_str()), (200, bare));
}

#[tokio::test]
async fn redirects_from_minivoice_are_not_followed() {
    let target = Fake::accepting_starts().await;
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}/v1/calls/call_r/recordings\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            target.base_url()
        )
        .into_boxed_str(),
    );
    let upstream = raw_upstream(redirect.as_bytes()).await;
    let app = TestApp::forwarding_to(&upstream, 2000).await;
    let a = app.post_action("call_r", "start").await;
    assert_eq!((a.status, a.code().as_str()), (502, "upstream_error"));
    assert!(target.requests().is_empty(), "the POST was not re-sent");
}
