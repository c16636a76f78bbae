//! Who may press the button: agent tokens checked before anything reaches MiniVoice, and the
//! audit trail of every attempt.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use minivoice_proxy::auth::{unix_now, Claims, TokenKeys, ALL_CALLS};
use minivoice_proxy::{Secret, ServeConfig};

const SECRET: &str = "test-secret-0123456789abcdef-0123456789";

fn keys() -> TokenKeys {
    TokenKeys::new(&Secret::new(SECRET)).unwrap()
}

fn token(agent: &str, calls: &[&str]) -> String {
    let calls: Vec<String> = calls.iter().map(|c| c.to_string()).collect();
    keys().mint(agent, &calls, Duration::from_secs(600))
}

/// A proxy config with a real key and a token secret, forwarding to `base_url`.
fn guarded_config(base_url: &str, db: Option<&str>) -> ServeConfig {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = base_url.to_owned();
    cfg.token_secret.secret = Some(Secret::new(SECRET));
    if let Some(db) = db {
        cfg.database_url = Some(db.to_owned());
    }
    cfg
}

async fn guarded_proxy(base_url: &str, db: Option<&str>) -> SocketAddr {
    minivoice_proxy::start(guarded_config(base_url, db), std::future::pending())
        .await
        .unwrap()
        .addr
}

/// A standalone sandbox expecting our key, as the upstream: its base URL.
async fn sandbox_upstream() -> String {
    let addr =
        minivoice_proxy::sandbox::spawn("127.0.0.1:0".parse().unwrap(), Some(Secret::new(KEY)))
            .await
            .unwrap();
    format!("http://{addr}")
}

async fn send(
    proxy: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req =
        reqwest::Client::new().request(method.parse().unwrap(), format!("http://{proxy}{path}"));
    if let Some(t) = bearer {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

#[tokio::test]
async fn bad_tokens_are_refused_before_minivoice() {
    let fake = Fake::start(Script::Reply(
        StatusCode::OK,
        fixture("start_recording.response.json"),
    ))
    .await;
    let proxy = guarded_proxy(&fake.base_url(), None).await;
    let other = TokenKeys::new(&Secret::new("another-secret-0123456789abcdef-012345"))
        .unwrap()
        .mint("mallory", &["call_123".into()], Duration::from_secs(600));
    let expired = keys().sign(&Claims {
        sub: "alice".into(),
        calls: vec!["call_123".into()],
        iat: Some(unix_now() - 3600),
        exp: unix_now() - 600,
        ..Default::default()
    });
    let alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsImNhbGxzIjpbIioiXSwiZXhwIjo5OTk5OTk5OTk5fQ.";
    let start = Some(r#"{"action":"start"}"#);
    let unauthorized: Vec<(Option<&str>, &str)> = vec![
        (None, "missing"),
        (Some("not-a-jwt"), "malformed"),
        (Some(""), "empty"),
        (Some(&other), "forged"),
        (Some(&expired), "expired"),
        (Some(alg_none), "alg none"),
    ];
    for (bearer, what) in &unauthorized {
        for (method, path, body) in [
            ("POST", "/api/calls/call_123/recordings", start),
            ("GET", "/api/calls/call_123/recordings", None),
            ("GET", "/api/calls/call_123/recordings/rec_call_123", None),
            ("GET", "/api/calls/call_123/activity", None),
        ] {
            let (status, body) = send(proxy, method, path, *bearer, body).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (401, Some("unauthorized")),
                "{what} {method} {path}"
            );
        }
    }
    let bobs = token("bob", &["call_999"]);
    for (method, path, body) in [
        ("POST", "/api/calls/call_123/recordings", start),
        ("GET", "/api/calls/call_123/recordings", None),
        ("GET", "/api/calls/call_123/activity", None),
    ] {
        let (status, body) = send(proxy, method, path, Some(&bobs), body).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("forbidden_call")),
            "{method} {path}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "MiniVoice saw {:?}",
        fake.requests()
    );

    // The right token goes through, and a supervisor's covers every call.
    let (status, _) = send(
        proxy,
        "POST",
        "/api/calls/call_123/recordings",
        Some(&token("alice", &["call_123"])),
        start,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        proxy,
        "POST",
        "/api/calls/any_call/recordings",
        Some(&token("sup", &[ALL_CALLS])),
        start,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fake.requests().len(), 2);
    let (_, history) = send(
        proxy,
        "GET",
        "/api/calls/call_123/activity",
        Some(&token("alice", &["call_123"])),
        None,
    )
    .await;
    assert_eq!(history["data"][0]["agent"], "alice");
    assert_eq!(history["data"][0]["recording_id"], "rec_call_123");
}

#[tokio::test]
async fn listening_beyond_loopback_needs_a_secret_or_an_explicit_opt_out() {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.listen_addr = "0.0.0.0:0".parse().unwrap();
    cfg.sandbox = true;
    let err = minivoice_proxy::start(cfg.clone(), std::future::pending())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("WIDGET_TOKEN_SECRET"), "{err}");
    cfg.allow_anonymous = true;
    assert!(minivoice_proxy::start(cfg.clone(), std::future::pending())
        .await
        .is_ok());
    cfg.allow_anonymous = false;
    cfg.token_secret.secret = Some(Secret::new("too-short"));
    assert!(minivoice_proxy::start(cfg.clone(), std::future::pending())
        .await
        .is_err());
    cfg.token_secret.secret = Some(Secret::new(SECRET));
    assert!(minivoice_proxy::start(cfg, std::future::pending())
        .await
        .is_ok());
}

#[tokio::test]
async fn the_token_command_mints_what_the_proxy_accepts() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_minivoice-proxy"))
        .args([
            "token", "--agent", "alice", "--call", "call_123", "--call", "call_7", "--ttl", "15m",
        ])
        .env("WIDGET_TOKEN_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let minted = String::from_utf8(out.stdout).unwrap();
    let agent = keys().verify(minted.trim()).unwrap();
    assert_eq!(agent.name, "alice");
    assert!(agent.may_act_on("call_7") && !agent.may_act_on("call_8"));
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_minivoice-proxy"))
        .args(["token", "--agent", "alice", "--call", "c"])
        .env_remove("WIDGET_TOKEN_SECRET")
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[tokio::test]
async fn history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("audit.db").display());
    let start_twice = |proxy: SocketAddr| async move {
        let t = token("alice", &["call_r"]);
        let (s1, _) = send(
            proxy,
            "POST",
            "/api/calls/call_r/recordings",
            Some(&t),
            Some(r#"{"action":"start"}"#),
        )
        .await;
        let (s2, _) = send(
            proxy,
            "POST",
            "/api/calls/call_r/recordings",
            Some(&t),
            Some(r#"{"action":"start"}"#),
        )
        .await;
        (s1, s2)
    };
    {
        let cfg = guarded_config(&sandbox_upstream().await, Some(&db));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = minivoice_proxy::start(cfg, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        assert_eq!(start_twice(running.addr).await, (200, 409));
        stop.send(()).unwrap();
        running.served.await.unwrap().unwrap();
    }
    let fake = Fake::start(Script::Reply(StatusCode::OK, "{}")).await;
    let proxy = guarded_proxy(&fake.base_url(), Some(&db)).await;
    let (status, history) = send(
        proxy,
        "GET",
        "/api/calls/call_r/activity",
        Some(&token("alice", &["call_r"])),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let entries = history["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history}");
    assert_eq!(entries[0]["error_code"], "recording_already_started");
    assert_eq!(entries[1]["recording_id"], "rec_call_r");
    assert!(entries[1]["request_id"]
        .as_str()
        .unwrap()
        .starts_with("req_"));
}

#[tokio::test]
async fn fifty_concurrent_actions_are_all_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("audit.db").display());
    let proxy = guarded_proxy(&sandbox_upstream().await, Some(&db)).await;
    let sup = token("supervisor", &[ALL_CALLS]);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let sup = sup.clone();
            tokio::spawn(async move {
                send(
                    proxy,
                    "POST",
                    &format!("/api/calls/conc_{i}/recordings"),
                    Some(&sup),
                    Some(r#"{"action":"start"}"#),
                )
                .await
                .0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    for i in 0..50 {
        let (_, h) = send(
            proxy,
            "GET",
            &format!("/api/calls/conc_{i}/activity"),
            Some(&sup),
            None,
        )
        .await;
        let entries = h["data"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "call {i}: {h}");
        assert_eq!(entries[0]["recording_id"], format!("rec_conc_{i}"));
        assert_eq!(entries[0]["agent"], "supervisor");
    }
}

#[tokio::test]
async fn token_times_iat_nbf_and_lifetime_are_honoured() {
    let proxy = guarded_proxy(&sandbox_upstream().await, None).await;
    let now = unix_now();
    let claims = |iat: Option<u64>, nbf: Option<u64>, exp: u64| {
        keys().sign(&Claims {
            sub: "alice".into(),
            calls: vec!["call_t".into()],
            iat,
            nbf,
            exp,
            ..Default::default()
        })
    };
    let cases = [
        (claims(None, None, now + 600), 200, "no iat: optional"),
        (
            claims(Some(now), Some(now + 3600), now + 7200),
            401,
            "nbf an hour ahead",
        ),
        (
            claims(Some(now - 60), Some(now - 60), now + 600),
            200,
            "nbf passed",
        ),
        (claims(Some(now), None, now + 400 * 86_400), 401, "400 days"),
        (
            claims(None, None, now + 400 * 86_400),
            401,
            "400 days without iat",
        ),
        (
            claims(Some(now), None, now + 23 * 3600),
            200,
            "within MAX_TOKEN_TTL",
        ),
    ];
    for (token, want, what) in cases {
        let (status, _) = send(
            proxy,
            "GET",
            "/api/calls/call_t/recordings",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, want, "{what}");
    }
}

#[tokio::test]
async fn audience_and_issuer_are_checked_when_configured() {
    let mut cfg = guarded_config(&sandbox_upstream().await, None);
    cfg.token_policy.token_audience = Some("minivoice-widget".into());
    cfg.token_policy.token_issuer = Some("crm.example".into());
    let proxy = minivoice_proxy::start(cfg.clone(), std::future::pending())
        .await
        .unwrap()
        .addr;
    let policed = TokenKeys::with_policy(&Secret::new(SECRET), cfg.token_policy.clone()).unwrap();
    let good = policed.mint("alice", &["call_a".into()], Duration::from_secs(60));
    let path = "/api/calls/call_a/recordings";
    assert_eq!(send(proxy, "GET", path, Some(&good), None).await.0, 200);
    assert_eq!(
        send(proxy, "GET", path, Some(&token("alice", &["call_a"])), None)
            .await
            .0,
        401
    );
    let wrong_aud = keys().sign(&Claims {
        sub: "alice".into(),
        calls: vec!["call_a".into()],
        exp: unix_now() + 60,
        aud: Some("another-app".into()),
        iss: Some("crm.example".into()),
        ..Default::default()
    });
    assert_eq!(
        send(proxy, "GET", path, Some(&wrong_aud), None).await.0,
        401
    );
}
