//! The proxy in sandbox mode (no key): the built-in simulated MiniVoice, reached over HTTP,
//! follows the documented contract and offers the documentation's three test paths.

use std::time::{Duration, Instant};

use minivoice_proxy::sandbox::{COMPLETED_CALL, MISSING_CALL, TIMEOUT_CALL};
use testkit::*;

#[tokio::test]
async fn start_stop_list_and_metadata_follow_the_contract() {
    let app = TestApp::sandbox().await;
    let info = app.get("/api/info").await;
    assert_eq!(info.json()["sandbox"], true);
    let list = app.get("/api/calls/sb_1/recordings").await;
    assert_eq!(list.json()["data"], serde_json::json!([]));

    let stop = app.post_action("sb_1", "stop").await;
    assert_eq!(
        (stop.status, stop.code().as_str()),
        (409, "recording_not_started")
    );
    let start = app.post_action("sb_1", "start").await;
    assert_eq!(start.status, 200);
    let rec = &start.json()["data"]["recording"];
    assert_eq!(rec["id"], "rec_sb_1");
    assert_eq!(rec["status"], "started");
    let again = app.post_action("sb_1", "start").await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (409, "recording_already_started")
    );

    tokio::time::sleep(Duration::from_millis(1100)).await; // a measurable recording length
    let stop = app.post_action("sb_1", "stop").await;
    let rec = &stop.json()["data"]["recording"];
    assert_eq!(rec["status"], "stopped");
    assert!(rec["duration_seconds"].as_u64().unwrap() >= 1, "{rec}");
    assert!(rec["size_bytes"].as_u64().unwrap() >= 16_000, "{rec}");

    let second = app.post_action("sb_1", "start").await;
    assert_eq!(second.json()["data"]["recording"]["id"], "rec_sb_1_2");
    let list = app.get("/api/calls/sb_1/recordings").await;
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 2);
    let meta = app.get("/api/calls/sb_1/recordings/rec_sb_1").await;
    assert_eq!(meta.json()["data"]["status"], "stopped");
    let missing = app.get("/api/calls/sb_1/recordings/rec_nope").await;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "recording_not_found")
    );
}

#[tokio::test]
async fn the_three_documented_test_paths() {
    let app = TestApp::with(|c| c.upstream_timeout_ms = 800).await;
    let t = Instant::now();
    let a = app.post_action(TIMEOUT_CALL, "start").await;
    assert_eq!((a.status, a.code().as_str()), (504, "upstream_timeout"));
    assert!(t.elapsed() < Duration::from_millis(800 + 500));
    let a = app
        .get(&format!("/api/calls/{MISSING_CALL}/recordings"))
        .await;
    assert_eq!((a.status, a.code().as_str()), (404, "call_not_found"));
    let a = app.post_action(COMPLETED_CALL, "start").await;
    assert_eq!((a.status, a.code().as_str()), (409, "call_not_active"));
}

#[tokio::test]
async fn the_sandbox_requires_the_key_like_minivoice() {
    let addr = minivoice_proxy::sandbox::spawn(
        "127.0.0.1:0".parse().unwrap(),
        Some(minivoice_proxy::Secret::new("right")),
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/calls/c/recordings");
    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client.get(&url).bearer_auth("right").send().await.unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn the_sandbox_journal_lists_what_it_carried_out_with_the_idempotency_key() {
    let addr = minivoice_proxy::sandbox::spawn(
        "127.0.0.1:0".parse().unwrap(),
        Some(minivoice_proxy::Secret::new("right")),
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let act = |action: &'static str, key: Option<&'static str>| {
        let mut req = client
            .post(format!("http://{addr}/v1/calls/sb_journal/recordings"))
            .bearer_auth("right")
            .json(&serde_json::json!({ "action": action }));
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        req.send()
    };
    assert_eq!(act("start", Some("k1")).await.unwrap().status(), 200);
    // Refused (one is started already): not carried out, so not in the journal.
    assert_eq!(act("start", Some("k2")).await.unwrap().status(), 409);
    assert_eq!(act("stop", None).await.unwrap().status(), 200);
    let url = format!("http://{addr}/v1/sandbox/actions");
    let unkeyed = client.get(&url).send().await.unwrap();
    assert_eq!(unkeyed.status(), 401, "the journal needs the key");
    let journal: serde_json::Value = client
        .get(&url)
        .bearer_auth("right")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        journal["data"],
        serde_json::json!([
            {"call_id": "sb_journal", "action": "start", "recording_id": "rec_sb_journal", "idempotency_key": "k1"},
            {"call_id": "sb_journal", "action": "stop", "recording_id": "rec_sb_journal", "idempotency_key": null},
        ])
    );
}
