//! Nothing invalid reaches MiniVoice: every bad request gets a 4xx in the shared error shape,
//! and the fake upstream sees zero requests.

mod common;

use axum::http::StatusCode;
use common::*;

/// Method, path, content type, body, expected status, expected code.
type Case<'a> = (&'a str, String, Option<&'a str>, &'a str, u16, &'a str);

#[tokio::test]
async fn invalid_requests_never_reach_minivoice() {
    let fake = Fake::start(Script::Reply(StatusCode::OK, "{}")).await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let json = Some("application/json");
    let long = "x".repeat(65);
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/api/calls/..%2F..%2Fadmin/recordings".into(),
            None,
            "",
            400,
            "invalid_call_id",
        ),
        (
            "GET",
            // The client resolves `%2e%2e` as `..` before sending: /api/recordings arrives.
            "/api/calls/%2e%2e/recordings".into(),
            None,
            "",
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/calls/call%00x/recordings".into(),
            None,
            "",
            400,
            "invalid_call_id",
        ),
        (
            "GET",
            "/api/calls/caf%C3%A9/recordings".into(),
            None,
            "",
            400,
            "invalid_call_id",
        ),
        (
            "GET",
            "/api/calls/a%20b/recordings".into(),
            None,
            "",
            400,
            "invalid_call_id",
        ),
        (
            "GET",
            format!("/api/calls/{long}/recordings"),
            None,
            "",
            400,
            "invalid_call_id",
        ),
        (
            "GET",
            "/api/calls/call_1/recordings/rec%2F1".into(),
            None,
            "",
            400,
            "invalid_recording_id",
        ),
        (
            "GET",
            "/api/calls/call_1/recordings/rec.1".into(),
            None,
            "",
            400,
            "invalid_recording_id",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":"pause"}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":1}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":["start"]}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":"START"}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":"start","x":1}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{}"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"[]"#,
            400,
            "invalid_action",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            r#"{"action":"start""#,
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            json,
            "",
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            None,
            r#"{"action":"start"}"#,
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/calls/call_1/recordings".into(),
            Some("text/plain"),
            r#"{"action":"start"}"#,
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/calls/bad.id/recordings".into(),
            json,
            r#"{"action":"start"}"#,
            400,
            "invalid_call_id",
        ),
        (
            "DELETE",
            "/api/calls/call_1/recordings".into(),
            None,
            "",
            405,
            "method_not_allowed",
        ),
        (
            "PUT",
            "/api/calls/call_1/recordings/rec_1".into(),
            json,
            "{}",
            405,
            "method_not_allowed",
        ),
        (
            "GET",
            "/api/calls/call_1".into(),
            None,
            "",
            404,
            "not_found",
        ),
        ("GET", "/api/nothing".into(), None, "", 404, "not_found"),
    ];
    for (method, path, ct, body, status, code) in &cases {
        let a = call(proxy, method, path, *ct, body).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (*status, *code),
            "{method} {path} {body}: {}",
            a.text
        );
    }
    let big = format!(r#"{{"action":"start","pad":"{}"}}"#, "x".repeat(1 << 20));
    let a = post_raw(proxy, &big).await;
    assert_eq!((a.status, a.code().as_str()), (413, "payload_too_large"));
    assert!(
        fake.requests().is_empty(),
        "upstream saw {:?}",
        fake.requests()
    );
}

async fn post_raw(proxy: std::net::SocketAddr, body: &str) -> Answer {
    call(
        proxy,
        "POST",
        "/api/calls/call_1/recordings",
        Some("application/json"),
        body,
    )
    .await
}
