//! Who may press the button: agent tokens checked before anything reaches MiniVoice, and the
//! audit trail of every attempt.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use minivoice_proxy::auth::{unix_now, Claims, TokenKeys, ALL_CALLS};
use minivoice_proxy::Secret;
use testkit::*;

#[tokio::test]
async fn bad_tokens_are_refused_before_minivoice() {
    let fake = Fake::accepting_starts().await;
    let app = TestApp::guarded(&fake.base_url(), |_| {}).await;
    let other = TokenKeys::new(&Secret::new("another-secret-0123456789abcdef-012345"))
        .unwrap()
        .mint("mallory", &["call_123".into()], Duration::from_secs(600));
    let expired = signed(&Claims {
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
            let a = app.call_as(method, path, *bearer, body).await;
            assert_eq!(
                (a.status, a.code().as_str()),
                (401, "unauthorized"),
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
        let a = app.call_as(method, path, Some(&bobs), body).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (403, "forbidden_call"),
            "{method} {path}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "MiniVoice saw {:?}",
        fake.requests()
    );

    // The right token goes through, and a supervisor's covers every call.
    let alice = token("alice", &["call_123"]);
    assert_eq!(
        app.post_action_as("call_123", "start", &alice).await.status,
        200
    );
    let sup = token("sup", &[ALL_CALLS]);
    assert_eq!(
        app.post_action_as("any_call", "start", &sup).await.status,
        200
    );
    assert_eq!(fake.requests().len(), 2);
    let history = app.activity("call_123", Some(&alice)).await.json();
    assert_eq!(history["data"][0]["agent"], "alice");
    assert_eq!(history["data"][0]["recording_id"], "rec_call_123");
}

#[tokio::test]
async fn listening_beyond_loopback_needs_a_secret_or_an_explicit_opt_out() {
    let mut cfg = sandbox_config();
    cfg.listen_addr = "0.0.0.0:0".parse().unwrap();
    cfg.sandbox = true;
    let err = refusal(cfg.clone()).await;
    assert!(err.contains("WIDGET_TOKEN_SECRET"), "{err}");
    cfg.allow_anonymous = true;
    starts(cfg.clone()).await;
    cfg.allow_anonymous = false;
    cfg.token_secret.secret = Some(Secret::new("too-short"));
    refusal(cfg.clone()).await;
    require_tokens(&mut cfg);
    starts(cfg).await;
}

#[tokio::test]
async fn the_token_command_mints_what_the_proxy_accepts() {
    let minted = stdout_of(
        &[
            "token", "--agent", "alice", "--call", "call_123", "--call", "call_7", "--ttl", "15m",
        ],
        &[("WIDGET_TOKEN_SECRET", TOKEN_SECRET.into())],
    );
    let agent = keys().verify(minted.trim()).unwrap();
    assert_eq!(agent.name, "alice");
    assert!(agent.may_act_on("call_7") && !agent.may_act_on("call_8"));
    let missing = command(&["token", "--agent", "alice", "--call", "c"], &[])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[tokio::test]
async fn history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("audit.db").display());
    let alice = token("alice", &["call_r"]);
    {
        let mut cfg = guarded_config(&sandbox_upstream().await);
        cfg.database_url = Some(Secret::new(db.clone()));
        let (app, stop) = TestApp::spawn_stoppable(cfg).await;
        let first = app.post_action_as("call_r", "start", &alice).await.status;
        let second = app.post_action_as("call_r", "start", &alice).await.status;
        assert_eq!((first, second), (200, 409));
        stop.signal().await.unwrap().unwrap();
    }
    let fake = Fake::start(Script::Reply(StatusCode::OK, "{}")).await;
    let app = TestApp::guarded(&fake.base_url(), |c| c.database_url = Some(Secret::new(db))).await;
    let a = app.activity("call_r", Some(&alice)).await;
    assert_eq!(a.status, 200);
    let history = a.json();
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
    let app = TestApp::guarded(&sandbox_upstream().await, |c| {
        c.database_url = Some(Secret::new(db))
    })
    .await;
    let sup = token("supervisor", &[ALL_CALLS]);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, sup) = (app.clone(), sup.clone());
            tokio::spawn(async move {
                app.post_action_as(&format!("conc_{i}"), "start", &sup)
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    for i in 0..50 {
        let h = app.activity(&format!("conc_{i}"), Some(&sup)).await.json();
        let entries = h["data"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "call {i}: {h}");
        assert_eq!(entries[0]["recording_id"], format!("rec_conc_{i}"));
        assert_eq!(entries[0]["agent"], "supervisor");
    }
}

#[tokio::test]
async fn token_times_iat_nbf_and_lifetime_are_honoured() {
    let app = TestApp::guarded(&sandbox_upstream().await, |_| {}).await;
    let now = unix_now();
    let claims = |iat: Option<u64>, nbf: Option<u64>, exp: u64| {
        signed(&Claims {
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
            claims(Some(now + 399 * 86_400), None, now + 400 * 86_400),
            401,
            "iat in the future, to look short-lived",
        ),
        (
            claims(Some(now), None, now + 23 * 3600),
            200,
            "within MAX_TOKEN_TTL",
        ),
    ];
    for (token, want, what) in cases {
        let a = app
            .call_as("GET", "/api/calls/call_t/recordings", Some(&token), None)
            .await;
        assert_eq!(a.status, want, "{what}");
    }
}

#[tokio::test]
async fn audience_and_issuer_are_checked_when_configured() {
    let mut policy = sandbox_config().token_policy;
    policy.token_audience = Some("minivoice-widget".into());
    policy.token_issuer = Some("crm.example".into());
    let app = TestApp::guarded(&sandbox_upstream().await, |c| {
        c.token_policy = policy.clone()
    })
    .await;
    let policed = TokenKeys::with_policy(&Secret::new(TOKEN_SECRET), policy).unwrap();
    let good = policed.mint("alice", &["call_a".into()], Duration::from_secs(60));
    let list = |t: String| {
        let app = app.clone();
        async move {
            app.call_as("GET", "/api/calls/call_a/recordings", Some(&t), None)
                .await
                .status
        }
    };
    assert_eq!(list(good).await, 200);
    assert_eq!(list(token("alice", &["call_a"])).await, 401);
    let wrong_aud = signed(&Claims {
        sub: "alice".into(),
        calls: vec!["call_a".into()],
        exp: unix_now() + 60,
        aud: Some("another-app".into()),
        iss: Some("crm.example".into()),
        ..Default::default()
    });
    assert_eq!(list(wrong_aud).await, 401);
}

#[tokio::test]
async fn agent_names_are_printable_at_most_128_characters_and_never_system() {
    let fake = Fake::accepting_starts().await;
    let app = TestApp::guarded(&fake.base_url(), |_| {}).await;
    let as_agent = |sub: String| {
        signed(&Claims {
            sub,
            calls: vec!["call_names".into()],
            iat: Some(unix_now()),
            exp: unix_now() + 600,
            ..Default::default()
        })
    };
    for (sub, what) in [
        ("eve\nINFO forged line".to_owned(), "a newline"),
        ("eve\u{1b}[31mred".to_owned(), "an escape sequence"),
        ("eve\u{85}".to_owned(), "a C1 control"),
        ("é".repeat(129), "129 characters"),
        ("system".to_owned(), "the automatic resume's name"),
    ] {
        let a = app
            .post_action_as("call_names", "start", &as_agent(sub))
            .await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (401, "unauthorized"),
            "{what}"
        );
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // 128 characters (256 bytes), printable, spaces included: a name.
    let longest = format!("Ana María {}", "é".repeat(118));
    assert_eq!(longest.chars().count(), 128);
    let a = app
        .post_action_as("call_names", "start", &as_agent(longest.clone()))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let trail = app
        .activity("call_names", Some(&as_agent(longest.clone())))
        .await;
    assert_eq!(trail.json()["data"][0]["agent"], longest.as_str());

    // Minting refuses the same names.
    for agent in ["system", "eve\nforged", ""] {
        let out = command(
            &["token", "--agent", agent, "--call", "call_names"],
            &[("WIDGET_TOKEN_SECRET", TOKEN_SECRET.into())],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
        assert!(!out.status.success(), "{agent:?} was minted");
        assert!(out.stdout.is_empty(), "{agent:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--agent"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
