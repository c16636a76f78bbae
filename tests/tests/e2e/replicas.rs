//! Several replicas behind nginx, as a contact centre runs them: two windows on one call stay
//! in step across replicas, and when a replica dies its windows go on live through the other.
//! Behind nginx (`deploy/nginx.conf`) nothing is taken as coming from the replicas' own
//! machine, though nginx connects from 127.0.0.1 with the client's `Host`.

use std::net::SocketAddr;

use minivoice_e2e::deployment::{Deployment, WEBHOOK_SECRET};
use minivoice_e2e::{send_webhook, Harness, DEADLINE};

async fn live(h: &Harness) {
    h.wait_until("the stream is live", || async {
        h.text("[data-testid=live-state]").await.as_deref() == Some("Live")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_on_two_replicas_stay_in_step_and_survive_one_dying() {
    let mut d = Deployment::start(2).await;
    // One window straight on each replica, so the change must cross between them...
    let on_a = Harness::at(d.replicas[0].addr).await;
    let on_b = Harness::at(d.replicas[1].addr).await;
    // ...and one through nginx, which must carry on when a replica dies.
    let via_nginx = Harness::at(d.addr).await;
    // The documented deployment requires agent tokens: each window is given one.
    let token = Deployment::token("e2e_agent", &["e2e_replicas"]);
    for h in [&on_a, &on_b, &via_nginx] {
        h.open_call_as("e2e_replicas", &token).await;
        h.wait_for("[data-testid=empty]").await;
        live(h).await;
    }
    on_a.click("start").await;
    for h in [&on_b, &via_nginx] {
        h.wait_until("the start reached every replica's window", || async {
            h.row_statuses().await == ["started"]
        })
        .await;
    }

    d.stop_replica(0).await;
    on_a.close().await;
    live(&via_nginx).await;
    on_b.click("stop").await;
    via_nginx
        .wait_until("the stop arrived through the surviving replica", || async {
            via_nginx.row_statuses().await == ["stopped"]
        })
        .await;
    via_nginx.click("start").await;
    on_b.wait_until("a start through nginx reached the other window", || async {
        on_b.row_statuses().await == ["started", "stopped"]
    })
    .await;
    via_nginx.close().await;
    on_b.close().await;
}

/// A request to `path` at `to` with exactly these extra headers: its status and body.
async fn send(
    method: reqwest::Method,
    to: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .request(method, format!("http://{to}{path}"))
        .timeout(DEADLINE);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn call_completed(call_id: &str) -> String {
    format!(r#"{{"event":"call.completed","call":{{"id":"{call_id}"}}}}"#)
}

async fn call_status(replica: SocketAddr, call_id: &str) -> serde_json::Value {
    let (_, body) = send(
        reqwest::Method::GET,
        replica,
        &format!("/api/calls/{call_id}/status"),
        &[],
        None,
    )
    .await;
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["data"]["status"].clone()
}

/// What the issue found through the reference nginx, with a real key and no secrets on
/// 127.0.0.1: each is refused, though nginx connects from loopback with the client's `Host`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_without_secrets_nothing_passes_as_local() {
    let d = Deployment::start_with(1, |c| {
        c.token_secret.secret = None;
        c.webhook_secret = None;
        c.public_url = None;
    })
    .await;
    let replica = d.replicas[0].addr;
    let post = reqwest::Method::POST;
    let forged = call_completed("e2e_fw_forged");
    let host = [("host", "recordings.example.com")];
    let (status, body) = send(
        post.clone(),
        d.addr,
        "/webhooks/minivoice",
        &host,
        Some(forged),
    )
    .await;
    assert_eq!(status, 403, "an unsigned webhook through nginx: {body}");
    assert!(body.contains("forbidden_remote"), "{body}");

    let start = Some(r#"{"action":"start"}"#.to_owned());
    let localhost = [("host", "localhost")];
    let path = "/api/calls/e2e_fw_start/recordings";
    let (status, body) = send(post.clone(), d.addr, path, &localhost, start.clone()).await;
    assert_eq!(
        status, 403,
        "a start through nginx as Host: localhost: {body}"
    );
    assert!(body.contains("forbidden_remote"), "{body}");

    let spoofed = [("host", "localhost"), ("x-forwarded-for", "8.8.8.8")];
    let inspector = "/api/webhooks/deliveries";
    let (status, body) = send(reqwest::Method::GET, d.addr, inspector, &spoofed, None).await;
    assert_eq!(status, 403, "the inspector through nginx: {body}");

    // On the replica's own machine, without nginx, all of it works as before; deliveries are
    // applied in order, so once this one is, the forged one would have been too.
    let (status, _) = send(post.clone(), replica, path, &localhost, start).await;
    assert_eq!(status, 200);
    let local = call_completed("e2e_fw_local");
    let (status, _) = send(post, replica, "/webhooks/minivoice", &[], Some(local)).await;
    assert_eq!(status, 202);
    let until = std::time::Instant::now() + DEADLINE;
    while call_status(replica, "e2e_fw_local").await != "completed" {
        assert!(
            std::time::Instant::now() < until,
            "the local webhook was never applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_ne!(call_status(replica, "e2e_fw_forged").await, "completed");
    let (status, body) = send(reqwest::Method::GET, replica, inspector, &[], None).await;
    assert_eq!(status, 200);
    assert!(body.contains("not_local"), "the refusal is noted: {body}");
}

/// The documented deployment (tokens, signed webhooks, PUBLIC_URL) serves agents and
/// MiniVoice through nginx, and nobody without a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_deployment_serves_tokens_and_signed_webhooks_through_nginx() {
    let d = Deployment::start(1).await;
    let path = "/api/calls/e2e_doc/recordings";
    let start = Some(r#"{"action":"start"}"#.to_owned());
    let bearer = format!("Bearer {}", Deployment::token("e2e_agent", &["e2e_doc"]));
    let post = reqwest::Method::POST;
    let (status, body) = send(post.clone(), d.addr, path, &[], start.clone()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = send(post, d.addr, path, &[("authorization", &bearer)], start).await;
    assert_eq!(status, 200, "{body}");
    let client = reqwest::Client::new();
    let delivered = send_webhook(
        &client,
        d.addr,
        WEBHOOK_SECRET,
        "msg_e2e_doc",
        call_completed("e2e_doc"),
    )
    .await;
    assert_eq!(delivered, 202);
}
