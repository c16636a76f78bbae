//! Safe to leave running: what refuses to start off loopback and how to proceed, anonymous
//! mode held to this machine, stream caps, timeouts for slow clients, and an audit trail that
//! neither a vanished browser nor a broken store can leave incomplete.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use common::process::{free_port, wait_until};
use common::*;
use minivoice_proxy::auth::{unix_now, Claims, TokenKeys};
use minivoice_proxy::{Secret, ServeConfig};

const TOKEN_SECRET: &str = "production-secret-0123456789abcdef-0123";

fn public(cfg: &mut ServeConfig) {
    cfg.listen_addr = "0.0.0.0:0".parse().unwrap();
    cfg.token_secret.secret = Some(Secret::new(TOKEN_SECRET));
}

async fn refusal(cfg: ServeConfig) -> String {
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .err()
        .expect("refused to start")
        .to_string()
}

async fn starts(cfg: ServeConfig) -> SocketAddr {
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .expect("started")
        .addr
}

#[tokio::test]
async fn off_loopback_the_sandbox_and_unsigned_webhooks_must_be_asked_for() {
    let mut no_key = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    public(&mut no_key);
    let why = refusal(no_key.clone()).await;
    assert!(
        why.contains("MINIVOICE_API_KEY") && why.contains("--sandbox"),
        "{why}"
    );
    no_key.sandbox = true;
    starts(no_key).await;

    let mut unsigned = ServeConfig::sandbox_on_loopback("/nonexistent".into());
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
    unsigned.webhook_secret = Some(Secret::new(webhook::WEBHOOK_SECRET));
    starts(unsigned).await;
}

#[tokio::test]
async fn the_escape_flags_work_as_environment_variables() {
    let port = free_port();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_minivoice-proxy"));
        cmd.env_clear()
            .env("LISTEN_ADDR", format!("0.0.0.0:{port}"))
            .env("WIDGET_TOKEN_SECRET", TOKEN_SECRET)
            .env("WIDGET_DIR", "/nonexistent")
            .env("DATABASE_URL", "sqlite::memory:")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    };
    let refused = run(&[]).wait_with_output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--sandbox"));
    let mut demo = run(&[("SANDBOX", "true")]);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_until(
        "the sandbox demo to listen",
        Duration::from_secs(10),
        || async { tokio::net::TcpStream::connect(addr).await.is_ok() },
    )
    .await;
    demo.kill().unwrap();
    demo.wait().unwrap();
    let refused = run(&[("MINIVOICE_API_KEY", KEY)])
        .wait_with_output()
        .unwrap();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-unsigned-webhooks"));
    let short = run(&[
        ("MINIVOICE_API_KEY", KEY),
        ("MINIVOICE_WEBHOOK_SECRET", "whsec_"),
    ])
    .wait_with_output()
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
    let fake = Fake::start(Script::Reply(
        StatusCode::OK,
        fixture("start_recording.response.json"),
    ))
    .await;
    let proxy = proxy_to(&fake.base_url(), 2000).await;
    let body = r#"{"action":"stop"}"#;
    let rebinding = format!(
        "POST /api/calls/call_h/recordings HTTP/1.1\r\nhost: evil.example\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = raw_request(proxy, rebinding.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("forbidden_host"), "{answer}");
    let client = reqwest::Client::new();
    let post = |origin: String| {
        client
            .post(format!("http://{proxy}/api/calls/call_h/recordings"))
            .header("content-type", "application/json")
            .header("origin", origin)
            .body(body)
            .send()
    };
    let foreign = post("https://evil.example".into()).await.unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().await.unwrap().contains("forbidden_origin"));
    assert!(fake.requests().is_empty(), "nothing reached MiniVoice");
    let own = post(format!("http://{proxy}")).await.unwrap();
    assert_eq!(own.status(), 200, "the widget's own page is served");
    assert_eq!(fake.requests().len(), 1);
}

fn token(keys: &TokenKeys, agent: &str, exp: u64) -> String {
    keys.sign(&Claims {
        sub: agent.into(),
        calls: vec!["*".into()],
        exp,
        ..Default::default()
    })
}

async fn open_stream(
    proxy: SocketAddr,
    call_id: &str,
    token: &str,
    last: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!(
        "http://{proxy}/api/calls/{call_id}/events?access_token={token}"
    ));
    if let Some(id) = last {
        req = req.header("last-event-id", id);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn one_agent_cannot_hold_every_stream_and_streams_end_with_their_token() {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.token_secret.secret = Some(Secret::new(TOKEN_SECRET));
    cfg.max_streams_per_agent = 2;
    let proxy = starts(cfg).await;
    let keys = TokenKeys::new(&Secret::new(TOKEN_SECRET)).unwrap();
    let alice = token(&keys, "alice", unix_now() + 600);
    let mut held = vec![];
    for i in 0..2 {
        let s = open_stream(proxy, &format!("call_{i}"), &alice, None).await;
        assert_eq!(s.status(), 200);
        held.push(s);
    }
    let third = open_stream(proxy, "call_9", &alice, None).await;
    assert_eq!(third.status(), 429);
    assert!(third.text().await.unwrap().contains("too_many_streams"));
    let bob = token(&keys, "bob", unix_now() + 600);
    assert_eq!(open_stream(proxy, "call_9", &bob, None).await.status(), 200);
    drop(held);
    // A stream ends when its token expires.
    let brief = token(&keys, "carol", unix_now() + 2);
    let mut stream = open_stream(proxy, "call_b", &brief, None).await;
    assert_eq!(stream.status(), 200);
    let ended = tokio::time::timeout(Duration::from_secs(8), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its token");
}

#[tokio::test]
async fn any_last_event_id_is_answered_without_a_panic() {
    let proxy = sandbox_proxy(2000).await;
    for last in [
        "18446744073709551615",
        "18446744073709551614",
        "0",
        "-1",
        "x",
    ] {
        let mut s = reqwest::Client::new()
            .get(format!("http://{proxy}/api/calls/call_l/events"))
            .header("last-event-id", last)
            .send()
            .await
            .unwrap();
        assert_eq!(s.status(), 200, "{last}");
        if last.starts_with("1844") {
            let first = tokio::time::timeout(Duration::from_secs(5), s.chunk())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&first).contains("event: resync"),
                "{last}"
            );
        }
    }
    assert_eq!(call(proxy, "GET", "/healthz", None, "").await.status, 200);
}

#[tokio::test]
async fn slow_clients_cannot_hold_connections() {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.header_read_timeout_ms = 300;
    cfg.body_timeout_ms = 300;
    let proxy = starts(cfg).await;
    // Headers that never end: the proxy closes the connection.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(proxy).await.unwrap();
    sock.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(3), sock.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "a client trickling headers kept its connection"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    // A body that never arrives: 408.
    let answer = raw_request(
        proxy,
        b"POST /api/calls/c/recordings HTTP/1.1\r\nhost: 127.0.0.1\r\n\
          content-type: application/json\r\ncontent-length: 18\r\n\r\n{\"act",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

async fn activity(proxy: SocketAddr, call_id: &str) -> serde_json::Value {
    call(
        proxy,
        "GET",
        &format!("/api/calls/{call_id}/activity"),
        None,
        "",
    )
    .await
    .json()["data"]
        .clone()
}

#[tokio::test]
async fn a_start_whose_browser_went_away_is_still_on_record() {
    let fake = Fake::start(Script::Slow(
        Duration::from_millis(400),
        StatusCode::OK,
        fixture("start_recording.response.json"),
    ))
    .await;
    let proxy = proxy_to(&fake.base_url(), 5000).await;
    let gone = reqwest::Client::new()
        .post(format!("http://{proxy}/api/calls/call_123/recordings"))
        .header("content-type", "application/json")
        .body(r#"{"action":"start"}"#)
        .timeout(Duration::from_millis(50))
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up first");
    wait_until("the result on record", Duration::from_secs(5), || async {
        activity(proxy, "call_123").await[0]["recording_id"] == "rec_call_123"
    })
    .await;
    let entry = &activity(proxy, "call_123").await[0];
    assert!(entry.get("pending").is_none(), "{entry}");
    assert!(entry.get("sandbox").is_none(), "a real key: {entry}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn without_an_audit_trail_nothing_is_forwarded() {
    let fake = Fake::start(Script::Reply(
        StatusCode::OK,
        fixture("start_recording.response.json"),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = fake.base_url();
    cfg.database_url = Some(url.clone());
    let proxy = starts(cfg).await;
    // Break the store from outside, as a full disk or a bad migration would.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("ALTER TABLE actions RENAME TO actions_elsewhere")
        .execute(&pool)
        .await
        .unwrap();
    let a = post_action(proxy, "call_s", "start").await;
    assert_eq!((a.status, a.code().as_str()), (503, "store_unavailable"));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn actions_against_the_sandbox_say_so_in_the_trail() {
    let proxy = sandbox_proxy(2000).await;
    assert_eq!(post_action(proxy, "call_sb", "start").await.status, 200);
    let entry = &activity(proxy, "call_sb").await[0];
    assert_eq!(entry["sandbox"], true, "{entry}");
    assert_eq!(entry["recording_id"], "rec_call_sb");
}
