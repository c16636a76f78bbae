//! The call's whole story: its actions and every verified webhook about it, known type or
//! not, connected through the recording ID, oldest first, for that call's agents only. On
//! SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::time::{Duration, Instant};

use minivoice_proxy::Secret;
use serde_json::{json, Value};
use testkit::*;

/// Agents' tokens, verified webhooks, a real key forwarding to the sandbox, the store `url`.
async fn guarded_on(url: &str, upstream: &str) -> TestApp {
    TestApp::guarded(upstream, |c| {
        on_database(c, url);
        c.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    })
    .await
}

/// The timeline's entries, once it holds `n` of them (webhooks join it once processed).
async fn story_of(app: &TestApp, call_id: &str, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = app.timeline(call_id, Some(token)).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let entries = answer.json()["data"].as_array().unwrap().clone();
        if entries.len() >= n {
            return entries;
        }
        assert!(
            Instant::now() < deadline,
            "timeline still short: {entries:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn actions_and_known_and_unknown_webhooks_connect_through_the_recording() {
    let upstream = sandbox_upstream().await;
    for (i, url) in databases().await.urls.into_iter().enumerate() {
        let app = guarded_on(&url, &upstream).await;
        let call = format!("call_t{i}");
        let rec = format!("rec_{call}");
        let alice = token("alice", &[&call]);
        assert_eq!(app.post_action_as(&call, "start", &alice).await.status, 200);
        assert_eq!(app.post_action_as(&call, "stop", &alice).await.status, 200);
        // MiniVoice's final word on the call, then an AI result that names the recording.
        assert_eq!(
            app.deliver(&format!("m_done{i}"), &call_completed(&call))
                .await,
            202
        );
        let transcript = json!({"type": "ai.transcript.ready", "created_at": "2026-05-29T12:11:00Z",
            "data": {"call_id": call, "recording_id": rec, "transcript_url": "https://x/t.txt"}});
        assert_eq!(
            app.deliver(&format!("m_ai{i}"), &transcript.to_string())
                .await,
            202
        );
        // One that names only the recording joins the call through our link to it.
        let bare = json!({"type": "ai.summary.ready", "recording_id": rec});
        assert_eq!(
            app.deliver(&format!("m_sum{i}"), &bare.to_string()).await,
            202
        );

        let story = story_of(&app, &call, &alice, 5).await;
        let seen: Vec<(&str, &str)> = story
            .iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["type"].as_str().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                ("action", "start"),
                ("action", "stop"),
                ("webhook", "call.completed"),
                ("webhook", "ai.transcript.ready"),
                ("webhook", "ai.summary.ready"),
            ]
        );
        let at: Vec<&str> = story.iter().map(|e| e["at"].as_str().unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "oldest first: {at:?}");
        assert_eq!(story[0]["agent"], "alice");
        assert_eq!(story[0]["result"], "ok");
        assert_eq!(story[0]["recording_id"], rec.as_str());
        assert_eq!(story[3]["recording_id"], rec.as_str());
        // The event as sent, as JSON rather than a string of it.
        assert_eq!(story[3]["event"], transcript);
        assert_eq!(story[4]["recording_id"], rec.as_str());
        assert_eq!(story[2]["event"]["call"]["id"], call.as_str());

        let bob = token("bob", &["call_other"]);
        let refused = app.timeline(&call, Some(&bob)).await;
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (403, "forbidden_call")
        );
        assert_eq!(app.timeline(&call, None).await.status, 401);
    }
}

#[tokio::test]
async fn refused_actions_and_pauses_tell_their_result_and_reason() {
    let app = TestApp::sandbox().await;
    assert_eq!(app.post_action("call_story", "stop").await.status, 409);
    assert_eq!(app.post_action("call_story", "start").await.status, 200);
    let reason = r#"{"reason":"customer reads card number"}"#;
    assert_eq!(
        app.pause("call_story", Some(reason), None).await.status,
        200
    );
    let story = app.timeline("call_story", None).await.json()["data"].clone();
    let actions: Vec<&Value> = story
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "action")
        .collect();
    assert_eq!(actions[0]["result"], "recording_not_started");
    assert_eq!(actions[1]["result"], "ok");
    assert_eq!(actions[2]["type"], "pause");
    assert_eq!(actions[2]["reason"], "customer reads card number");
    assert_eq!(actions[2]["agent"], "anonymous");
    let empty = app.timeline("call_nothing", None).await;
    assert_eq!((empty.status, empty.json()), (200, json!({"data": []})));
}

#[tokio::test]
async fn call_not_active_marks_the_call_ended() {
    let app = TestApp::sandbox().await;
    let mut events = app.events("call_completed", None, None).await;
    let refused = app.post_action("call_completed", "start").await;
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (409, "call_not_active")
    );
    let state = app.state("call_completed", None).await;
    assert_eq!(
        (&state["status"], &state["recording"]),
        (&json!("ended"), &json!("idle"))
    );
    let announced = events.until("call").await;
    assert_eq!(announced["status"], "ended");
}

#[tokio::test]
async fn a_webhook_s_recording_is_applied_to_the_call_it_belongs_to() {
    for (i, url) in databases().await.urls.into_iter().enumerate() {
        let app = TestApp::receiving_webhooks(|c| on_database(c, &url)).await;
        let (a, b, rec) = (
            format!("call_xa{i}"),
            format!("call_xb{i}"),
            format!("rec_x{i}"),
        );
        let mut on_a = app.events(&a, None, None).await;
        let mut on_b = app.events(&b, None, None).await;
        // The first delivery naming the recording links it to A.
        let started = json!({"event": "recording.started", "call": {"id": a},
            "recording": {"id": rec, "status": "started", "duration_seconds": 0, "size_bytes": 0}});
        assert_eq!(
            app.deliver(&format!("m_xs{i}"), &started.to_string()).await,
            202
        );
        assert_eq!(on_a.until("recording").await["call_id"], a.as_str());
        assert_eq!(app.state(&a, None).await["recording"], "recording");

        // Then deliveries naming B with A's recording: the recording's part is A's.
        let stopped = recording_stopped(&b, &rec, 0);
        assert_eq!(app.deliver(&format!("m_xr{i}"), &stopped).await, 202);
        let heard = on_a.until("recording").await;
        assert_eq!(
            (&heard["call_id"], &heard["recording"]["status"]),
            (&json!(a), &json!("stopped"))
        );
        assert_eq!(app.state(&a, None).await["recording"], "idle");
        let state_b = app.state(&b, None).await;
        assert_eq!(
            (&state_b["recording"], &state_b["recording_id"]),
            (&json!("idle"), &Value::Null),
            "B's recordings are unchanged: {state_b}"
        );
        // The call's part of a delivery is still the named call's.
        let mut completed: Value = serde_json::from_str(&call_completed(&b)).unwrap();
        completed["recording"] = json!({"id": rec, "status": "stopped",
            "duration_seconds": 7, "size_bytes": 112000});
        assert_eq!(
            app.deliver(&format!("m_xc{i}"), &completed.to_string())
                .await,
            202
        );
        // Deliveries are applied in order: B's first event is its call's end, so nothing of
        // A's recording reached B's streams before it.
        let first_on_b = on_b.next().await;
        assert_eq!(first_on_b.event, "call", "{}", first_on_b.data);
        assert_eq!(app.call_status(&b).await, "completed");
        assert_eq!(on_a.until("recording").await["call_id"], a.as_str());

        // The inspector says where the recording went and what the delivery named.
        let expected = format!("recording {rec} stopped on call {a} (the delivery named call {b})");
        wait_until(
            "the crossed delivery's effect",
            Duration::from_secs(10),
            || async {
                let list = app.deliveries("?verdict=accepted", None).await.json()["data"].clone();
                list.as_array().unwrap().iter().any(|d| {
                    d["delivery_id"] == format!("m_xr{i}").as_str()
                        && d["effect"] == expected.as_str()
                })
            },
        )
        .await;
    }
}
