//! Forwarded is never local: a request that a reverse proxy passed on (`Forwarded`,
//! `X-Forwarded-For`, `X-Real-IP`) comes from elsewhere, whatever its TCP peer; with
//! `PUBLIC_URL` no request is local, and every refusal of a non-loopback address applies.
//! What needs no credential (the API without tokens, unsigned webhooks, the inspector without
//! tokens) is this machine's only, unless the operator opened it explicitly.

use std::time::Duration;

use axum::http::StatusCode;
use minivoice_proxy::Secret;

use testkit::*;

/// What a reverse proxy on this host adds, each alone.
const FORWARDING: [(&str, &str); 3] = [
    ("x-forwarded-for", "8.8.8.8"),
    ("forwarded", "for=8.8.8.8;proto=https"),
    ("x-real-ip", "8.8.8.8"),
];

/// A real key, no token secret, no webhook secret, on loopback: what an operator who left the
/// secrets out runs. Requests come from 127.0.0.1, with `Host: localhost`, as through nginx.
async fn without_secrets(
    adjust: impl FnOnce(&mut minivoice_proxy::ServeConfig),
) -> (TestApp, Fake) {
    let fake = Fake::accepting_starts().await;
    let mut cfg = forwarding_config(&fake.base_url(), 2_000);
    adjust(&mut cfg);
    (TestApp::spawn(cfg).await, fake)
}

async fn start(app: &TestApp, call_id: &str, header: Option<(&str, &str)>) -> Answer {
    let mut req = app
        .request("POST", &format!("/api/calls/{call_id}/recordings"))
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(r#"{"action":"start"}"#);
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    app.send(req).await
}

async fn unsigned_webhook(app: &TestApp, call_id: &str, header: Option<(&str, &str)>) -> Answer {
    let mut req = app
        .request("POST", "/webhooks/minivoice")
        .header("host", "recordings.example.com")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"event":"call.completed","call":{{"id":"{call_id}"}}}}"#
        ));
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    app.send(req).await
}

async fn inspector(app: &TestApp, header: Option<(&str, &str)>) -> Answer {
    let mut req = app
        .request("GET", "/api/webhooks/deliveries")
        .header("host", "localhost");
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    app.send(req).await
}

#[tokio::test]
async fn what_a_reverse_proxy_forwards_gets_nothing_that_needs_no_credential() {
    let (app, fake) = without_secrets(|_| {}).await;
    for (i, header) in FORWARDING.iter().enumerate() {
        let call = format!("call_fw{i}");
        let a = start(&app, &call, Some(*header)).await;
        assert_eq!(
            (a.status, a.code().as_str()),
            (403, "forbidden_remote"),
            "{header:?}"
        );
        assert!(a.text.contains("X-Forwarded-For"), "{}", a.text);
        let w = unsigned_webhook(&app, &call, Some(*header)).await;
        assert_eq!(
            (w.status, w.code().as_str()),
            (403, "forbidden_remote"),
            "{header:?}"
        );
        assert!(w.text.contains("MINIVOICE_WEBHOOK_SECRET"), "{}", w.text);
        let d = inspector(&app, Some(*header)).await;
        assert_eq!(d.status, 403, "{header:?}: {}", d.text);
    }
    assert!(
        fake.requests().is_empty(),
        "a forwarded start reached MiniVoice"
    );

    // From this machine itself, all of it works as before.
    assert_eq!(start(&app, "call_fw_local", None).await.status, 200);
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(
        unsigned_webhook(&app, "call_fw_local", None).await.status,
        202
    );
    wait_until(
        "the local webhook applied",
        Duration::from_secs(5),
        || async { app.call_status("call_fw_local").await == "completed" },
    )
    .await;
    // Deliveries are applied in order: the refused ones, had they been taken, would be too.
    for i in 0..FORWARDING.len() {
        let status = app.call_status(&format!("call_fw{i}")).await;
        assert_ne!(
            status, "completed",
            "call_fw{i} was completed by a forwarded webhook"
        );
    }
    let listed = inspector(&app, None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let refused: Vec<_> = listed.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["verdict"] == "not_local")
        .map(|d| d["status"].clone())
        .collect();
    assert_eq!(refused, vec![serde_json::json!(403); 3], "{}", listed.text);
}

#[tokio::test]
async fn the_inspector_without_tokens_is_this_machines_in_sandbox_mode_too() {
    let app = TestApp::sandbox().await;
    for header in FORWARDING {
        let d = inspector(&app, Some(header)).await;
        assert_eq!(
            (d.status, d.code().as_str()),
            (403, "supervisor_required"),
            "{header:?}"
        );
    }
    assert_eq!(inspector(&app, None).await.status, 200);
}

#[tokio::test]
async fn the_explicit_opt_ins_still_open_what_they_name_to_others() {
    let (app, fake) = without_secrets(|c| {
        c.allow_anonymous = true;
        c.allow_unsigned_webhooks = true;
    })
    .await;
    let forwarded = Some(FORWARDING[0]);
    assert_eq!(start(&app, "call_optin", forwarded).await.status, 200);
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(
        unsigned_webhook(&app, "call_optin", forwarded).await.status,
        202
    );
    // The inspector has no such switch: without tokens it stays this machine's.
    assert_eq!(inspector(&app, forwarded).await.status, 403);
}

#[tokio::test]
async fn with_a_public_url_no_request_is_local() {
    // Opened explicitly (or the start would be refused), signed webhooks: the inspector is
    // what is left to this machine, and with PUBLIC_URL even loopback is not this machine.
    let (app, _fake) = without_secrets(|c| {
        c.public_url = Some("https://recordings.example.com".parse().unwrap());
        c.allow_anonymous = true;
        c.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    })
    .await;
    let d = inspector(&app, None).await;
    assert_eq!((d.status, d.code().as_str()), (403, "supervisor_required"));
    let w = unsigned_webhook(&app, "call_pub", None).await;
    assert_eq!(w.status, 401, "signed webhooks are checked as ever");
}

#[tokio::test]
async fn a_public_url_brings_every_refusal_of_a_public_address() {
    let public = ("PUBLIC_URL", "https://recordings.example.com".to_owned());
    let limit = Duration::from_secs(10);
    let with_key = refused_start(&[public.clone(), ("MINIVOICE_API_KEY", KEY.into())], limit).await;
    for named in [
        "PUBLIC_URL",
        "WIDGET_TOKEN_SECRET",
        "MINIVOICE_WEBHOOK_SECRET",
    ] {
        assert!(with_key.contains(named), "{named}: {with_key}");
    }
    let sandbox = refused_start(
        &[public.clone(), ("WIDGET_TOKEN_SECRET", TOKEN_SECRET.into())],
        limit,
    )
    .await;
    assert!(
        sandbox.contains("MINIVOICE_API_KEY") && sandbox.contains("--sandbox"),
        "{sandbox}"
    );
    let bad = refused_start(&[("PUBLIC_URL", "recordings.example.com".into())], limit).await;
    assert!(
        bad.contains("PUBLIC_URL") && bad.contains("https://"),
        "{bad}"
    );

    // With every secret it starts, on loopback, and answers.
    let proxy = Proxy::launch(
        &[],
        &[
            public,
            ("DATABASE_URL", "sqlite::memory:".into()),
            ("MINIVOICE_API_KEY", KEY.into()),
            ("MINIVOICE_BASE_URL", dead_upstream()),
            ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("WIDGET_TOKEN_SECRET", TOKEN_SECRET.into()),
        ],
    )
    .await;
    assert_eq!(
        proxy.app().get("/healthz").await.status,
        StatusCode::OK.as_u16()
    );
    proxy.kill_hard();
}
