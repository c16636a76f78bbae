//! Safe to leave running: what refuses to start off loopback and how to proceed, anonymous
//! mode held to this machine, stream caps, timeouts for slow clients, and an audit trail that
//! neither a vanished browser nor a broken store can leave incomplete.

// Timeouts, connection caps and the accept loop's backoff, in production/connections.rs.
#[path = "production/connections.rs"]
mod connections;
// Forwarded is never local; PUBLIC_URL; in production/forwarded.rs.
#[path = "production/forwarded.rs"]
mod forwarded;
// The text log escapes what clients wrote, in production/log_lines.rs.
#[path = "production/log_lines.rs"]
mod log_lines;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use minivoice_proxy::{Secret, ServeConfig};
use testkit::*;

/// Listening on every interface, with a token secret.
fn public(cfg: &mut ServeConfig) {
    cfg.listen_addr = "0.0.0.0:0".parse().unwrap();
    require_tokens(cfg);
}

#[tokio::test]
async fn off_loopback_the_sandbox_and_unsigned_webhooks_must_be_asked_for() {
    let mut no_key = sandbox_config();
    public(&mut no_key);
    let why = refusal(no_key.clone()).await;
    assert!(
        why.contains("MINIVOICE_API_KEY") && why.contains("--sandbox"),
        "{why}"
    );
    no_key.sandbox = true;
    starts(no_key).await;

    let mut unsigned = sandbox_config();
    public(&mut unsigned);
    unsigned.api_key = Some(Secret::new(KEY));
    let why = refusal(unsigned.clone()).await;
    assert!(
        why.contains("MINIVOICE_WEBHOOK_SECRET") && why.contains("--allow-unsigned-webhooks"),
        "{why}"
    );
    unsigned.allow_unsigned_webhooks = true;
    starts(unsigned.clone()).await;
    unsigned.allow_unsigned_webhooks = false;
    unsigned.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    starts(unsigned).await;
}

#[tokio::test]
async fn the_escape_flags_work_as_environment_variables() {
    let port = free_port();
    let run = |env: &[(&str, &str)]| {
        let mut all = vec![
            ("LISTEN_ADDR", format!("0.0.0.0:{port}")),
            ("WIDGET_TOKEN_SECRET", TOKEN_SECRET.into()),
            ("DATABASE_URL", "sqlite::memory:".into()),
        ];
        all.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
        let mut cmd = command(&[], &all);
        cmd.env_remove("RUST_LOG").stderr(Stdio::piped());
        cmd
    };
    let refused = run(&[]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--sandbox"));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let demo = Proxy::run(run(&[("SANDBOX", "true")]), addr, Duration::from_secs(10)).await;
    demo.kill_hard();
    let refused = run(&[("MINIVOICE_API_KEY", KEY)]).output().unwrap();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-unsigned-webhooks"));
    let short = run(&[
        ("MINIVOICE_API_KEY", KEY),
        ("MINIVOICE_WEBHOOK_SECRET", "whsec_"),
    ])
    .output()
    .unwrap();
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("at least 24 bytes"),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );
}

#[tokio::test]
async fn anonymous_mode_with_a_real_key_serves_only_this_machine() {
    let (app, fake) =
        TestApp::in_front_of(Script::Reply(StatusCode::OK, started_response()), 2000).await;
    let body = r#"{"action":"stop"}"#;
    let rebinding = format!(
        "POST /api/calls/call_h/recordings HTTP/1.1\r\nhost: evil.example\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = raw_request(app.addr, rebinding.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("forbidden_host"), "{answer}");
    let post = |origin: String| {
        app.send(
            app.request("POST", "/api/calls/call_h/recordings")
                .header("content-type", "application/json")
                .header("origin", origin)
                .body(body),
        )
    };
    let foreign = post("https://evil.example".into()).await;
    assert_eq!(foreign.status, 403);
    assert!(foreign.text.contains("forbidden_origin"));
    assert!(fake.requests().is_empty(), "nothing reached MiniVoice");
    let own = post(app.url("")).await;
    assert_eq!(own.status, 200, "the widget's own page is served");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn one_agent_cannot_hold_every_stream_and_streams_end_with_their_token() {
    let app = TestApp::with(|c| {
        require_tokens(c);
        c.max_streams_per_agent = 2;
    })
    .await;
    let alice = token("alice", &["*"]);
    let mut held = vec![];
    for i in 0..2 {
        let s = app
            .open_events(&format!("call_{i}"), None, Some(&alice))
            .await;
        assert_eq!(s.status(), 200);
        held.push(s);
    }
    let third = app.open_events("call_9", None, Some(&alice)).await;
    assert_eq!(third.status(), 429);
    assert!(third.text().await.unwrap().contains("too_many_streams"));
    let bob = token("bob", &["*"]);
    assert_eq!(
        app.open_events("call_9", None, Some(&bob)).await.status(),
        200
    );
    drop(held);
    // A stream ends when its token expires.
    let brief = token_for("carol", &["*"], Duration::from_secs(2));
    let stream = app.open_events("call_b", None, Some(&brief)).await;
    assert_eq!(stream.status(), 200);
    assert!(
        ends_within(stream, Duration::from_secs(8)).await,
        "the stream outlived its token"
    );
}

#[tokio::test]
async fn any_last_event_id_is_answered_without_a_panic() {
    let app = TestApp::sandbox().await;
    for last in [
        "18446744073709551615",
        "18446744073709551614",
        "0",
        "-1",
        "x",
    ] {
        let s = app.open_events("call_l", Some(last), None).await;
        assert_eq!(s.status(), 200, "{last}");
        if last.starts_with("1844") {
            let first = Events::new(s).next().await;
            assert_eq!(first.event, "resync", "{last}");
        }
    }
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn slow_clients_cannot_hold_connections() {
    let app = TestApp::with(|c| {
        c.header_read_timeout_ms = 300;
        c.body_timeout_ms = 300;
    })
    .await;
    // Headers that never end: the proxy closes the connection.
    use tokio::io::AsyncReadExt;
    let mut sock = raw_connection(app.addr, b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n").await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), sock.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "a client trickling headers kept its connection"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    // A body that never arrives: 408.
    let answer = raw_request(
        app.addr,
        b"POST /api/calls/c/recordings HTTP/1.1\r\nhost: 127.0.0.1\r\n\
          content-type: application/json\r\ncontent-length: 18\r\n\r\n{\"act",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[tokio::test]
async fn a_start_whose_browser_went_away_is_still_on_record() {
    let (app, fake) = TestApp::in_front_of(
        Script::Slow(
            Duration::from_millis(400),
            StatusCode::OK,
            started_response(),
        ),
        5000,
    )
    .await;
    let gone = app
        .request("POST", "/api/calls/call_123/recordings")
        .header("content-type", "application/json")
        .body(r#"{"action":"start"}"#)
        .timeout(Duration::from_millis(50))
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up first");
    let first_entry = || async { app.activity("call_123", None).await.json()["data"][0].clone() };
    wait_until("the result on record", Duration::from_secs(5), || async {
        first_entry().await["recording_id"] == "rec_call_123"
    })
    .await;
    let entry = first_entry().await;
    assert!(entry.get("pending").is_none(), "{entry}");
    assert!(entry.get("sandbox").is_none(), "a real key: {entry}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn without_an_audit_trail_nothing_is_forwarded() {
    let fake = Fake::accepting_starts().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let mut cfg = forwarding_config(&fake.base_url(), sandbox_config().upstream_timeout_ms);
    cfg.database_url = Some(Secret::new(url.clone()));
    let app = TestApp::spawn(cfg).await;
    // Break the store from outside, as a full disk or a bad migration would.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("ALTER TABLE actions RENAME TO actions_elsewhere")
        .execute(&pool)
        .await
        .unwrap();
    let a = app.post_action("call_s", "start").await;
    assert_eq!((a.status, a.code().as_str()), (503, "store_unavailable"));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn actions_against_the_sandbox_say_so_in_the_trail() {
    let app = TestApp::sandbox().await;
    assert_eq!(app.post_action("call_sb", "start").await.status, 200);
    let entry = &app.activity("call_sb", None).await.json()["data"][0];
    assert_eq!(entry["sandbox"], true, "{entry}");
    assert_eq!(entry["recording_id"], "rec_call_sb");
}

/// Values that used to be accepted and break later (a panic after MiniVoice had stopped the
/// recording, a retention sweep that died, a replayable webhook, a flood of keep-alives) are
/// refused by the binary at start-up, naming the variable and its range.
#[tokio::test]
async fn numbers_and_durations_outside_their_range_refuse_to_start() {
    for (var, value, range) in [
        (
            "PAUSE_MAX_S",
            "18446744073709551615",
            "between 0 and 86400 (seconds)",
        ),
        ("WEBHOOK_RETENTION", "99999999999d", "between 10m and 365d"),
        ("LIVE_EVENT_RETENTION", "99999999999d", "between 1m and 30d"),
        ("WEBHOOK_RETENTION", "1s", "between 10m and 365d"),
        (
            "SSE_HEARTBEAT_MS",
            "0",
            "between 1000 and 300000 (milliseconds)",
        ),
    ] {
        let why = refused_start(&[(var, value.into())], Duration::from_secs(20)).await;
        assert!(
            why.contains(&format!("{var} must be {range}"))
                && why.contains(&format!("got {value}")),
            "{var}={value}: {why}"
        );
    }
    // Shorter than the timestamp tolerance says why it matters.
    let why = refused_start(
        &[("WEBHOOK_RETENTION", "9m".into())],
        Duration::from_secs(20),
    )
    .await;
    assert!(
        why.contains("timestamp tolerance") && why.contains("replayed"),
        "{why}"
    );
}
