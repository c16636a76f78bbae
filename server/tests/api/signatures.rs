//! Who signs what: both secrets rotate without a window of refusals (several secrets, any
//! verifies, the first signs; a token's `kid` picks its secret; a signature header may carry
//! several signatures), and a verified delivery is acknowledged whatever its bytes.

use std::time::{Duration, Instant};

use minivoice_proxy::auth::{key_id, unix_now, TokenKeys};
use minivoice_proxy::Secret;
use serde_json::Value;
use testkit::*;

/// JSON but for two bytes that are not UTF-8 (and a NUL, which PostgreSQL's text refuses).
const NOT_UTF8: &[u8] = b"{\"event\":\"call.completed\",\"call\":{\"id\":\"call_bytes\"},\
                          \"note\":\"\xff\xfe\x00\"}";
/// A secret neither proxy holds.
const STRANGER: &str = "whsec_c3RyYW5nZXItc2VjcmV0LW5vYm9keS1ob2xkcy1pdA==";
const STRANGE_TOKEN_SECRET: &str = "stranger-token-secret-nobody-holds-0123456789";

/// The inspector's newest accepted entry that `pick` selects, once it is there and `done`.
async fn inspected(
    app: &TestApp,
    pick: impl Fn(&Value) -> bool,
    done: fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = app.deliveries("?verdict=accepted&limit=500", None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let list = answer.json()["data"].as_array().cloned().unwrap();
        if let Some(entry) = list.into_iter().find(|d| pick(d)).filter(done) {
            return entry;
        }
        assert!(Instant::now() < deadline, "not in the inspector in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The inspector's accepted entry for delivery `id`, once the worker has processed it.
async fn processed_delivery(app: &TestApp, id: &str) -> Value {
    inspected(app, |d| d["delivery_id"] == id, |d| d["effect"].is_string()).await
}

#[tokio::test]
async fn webhook_secrets_rotate_any_verifies_and_one_matching_signature_suffices() {
    let rotating = format!("{NEW_WEBHOOK_SECRET} {WEBHOOK_SECRET}");
    let app =
        TestApp::receiving_webhooks(|c| c.webhook_secret = Some(Secret::new(&rotating))).await;
    let now = unix_now();
    let deliver = |id: &'static str, secret: &'static str| {
        let body = call_completed(&format!("call_{id}"));
        let app = &app;
        async move { app.deliver_at(id, now, &body, secret).await.0 }
    };
    assert_eq!(deliver("rot_old", WEBHOOK_SECRET).await, 202);
    assert_eq!(deliver("rot_new", NEW_WEBHOOK_SECRET).await, 202);
    assert_eq!(deliver("rot_stranger", STRANGER).await, 401);
    let body = call_completed("call_rot_two");
    let two = format!(
        "{} {}",
        sign("rot_two", now, &body, STRANGER),
        sign("rot_two", now, &body, WEBHOOK_SECRET)
    );
    assert_eq!(
        app.deliver_signed("rot_two", now, body.as_bytes(), two)
            .await,
        202,
        "one matching signature among several is enough"
    );
    let none = format!(
        "{} {}",
        sign("rot_none", now, &body, STRANGER),
        sign("rot_none", now, &body, STRANGER).replace("v1,", "v2,")
    );
    assert_eq!(
        app.deliver_signed("rot_none", now, body.as_bytes(), none)
            .await,
        401
    );
    for call in ["call_rot_old", "call_rot_new", "call_rot_two"] {
        wait_until(
            &format!("{call} completed"),
            Duration::from_secs(10),
            || async { app.call_status(call).await == "completed" },
        )
        .await;
    }
    assert_eq!(app.call_status("call_rot_stranger").await, Value::Null);
    // The inspector tells when the old secret is still in use, so it is known when to drop it.
    let by_old = processed_delivery(&app, "rot_old").await;
    let why = by_old["detail"].as_str().unwrap_or_default();
    assert!(
        why.contains("secret 2 of MINIVOICE_WEBHOOK_SECRET"),
        "{by_old}"
    );
    let by_new = processed_delivery(&app, "rot_new").await;
    assert!(by_new.get("detail").is_none(), "{by_new}");

    // Not a no-op: with only the old secret, the new one's deliveries are refused.
    let old_only = TestApp::receiving_webhooks(|_| {}).await;
    let body = call_completed("call_rot_later");
    assert_eq!(
        old_only
            .deliver_at("rot_later", now, &body, NEW_WEBHOOK_SECRET)
            .await
            .0,
        401
    );
    assert_eq!(
        old_only
            .deliver_at("rot_later", now, &body, WEBHOOK_SECRET)
            .await
            .0,
        202
    );
}

/// The secrets from a file (a secret mount), one a line, verify as from the variable; the
/// start-up refusals see them; and the variable and the file at once are refused.
#[tokio::test]
async fn webhook_secrets_from_a_file_one_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("webhook-secret");
    std::fs::write(&file, format!("{NEW_WEBHOOK_SECRET}\n{WEBHOOK_SECRET}\n")).unwrap();
    let app = TestApp::receiving_webhooks(|c| {
        c.webhook_secret = None;
        c.webhook_secret_file = Some(file.clone());
    })
    .await;
    let now = unix_now();
    for (id, secret, status) in [
        ("file_old", WEBHOOK_SECRET, 202),
        ("file_new", NEW_WEBHOOK_SECRET, 202),
        ("file_stranger", STRANGER, 401),
    ] {
        let body = call_completed(&format!("call_{id}"));
        assert_eq!(
            app.deliver_at(id, now, &body, secret).await.0,
            status,
            "{id}"
        );
    }

    // The real binary, as a public address with a real key: the file answers the refusal of
    // unsigned webhooks (what is left is the token secret's).
    let limit = Duration::from_secs(10);
    let public = [
        ("PUBLIC_URL", "https://recordings.example.com".to_owned()),
        ("MINIVOICE_API_KEY", KEY.into()),
    ];
    let from_file = [("MINIVOICE_WEBHOOK_SECRET_FILE", file.display().to_string())];
    let why = refused_start(&[public.as_slice(), &from_file].concat(), limit).await;
    assert!(why.contains("WIDGET_TOKEN_SECRET"), "{why}");
    assert!(!why.contains("without MINIVOICE_WEBHOOK_SECRET"), "{why}");
    let both = [
        from_file[0].clone(),
        ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
    ];
    let why = refused_start(&both, limit).await;
    assert!(why.contains("cannot be used with"), "{why}");
}

#[tokio::test]
async fn the_sandbox_signs_its_webhooks_with_the_first_secret() {
    let rotating = format!("{NEW_WEBHOOK_SECRET} {WEBHOOK_SECRET}");
    let app =
        TestApp::receiving_webhooks(|c| c.webhook_secret = Some(Secret::new(&rotating))).await;
    assert_eq!(
        app.post_action("call_rot_sandbox", "start").await.status,
        200
    );
    let sent = inspected(&app, |_| true, |_| true).await;
    // The inspector shows the first 8 characters of each signature: enough to tell which
    // secret signed.
    let id = sent["delivery_id"].as_str().unwrap();
    let ts: u64 = sent["headers"]["webhook-timestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = sent["body"].as_str().unwrap();
    let shown = sent["headers"]["webhook-signature"].as_str().unwrap();
    let by_new = sign(id, ts, body, NEW_WEBHOOK_SECRET);
    let by_old = sign(id, ts, body, WEBHOOK_SECRET);
    assert_eq!(shown, format!("{}…", &by_new[..8]), "not {by_old}");
}

#[tokio::test]
async fn token_secrets_rotate_and_a_kid_picks_its_secret() {
    let rotating = format!("{NEW_TOKEN_SECRET} {TOKEN_SECRET}");
    let app = TestApp::with(|c| c.token_secret.secret = Some(Secret::new(&rotating))).await;
    let call = "call_rot_token";
    let status = |token: String| {
        let app = &app;
        async move {
            let path = format!("/api/calls/{call}/status");
            app.call_as("GET", &path, Some(&token), None).await.status
        }
    };
    let calls = [call.to_owned()];
    let ten_minutes = Duration::from_secs(600);
    let new_keys = TokenKeys::new(&Secret::new(NEW_TOKEN_SECRET)).unwrap();
    let old_keys = TokenKeys::new(&Secret::new(TOKEN_SECRET)).unwrap();
    let by_new = new_keys.mint("alice", &calls, ten_minutes);
    assert_eq!(kid_of(&by_new), Some(key_id(NEW_TOKEN_SECRET)));
    assert_eq!(status(by_new).await, 200);
    assert_eq!(
        status(old_keys.mint("alice", &calls, ten_minutes)).await,
        200
    );
    for secret in [NEW_TOKEN_SECRET, TOKEN_SECRET] {
        let without_kid = token_signed_by(secret, None, "alice", &[call]);
        assert_eq!(
            status(without_kid).await,
            200,
            "no kid: every secret is tried"
        );
    }
    let unknown_kid = token_signed_by(NEW_TOKEN_SECRET, Some("0badc0de"), "alice", &[call]);
    assert_eq!(status(unknown_kid).await, 401, "an unknown kid is refused");
    let old_named_new = key_id(NEW_TOKEN_SECRET);
    let wrong_kid = token_signed_by(TOKEN_SECRET, Some(&old_named_new), "alice", &[call]);
    assert_eq!(status(wrong_kid).await, 401, "the kid picks the secret");
    let stranger = token_signed_by(STRANGE_TOKEN_SECRET, None, "mallory", &[call]);
    assert_eq!(status(stranger).await, 401);

    // The real binary mints with the first secret and names it, from the variable or a
    // secret file of one secret a line.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token-secret");
    std::fs::write(&file, format!("{NEW_TOKEN_SECRET}\n{TOKEN_SECRET}\n")).unwrap();
    let file = file.to_str().unwrap().to_owned();
    for env in [
        ("WIDGET_TOKEN_SECRET", rotating.clone()),
        ("WIDGET_TOKEN_SECRET_FILE", file),
    ] {
        let minted = stdout_of(&["token", "--agent", "alice", "--call", call], &[env])
            .trim()
            .to_owned();
        assert_eq!(kid_of(&minted), Some(key_id(NEW_TOKEN_SECRET)));
        assert!(
            new_keys.verify(&minted).is_ok(),
            "signed with the first secret"
        );
        assert!(old_keys.verify(&minted).is_err());
        assert_eq!(status(minted).await, 200);
    }

    // Not a no-op: a proxy holding only the old secret refuses the new one's tokens.
    let old_only = TestApp::with(require_tokens).await;
    let path = format!("/api/calls/{call}/status");
    let by_new = new_keys.mint("alice", &calls, ten_minutes);
    let refused = old_only.call_as("GET", &path, Some(&by_new), None).await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_second_secret_that_is_short_or_malformed_is_refused_by_its_position() {
    let mut cfg = sandbox_config();
    cfg.token_secret.secret = Some(Secret::new(format!("{TOKEN_SECRET} tooShort-7q")));
    let why = refusal(cfg.clone()).await;
    assert!(
        why.contains("secret 2 of 2") && why.contains("32 bytes"),
        "{why}"
    );
    assert!(!why.contains("tooShort"), "never the secret itself: {why}");

    cfg.token_secret.secret = None;
    for (second, says) in [
        ("whsec_c2hvcnQ=", "at least 24 bytes"),
        ("whsec_n0t*base64*Xq!", "whsec_<base64>"),
    ] {
        cfg.webhook_secret = Some(Secret::new(format!("{WEBHOOK_SECRET} {second}")));
        let why = refusal(cfg.clone()).await;
        assert!(why.contains("secret 2 of 2") && why.contains(says), "{why}");
        assert!(
            !why.contains(&second[6..]),
            "never the secret itself: {why}"
        );
    }
}

/// On SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set: the inbox keeps bytes
/// (`BYTEA`), the inspector text (where a NUL is shown as U+FFFD too).
#[tokio::test]
async fn a_verified_body_that_is_not_utf8_is_acknowledged_kept_and_shown() {
    for url in databases().await.urls {
        let app = TestApp::receiving_webhooks(|c| on_database(c, &url)).await;
        let body = NOT_UTF8;
        let now = unix_now();
        let signed = sign_bytes("m_bytes", now, body, WEBHOOK_SECRET);
        assert_eq!(
            app.deliver_signed("m_bytes", now, body, signed.clone())
                .await,
            202
        );
        assert_eq!(
            app.deliver_signed("m_bytes", now, body, signed).await,
            200,
            "stored: a redelivery is a duplicate"
        );
        let forged = sign_bytes("m_bytes_forged", now, body, STRANGER);
        assert_eq!(
            app.deliver_signed("m_bytes_forged", now, body, forged)
                .await,
            401
        );
        assert_eq!(app.post_webhook(&[], body).await.status(), 401, "unsigned");

        let kept = processed_delivery(&app, "m_bytes").await;
        assert_eq!(kept["verified"], true);
        assert_eq!(kept["status"], 202);
        let effect = kept["effect"].as_str().unwrap();
        assert!(
            effect.starts_with("kept"),
            "an unknown shape, kept: {effect}"
        );
        let shown = kept["body"].as_str().unwrap();
        assert!(
            shown.contains("call_bytes") && shown.contains('\u{FFFD}'),
            "{shown}"
        );
        assert!(
            kept["detail"].as_str().unwrap().contains("not UTF-8"),
            "{kept}"
        );

        // The worker carried on.
        assert_eq!(
            app.deliver("m_after_bytes", &call_completed("call_after"))
                .await,
            202
        );
        let after = processed_delivery(&app, "m_after_bytes").await;
        assert_eq!(after["effect"], "call completed");
    }
}
