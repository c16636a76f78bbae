//! Nothing invalid reaches MiniVoice: every bad request gets a 4xx in the shared error shape,
//! and the fake upstream sees zero requests.

use axum::http::StatusCode;
use testkit::*;

/// Method, path, content type, body, expected status, expected code.
type Case<'a> = (&'a str, String, Option<&'a str>, &'a str, u16, &'a str);

#[tokio::test]
async fn invalid_requests_never_reach_minivoice() {
    let (app, fake) = TestApp::in_front_of(Script::Reply(StatusCode::OK, "{}"), 2000).await;
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
        let a = app.call(method, path, *ct, body).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (*status, *code),
            "{method} {path} {body}: {}",
            a.text
        );
    }
    let big = format!(r#"{{"action":"start","pad":"{}"}}"#, "x".repeat(1 << 20));
    let a = app.post_json("/api/calls/call_1/recordings", &big).await;
    assert_eq!((a.status, a.code().as_str()), (413, "payload_too_large"));
    let raw = raw_cases();
    for (request, status, code) in &raw {
        let answer = raw_request(app.addr, request.as_bytes()).await;
        let (got_status, got_code) = parse_raw(&answer);
        assert_eq!(
            (got_status, got_code.as_str()),
            (*status, *code),
            "{:?} -> {answer}",
            &request[..request.len().min(160)]
        );
        assert!(!answer.contains(KEY));
    }
    assert!(
        cases.len() + 1 + raw.len() >= 30,
        "the table covers at least 30 hostile requests"
    );
    assert!(
        fake.requests().is_empty(),
        "upstream saw {:?}",
        fake.requests()
    );
}

/// Requests sent byte for byte, since an HTTP client would normalise or refuse them.
fn raw_cases() -> Vec<(String, u16, &'static str)> {
    let head = "HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close";
    let get = |path: &str| format!("GET {path} {head}\r\n\r\n");
    let post = |path: &str, ct: &str, body: &str| {
        format!(
            "POST {path} {head}\r\ncontent-type: {ct}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let rec = "/api/calls/call_1/recordings";
    let json = "application/json";
    let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    let big_header = format!("GET {rec} {head}\r\nx-pad: {}\r\n\r\n", "a".repeat(20_000));
    let key = |k: &str| {
        format!(
            "POST {rec} {head}\r\ncontent-type: {json}\r\nidempotency-key: {k}\r\n\
             content-length: 18\r\n\r\n{{\"action\":\"start\"}}"
        )
    };
    let chunk = "a".repeat(0x4000);
    let chunked = format!(
        "POST {rec} {head}\r\ncontent-type: {json}\r\ntransfer-encoding: chunked\r\n\r\n\
         4000\r\n{chunk}\r\n4000\r\n{chunk}\r\n0\r\n\r\n"
    );
    vec![
        (get("/api/calls/%2e%2e/recordings"), 400, "invalid_call_id"),
        (
            get("/api/calls/%2E%2E%2F%2E%2E%2Fetc/recordings"),
            400,
            "invalid_call_id",
        ),
        (
            get("/api/calls/call_1/recordings/%2e%2e"),
            400,
            "invalid_recording_id",
        ),
        (
            get("/api/calls/call_1/recordings/..%2F..%2Fv2"),
            400,
            "invalid_recording_id",
        ),
        (get("/api/calls/../admin/recordings"), 404, "not_found"),
        (get("/api/calls/%FF%FE/recordings"), 400, "invalid_call_id"),
        (
            get("/api/calls/call%EF%BC%91/recordings"),
            400,
            "invalid_call_id",
        ),
        (
            get("/api/calls/call_1%3Faction%3Dstart/recordings"),
            400,
            "invalid_call_id",
        ),
        (
            get("/api/calls/call_1/recordings/rec_1%23frag"),
            400,
            "invalid_recording_id",
        ),
        (
            get("/api/calls/%20/recordings?call_id=call_1"),
            400,
            "invalid_call_id",
        ),
        (
            post(&format!("{rec}?action=start"), json, ""),
            400,
            "invalid_json",
        ),
        (
            post(rec, json, "{\"action\":\"start\u{0}\"}"),
            400,
            "invalid_json",
        ),
        (
            post(rec, json, r#"{"action":"start\u0000"}"#),
            400,
            "invalid_action",
        ),
        (
            post(rec, json, r#"{"action":"start","action":"stop"}"#),
            400,
            "invalid_action",
        ),
        (
            post(rec, json, r#"{"action":"start"} trailing"#),
            400,
            "invalid_json",
        ),
        (post(rec, json, r#"{"action":null}"#), 400, "invalid_action"),
        (
            post(rec, json, r#"{"ACTION":"start"}"#),
            400,
            "invalid_action",
        ),
        (
            post(rec, json, r#"{"action":{"start":true}}"#),
            400,
            "invalid_action",
        ),
        (post(rec, json, &deep), 400, "invalid_action"),
        (
            post(rec, "multipart/form-data; boundary=x", "--x--"),
            415,
            "unsupported_media_type",
        ),
        (
            post(rec, "application/x-www-form-urlencoded", "action=start"),
            415,
            "unsupported_media_type",
        ),
        (big_header, 431, "headers_too_large"),
        (key("has space"), 400, "invalid_idempotency_key"),
        (key(&"k".repeat(129)), 400, "invalid_idempotency_key"),
        (
            format!("PATCH {rec} {head}\r\ncontent-length: 0\r\n\r\n"),
            405,
            "method_not_allowed",
        ),
        (
            // Anonymous with a real key: a foreign page is refused before anything else.
            format!("OPTIONS {rec} {head}\r\norigin: https://evil.example\r\n\r\n"),
            403,
            "forbidden_origin",
        ),
        (chunked, 413, "payload_too_large"),
    ]
}
