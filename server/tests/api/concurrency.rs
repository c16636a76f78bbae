//! Exactly one start per intent: concurrent actions on one call are serialised, and a repeated
//! Idempotency-Key gets the first answer without a second upstream call.

use std::time::Duration;

use axum::http::StatusCode;
use testkit::*;

/// Starts `call_id` under `key`: status, body, and whether the answer was a replay.
async fn start_with_key(app: TestApp, call_id: String, key: String) -> (u16, String, bool) {
    let a = app.post_action_with_key(&call_id, "start", &key).await;
    let replayed = a.headers.contains_key("idempotent-replayed");
    (a.status, a.text, replayed)
}

/// `n` starts at once, the i-th on the call and under the key `call_and_key(i)`: the answers,
/// in that order.
async fn starts_at_once(
    app: &TestApp,
    n: usize,
    call_and_key: impl Fn(usize) -> (String, String),
) -> Vec<(u16, String, bool)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (call_id, key) = call_and_key(i);
            tokio::spawn(start_with_key(app.clone(), call_id, key))
        })
        .collect();
    let mut answers = vec![];
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

fn slow_fake() -> Script {
    let body = started_response();
    Script::Slow(Duration::from_millis(300), StatusCode::OK, body)
}

#[tokio::test]
async fn twenty_starts_with_one_key_make_one_upstream_start() {
    let (app, fake) = TestApp::in_front_of(slow_fake(), 3000).await;
    let answers = starts_at_once(&app, 20, |_| ("call_123".into(), "click-1".into())).await;
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
    let (app, fake) = TestApp::in_front_of(slow_fake(), 3000).await;
    let answers = starts_at_once(&app, 20, |i| ("call_123".into(), format!("click-{i}"))).await;
    let mut ok = 0;
    let mut busy = 0;
    for (status, body, _) in answers {
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
    let (app, fake) = TestApp::in_front_of(slow_fake(), 3000).await;
    let (status, _, _) = start_with_key(app.clone(), "call_k".into(), "k-1".into()).await;
    assert_eq!(status, 200);
    assert_eq!(fake.requests()[0].idempotency_key.as_deref(), Some("k-1"));
    let reused = app.post_action_with_key("call_k", "stop", "k-1").await;
    assert_eq!(reused.status, 422);
    assert!(reused.text.contains("idempotency_key_reused"));
    assert_eq!(fake.requests().len(), 1);
    // The same key on another call is another intent.
    let (status, _, replayed) = start_with_key(app, "call_k2".into(), "k-1".into()).await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn different_calls_do_not_wait_for_each_other() {
    let (app, fake) = TestApp::in_front_of(slow_fake(), 3000).await;
    for (status, _, _) in starts_at_once(&app, 10, |i| (format!("call_{i}"), "k".into())).await {
        assert_eq!(status, 200);
    }
    assert_eq!(fake.requests().len(), 10);
}
