//! The API key never reaches a log line: every log of a full start / stop / error / timeout
//! run, at TRACE for every crate, is captured and searched.

use testkit::*;

// Its own test binary, the one besides `api`: the subscriber it installs is the process's,
// at TRACE for every crate, so every line of the run is caught whichever thread logs it. In a
// binary shared with other tests it would catch (and slow) theirs too, and a subscriber for
// this thread only misses the request spans tracing's callsite cache decided on elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_never_logged() {
    let logs = Capture::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let cfg = forwarding_config(&sandbox_upstream().await, 500);
    tracing::info!(config = ?cfg, "starting with");
    let app = TestApp::spawn(cfg).await;

    assert_eq!(app.post_action("call_log", "stop").await.status, 409);
    assert_eq!(app.post_action("call_log", "start").await.status, 200);
    assert_eq!(app.get("/api/calls/call_log/recordings").await.status, 200);
    assert_eq!(app.post_action("call_log", "stop").await.status, 200);
    assert_eq!(app.post_action("call_timeout", "start").await.status, 504);
    assert_eq!(app.post_action("bad.id", "start").await.status, 400);

    let text = logs.text();
    assert!(
        text.contains("forwarding recording action") && text.contains("call_log"),
        "the capture must hold the run's logs:\n{text}"
    );
    assert!(
        text.contains("recording_not_started"),
        "MiniVoice's error body is logged"
    );
    assert!(text.contains("redacted"), "the config was logged, redacted");
    // Each line of a request is traceable: its span names the request ID and the call.
    let forwarded = text
        .lines()
        .find(|l| l.contains("forwarding recording action"))
        .unwrap();
    assert!(forwarded.contains("request_id=req_"), "{forwarded}");
    assert!(forwarded.contains("call_id=call_log"), "{forwarded}");
    assert!(
        !text.contains(KEY),
        "the API key appears in the logs:\n{text}"
    );
}
