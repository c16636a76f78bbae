//! Pause and resume: through the API, forwarded to MiniVoice as stop and start, announced
//! live; the automatic resume at its deadline, cancelled by an explicit resume, kept across a
//! restart, never for a call that has ended. Each test on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use testkit::*;

const LIMIT: Duration = Duration::from_secs(15);

async fn until_recording(app: &TestApp, call_id: &str) {
    wait_until(&format!("{call_id} to record again"), LIMIT, || async {
        app.recording_state(call_id).await == "recording"
    })
    .await;
}

/// A sandbox proxy on `url` whose pauses last `pause_max_s`.
async fn proxy(url: &str, pause_max_s: u64) -> TestApp {
    TestApp::with(|c| {
        on_database(c, url);
        c.pause_max_s = pause_max_s;
    })
    .await
}

#[tokio::test]
async fn pause_and_resume_through_the_api_are_recorded_and_announced() {
    for url in databases().await.urls {
        let app = proxy(&url, 180).await;
        let mut events = app.events("call_p", None, None).await;
        assert_eq!(app.post_action("call_p", "start").await.status, 200);
        let paused = app
            .pause("call_p", Some(r#"{"reason":"card details"}"#), None)
            .await;
        assert_eq!(paused.status, 200, "{}", paused.text);
        assert_eq!(paused.json()["data"]["recording"]["status"], "stopped");
        let state = app.state("call_p", None).await;
        assert_eq!(state["recording"], "paused");
        assert_eq!(state["paused_by"], "anonymous");
        assert_eq!(state["reason"], "card details");
        assert_eq!(state["recording_id"], "rec_call_p");
        assert!(state["resume_at"].as_str().unwrap() > state["paused_at"].as_str().unwrap());
        let announced = events.until("pause").await;
        assert_eq!(announced["reason"], "card details");
        assert_eq!(announced["resume_at"], state["resume_at"]);

        let again = app.pause("call_p", None, None).await;
        assert_eq!(
            (again.status, again.code().as_str()),
            (409, "call_already_paused")
        );

        let resumed = app.resume("call_p", None).await;
        assert_eq!(resumed.status, 200, "{}", resumed.text);
        assert_eq!(resumed.json()["data"]["recording"]["id"], "rec_call_p_2");
        let state = app.state("call_p", None).await;
        assert_eq!(
            (
                &state["recording"],
                &state["recording_id"],
                &state["paused_by"]
            ),
            (&json!("recording"), &json!("rec_call_p_2"), &Value::Null)
        );
        let announced = events.until("resume").await;
        assert_eq!(announced["resumed_by"], "anonymous");
        assert_eq!(announced["recording"]["id"], "rec_call_p_2");

        let not_paused = app.resume("call_p", None).await;
        assert_eq!(
            (not_paused.status, not_paused.code().as_str()),
            (409, "call_not_paused")
        );
        let pauses = app.actions_of("call_p", "pause", None).await;
        assert_eq!(pauses.len(), 2, "the refused second pause is on record too");
        assert_eq!(pauses[0]["recording_id"], "rec_call_p");
        assert_eq!(pauses[1]["error_code"], "call_already_paused");
        let resumes = app.actions_of("call_p", "resume", None).await;
        assert_eq!(resumes[0]["recording_id"], "rec_call_p_2");
    }
}

#[tokio::test]
async fn minivoice_is_sent_only_stop_and_start_under_the_same_idempotency_rules() {
    let stopped = r#"{"data":{"call_id":"call_f","action":"stop","recording":{"id":"rec_1",
        "status":"stopped","duration_seconds":3,"size_bytes":48000}}}"#;
    let started = r#"{"data":{"call_id":"call_f","action":"start","recording":{"id":"rec_2",
        "status":"started","duration_seconds":0,"size_bytes":0}}}"#;
    let fake = Fake::start(Script::Seq(vec![
        (StatusCode::OK, stopped),
        (StatusCode::OK, started),
    ]))
    .await;
    let app = TestApp::forwarding_to(&fake.base_url(), 5_000).await;
    let pause = |key: &'static str| {
        app.request("POST", "/api/calls/call_f/pause")
            .header("idempotency-key", key)
    };
    let first = app.send(pause("intent-1")).await;
    let replay = app.send(pause("intent-1")).await;
    assert_eq!((first.status, replay.status), (200, 200));
    assert_eq!(replay.header("idempotent-replayed"), "true");
    let resume = app
        .request("POST", "/api/calls/call_f/resume")
        .header("idempotency-key", "intent-1");
    let reused = app.send(resume).await;
    assert_eq!(
        (reused.status, reused.code().as_str()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(app.resume("call_f", None).await.status, 200);
    let bodies: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(bodies, [r#"{"action":"stop"}"#, r#"{"action":"start"}"#]);
    assert_eq!(
        fake.requests()[0].idempotency_key.as_deref(),
        Some("intent-1")
    );
}

#[tokio::test]
async fn pause_with_nothing_recording_is_refused_and_bodies_are_checked() {
    let app = TestApp::sandbox().await;
    let idle = app.pause("call_idle", None, None).await;
    assert_eq!(
        (idle.status, idle.code().as_str()),
        (409, "recording_not_started")
    );
    assert_eq!(app.recording_state("call_idle").await, "idle");
    let long = json!({"reason": "x".repeat(201)}).to_string();
    for (body, ct, status, code) in [
        (long.as_str(), "application/json", 400, "invalid_reason"),
        (
            r#"{"reason":"a","why":1}"#,
            "application/json",
            400,
            "invalid_reason",
        ),
        (r#"{"reason":7}"#, "application/json", 400, "invalid_reason"),
        ("{\"reason\":", "application/json", 400, "invalid_json"),
        ("hold music", "text/plain", 415, "unsupported_media_type"),
    ] {
        let a = app
            .call("POST", "/api/calls/call_idle/pause", Some(ct), body)
            .await;
        assert_eq!((a.status, a.code().as_str()), (status, code), "{body}");
    }
    // MiniVoice's own route keeps refusing the proxy's actions.
    let a = app.post_action("call_idle", "pause").await;
    assert_eq!((a.status, a.code().as_str()), (400, "invalid_action"));
    assert!(app.actions_of("call_idle", "pause", None).await.len() == 1);
}

#[tokio::test]
async fn a_pause_resumes_by_itself_at_its_deadline_as_system() {
    for url in databases().await.urls {
        let app = proxy(&url, 1).await;
        let mut events = app.events("call_a", None, None).await;
        assert_eq!(app.post_action("call_a", "start").await.status, 200);
        assert_eq!(app.pause("call_a", None, None).await.status, 200);
        let resume_at = app.state("call_a", None).await["resume_at"].clone();
        until_recording(&app, "call_a").await;
        let announced = events.until("resume").await;
        assert_eq!(announced["resumed_by"], "system");
        let resumes = app.actions_of("call_a", "resume", None).await;
        assert_eq!(resumes.len(), 1);
        assert_eq!(resumes[0]["agent"], "system");
        assert!(resumes[0]["at"].as_str().unwrap() >= resume_at.as_str().unwrap());
        assert_eq!(resumes[0]["recording_id"], "rec_call_a_2");
    }
}

/// Pauses `probe` now and waits for its automatic resume: every pause due before it has been
/// handled by then, so what did not happen to those will not.
async fn settle(app: &TestApp, probe: &str) {
    assert_eq!(app.post_action(probe, "start").await.status, 200);
    assert_eq!(app.pause(probe, None, None).await.status, 200);
    until_recording(app, probe).await;
}

#[tokio::test]
async fn an_explicit_resume_cancels_the_automatic_one() {
    for url in databases().await.urls {
        let app = proxy(&url, 1).await;
        assert_eq!(app.post_action("call_x", "start").await.status, 200);
        assert_eq!(app.pause("call_x", None, None).await.status, 200);
        assert_eq!(app.resume("call_x", None).await.status, 200);
        // Stopped for good: an automatic resume now would record what the agent ended.
        assert_eq!(app.post_action("call_x", "stop").await.status, 200);
        settle(&app, "call_x_probe").await;
        assert_eq!(app.recording_state("call_x").await, "idle");
        let resumes = app.actions_of("call_x", "resume", None).await;
        assert_eq!(resumes.len(), 1);
        assert_eq!(resumes[0]["agent"], "anonymous");
    }
}

#[tokio::test]
async fn a_stop_while_paused_cancels_the_automatic_resume() {
    let app = TestApp::with(|c| c.pause_max_s = 1).await;
    assert_eq!(app.post_action("call_s", "start").await.status, 200);
    assert_eq!(app.pause("call_s", None, None).await.status, 200);
    // Nothing records, so MiniVoice says so; the agent's intent is still "no more".
    assert_eq!(app.post_action("call_s", "stop").await.status, 409);
    assert_eq!(app.recording_state("call_s").await, "idle");
    settle(&app, "call_s_probe").await;
    assert!(app.actions_of("call_s", "resume", None).await.is_empty());
}

#[tokio::test]
async fn a_call_completed_while_paused_is_never_resumed() {
    let app = TestApp::with(|c| c.pause_max_s = 1).await;
    assert_eq!(app.post_action("call_c", "start").await.status, 200);
    assert_eq!(app.pause("call_c", None, None).await.status, 200);
    // The caller hangs up: the sandbox delivers a signed call.completed, as MiniVoice would.
    let hangup = format!(
        "http://{}/v1/calls/call_c/hangup",
        app.sandbox_addr.unwrap()
    );
    assert!(app
        .client
        .post(hangup)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    wait_until("the call to complete", LIMIT, || async {
        app.call_status("call_c").await == "completed"
    })
    .await;
    settle(&app, "call_c_probe").await;
    assert_eq!(app.recording_state("call_c").await, "idle");
    assert!(app.actions_of("call_c", "resume", None).await.is_empty());
    let resumed = app.resume("call_c", None).await;
    assert_eq!(
        (resumed.status, resumed.code().as_str()),
        (409, "call_not_paused")
    );
}

#[tokio::test]
async fn an_overdue_pause_is_resumed_when_the_proxy_starts_again() {
    let upstream = sandbox_upstream().await;
    // One sandbox for both stores: each store's run has a call of its own.
    for (i, url) in databases().await.urls.into_iter().enumerate() {
        let config = || {
            let mut cfg = forwarding_config(&upstream, 5_000);
            on_database(&mut cfg, &url);
            cfg.pause_max_s = 1;
            cfg
        };
        let (app, stop) = TestApp::spawn_stoppable(config()).await;
        let call = format!("call_r{i}");
        assert_eq!(app.post_action(&call, "start").await.status, 200);
        assert_eq!(app.pause(&call, None, None).await.status, 200);
        let resume_at = app.state(&call, None).await["resume_at"]
            .as_str()
            .unwrap()
            .to_owned();
        stop.signal().await.unwrap().unwrap();
        // Down past the deadline: the pause is overdue when the next proxy starts.
        wait_until("the deadline to pass", LIMIT, || async {
            minivoice_proxy::store::now() > resume_at
        })
        .await;
        let app = TestApp::spawn(config()).await;
        until_recording(&app, &call).await;
        let resumes = app.actions_of(&call, "resume", None).await;
        assert_eq!(resumes.len(), 1);
        assert_eq!(resumes[0]["agent"], "system");
    }
}

/// The longest pause PAUSE_MAX_S allows still pauses and resumes through HTTP, with both
/// actions finished on record; a longer one refuses to start. (`u64::MAX` seconds used to be
/// accepted: each pause stopped the recording at MiniVoice, then panicked computing its
/// deadline, leaving the audit row pending and `/status` saying `recording`.)
#[tokio::test]
async fn the_longest_pause_allowed_works_and_a_longer_one_refuses_to_start() {
    let longest = minivoice_proxy::config::ranges::PAUSE_MAX_S.max;
    for too_long in [longest + 1, u64::MAX] {
        let why = TestApp::try_spawn({
            let mut cfg = sandbox_config();
            cfg.pause_max_s = too_long;
            cfg
        })
        .await
        .err()
        .expect("refused to start")
        .to_string();
        assert_eq!(
            why,
            format!("PAUSE_MAX_S must be between 0 and {longest} (seconds); got {too_long}")
        );
    }
    for url in databases().await.urls {
        let app = proxy(&url, longest).await;
        assert_eq!(app.post_action("call_longest", "start").await.status, 200);
        let paused = app.pause("call_longest", None, None).await;
        assert_eq!(paused.status, 200, "{}", paused.text);
        let state = app.state("call_longest", None).await;
        assert_eq!(state["recording"], "paused");
        let (paused_at, resume_at) = (
            state["paused_at"].as_str().unwrap(),
            state["resume_at"].as_str().unwrap(),
        );
        // A day later: on another date.
        assert!(resume_at[..10] > paused_at[..10], "{state}");
        let resumed = app.resume("call_longest", None).await;
        assert_eq!(resumed.status, 200, "{}", resumed.text);
        assert_eq!(app.recording_state("call_longest").await, "recording");
        for (action, recording) in [
            ("pause", "rec_call_longest"),
            ("resume", "rec_call_longest_2"),
        ] {
            let done = app.actions_of("call_longest", action, None).await;
            assert_eq!(done.len(), 1, "{done:?}");
            assert!(
                done[0].get("pending").is_none(),
                "{action} finished: {}",
                done[0]
            );
            assert_eq!(done[0]["recording_id"], recording);
        }
    }
}
