//! Exactly one start per intent: concurrent actions on one call are serialised, and a repeated
//! Idempotency-Key gets the first answer without a second upstream call.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use common::*;

async fn start_with_key(proxy: SocketAddr, call_id: String, key: String) -> (u16, String, bool) {
    let resp = reqwest::Client::new()
        .post(format!("http://{proxy}/api/calls/{call_id}/recordings"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(r#"{"action":"start"}"#)
        .send()
        .await
        .unwrap();
    let replayed = resp.headers().contains_key("idempotent-replayed");
    (resp.status().as_u16(), resp.text().await.unwrap(), replayed)
}

fn slow_fake() -> Script {
    let body = fixture("start_recording.response.json");
    Script::Slow(Duration::from_millis(300), StatusCode::OK, body)
}

#[tokio::test]
async fn twenty_starts_with_one_key_make_one_upstream_start() {
    let fake = Fake::start(slow_fake()).await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(start_with_key(proxy, "call_123".into(), "click-1".into())))
        .collect();
    let mut answers = vec![];
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert_eq!(fake.requests().len(), 1, "exactly one upstream start");
    let first = &answers[0].1;
    for (status, body, _) in &answers {
        assert_eq!(
            (*status, body),
            (200, first),
            "every caller sees the same answer"
        );
    }
    assert_eq!(
        answers.iter().filter(|a| !a.2).count(),
        1,
        "one original, 19 replays"
    );
    assert_eq!(fake.requests()[0].body, br#"{"action":"start"}"#.as_slice());
}

#[tokio::test]
async fn twenty_different_intents_at_once_make_one_upstream_start() {
    let fake = Fake::start(slow_fake()).await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            tokio::spawn(start_with_key(
                proxy,
                "call_123".into(),
                format!("click-{i}"),
            ))
        })
        .collect();
    let mut ok = 0;
    let mut busy = 0;
    for t in tasks {
        let (status, body, _) = t.await.unwrap();
        match status {
            200 => ok += 1,
            409 => {
                assert!(body.contains("action_in_progress"), "{body}");
                busy += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, busy), (1, 19));
    assert_eq!(fake.requests().len(), 1, "exactly one upstream start");
}

#[tokio::test]
async fn the_key_is_forwarded_and_bound_to_its_action() {
    let fake = Fake::start(slow_fake()).await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let (status, _, _) = start_with_key(proxy, "call_k".into(), "k-1".into()).await;
    assert_eq!(status, 200);
    assert_eq!(fake.requests()[0].idempotency_key.as_deref(), Some("k-1"));
    let resp = reqwest::Client::new()
        .post(format!("http://{proxy}/api/calls/call_k/recordings"))
        .header("content-type", "application/json")
        .header("idempotency-key", "k-1")
        .body(r#"{"action":"stop"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("idempotency_key_reused"));
    assert_eq!(fake.requests().len(), 1);
    // The same key on another call is another intent.
    let (status, _, replayed) = start_with_key(proxy, "call_k2".into(), "k-1".into()).await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn different_calls_do_not_wait_for_each_other() {
    let fake = Fake::start(slow_fake()).await;
    let proxy = proxy_to(&fake.base_url(), 3000).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| tokio::spawn(start_with_key(proxy, format!("call_{i}"), "k".into())))
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().0, 200);
    }
    assert_eq!(fake.requests().len(), 10);
}
