//! Pause and resume in the browser: the widget's buttons, the paused banner and its countdown,
//! the automatic resume, Stop while paused, and the call's story in the activity panel. Also
//! the paused state's look: axe-core in light and dark, and its screenshots. (A CRM page
//! pausing through the element's methods: `crm.rs`.)

use minivoice_e2e::{send_webhook, Harness};
use serde_json::json;
use testkit::WEBHOOK_SECRET;

/// Opens `call`, starts recording it with the widget's button, and waits until Pause is offered.
async fn recording(h: &Harness, call: &str) {
    h.open_call(call).await;
    h.wait_enabled("start", true).await;
    h.click("start").await;
    h.wait_enabled("pause", true).await;
}

/// The text of the first activity entry that starts with `prefix`, or `""`: a JS expression.
fn activity_entry(prefix: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=activity-entry]')] \
         .map(e => e.textContent).find(t => t.startsWith('{prefix}')) ?? ''"
    )
}

/// A webhook MiniVoice might send later, naming only the recording, signed as MiniVoice signs.
async fn send_transcript_ready(h: &Harness, recording_id: &str) {
    let body = json!({"type": "ai.transcript.ready",
                      "data": {"recording_id": recording_id, "words": 42}})
    .to_string();
    let id = format!("msg_{recording_id}_transcript");
    let status = send_webhook(&reqwest::Client::new(), h.proxy, WEBHOOK_SECRET, &id, body).await;
    assert_eq!(status, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_shows_who_why_and_a_countdown_and_resume_clears_it() {
    let h = Harness::start_with(|c| {
        c.webhook_secret = Some(minivoice_proxy::Secret::new(WEBHOOK_SECRET));
    })
    .await;
    recording(&h, "e2e_pause").await;
    // Another agent's tab (or the CRM) pauses with a reason: this widget hears of it live.
    let (status, answer) = h
        .api_post("calls/e2e_pause/pause", r#"{"reason":"payment"}"#)
        .await;
    assert_eq!(status, 200, "{answer}");
    let banner = h.wait_for("[data-testid=paused-banner]").await;
    assert_eq!(
        banner.attr("role").await.unwrap().as_deref(),
        Some("status")
    );
    let text = banner.text().await.unwrap();
    assert!(
        text.starts_with("Recording paused by anonymous (payment) · resumes automatically in "),
        "{text}"
    );
    // PAUSE_MAX_S is 180 by default: about 3:00 to go, ticking with the widget's clock.
    let first = h.text("[data-testid=resume-countdown]").await.unwrap();
    assert!(
        ["3:00", "2:59", "2:58"].iter().any(|t| first.ends_with(t)),
        "{first}"
    );
    h.wait_until("the countdown ticks", || async {
        h.text("[data-testid=resume-countdown]").await.as_deref() != Some(first.as_str())
    })
    .await;
    h.wait_js(
        "the pause is announced politely",
        "document.querySelector('[data-testid=announcer]').textContent \
           === 'Recording paused by anonymous (payment).'",
    )
    .await;
    // Paused: Resume, and Stop ("no more recording"); nothing to start or pause.
    h.wait_enabled("resume", true).await;
    assert!(h.enabled("stop").await, "Stop stays available while paused");
    assert!(!h.enabled("start").await && !h.enabled("pause").await);

    // The call's story: who did what, and what MiniVoice said about which recording.
    send_transcript_ready(&h, "rec_e2e_pause").await;
    h.click("resume").await;
    h.wait_until("the banner is gone", || async {
        !h.exists("[data-testid=paused-banner]").await
    })
    .await;
    h.wait_until("the next segment on top", || async {
        h.row_statuses().await == ["started", "stopped"]
    })
    .await;
    h.wait_enabled("pause", true).await;
    for line in [
        "Started by anonymous · ",
        "Paused by anonymous (payment) · ",
        "Resumed by anonymous · ",
        "ai.transcript.ready · rec_e2e_pause · ",
    ] {
        h.wait_js(
            &format!("the activity shows {line:?}"),
            &activity_entry(line),
        )
        .await;
    }
    // An event's payload is there on demand, in a native <details>.
    let payload = h
        .js(
            "[...document.querySelectorAll('[data-testid=activity-entry] details')] \
             .find(d => d.textContent.includes('ai.transcript.ready')) \
             ?.querySelector('pre').textContent ?? ''",
        )
        .await;
    assert!(
        payload.as_str().unwrap().contains("\"words\": 42"),
        "{payload}"
    );
    // Each row says what arrived for its recording.
    h.wait_js(
        "the first segment's events",
        "document.querySelector('[data-recording-id=rec_e2e_pause] [data-testid=recording-events]') \
           ?.textContent.includes('ai.transcript.ready')",
    )
    .await;
    let heard = h
        .js("document.querySelector('[data-recording-id=rec_e2e_pause] \
             [data-testid=recording-events]').textContent")
        .await;
    assert!(
        heard.as_str().unwrap().contains("recording.stopped"),
        "{heard}"
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_pause_counts_down_and_resumes_by_itself() {
    let h = Harness::start_with(|c| c.pause_max_s = 4).await;
    recording(&h, "e2e_auto_resume").await;
    h.click("pause").await;
    let banner = h.wait_for("[data-testid=paused-banner]").await;
    let text = banner.text().await.unwrap();
    // The widget's button pauses without a reason.
    assert!(
        text.starts_with("Recording paused by anonymous · resumes automatically in 00:0"),
        "{text}"
    );
    h.wait_until("the banner is gone: resumed by the server", || async {
        !h.exists("[data-testid=paused-banner]").await
    })
    .await;
    h.wait_until("a new segment", || async {
        h.row_statuses().await == ["started", "stopped"]
    })
    .await;
    h.wait_js(
        "the timeline names the system",
        &activity_entry("Resumed by system · "),
    )
    .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_while_paused_ends_recording_without_an_error() {
    let h = Harness::start().await;
    recording(&h, "e2e_pause_stop").await;
    h.click("pause").await;
    h.wait_for("[data-testid=paused-banner]").await;
    h.wait_enabled("stop", true).await;
    h.click("stop").await;
    h.wait_until("the banner is gone", || async {
        !h.exists("[data-testid=paused-banner]").await
    })
    .await;
    h.wait_enabled("start", true).await;
    assert!(
        !h.exists("[data-testid=error]").await,
        "a stop while paused is not an error: {:?}",
        h.text("[data-testid=error]").await
    );
    assert!(!h.enabled("resume").await && !h.enabled("pause").await);
    h.close().await;
}

/// axe-core finds nothing with the banner shown, in light and dark; `UPDATE_SCREENSHOTS=1`
/// also writes the widget's picture to `docs/screenshots/paused-{light,dark}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paused_state_passes_axe_in_light_and_dark() {
    for dark in [false, true] {
        let h = Harness::start_full(|_| {}, dark).await;
        let call = if dark {
            "e2e_paused_dark"
        } else {
            "e2e_paused_light"
        };
        recording(&h, call).await;
        let (status, _) = h
            .api_post(&format!("calls/{call}/pause"), r#"{"reason":"payment"}"#)
            .await;
        assert_eq!(status, 200);
        h.wait_for("[data-testid=paused-banner]").await;
        h.wait_enabled("resume", true).await;
        h.wait_js(
            "the pause in the activity",
            &activity_entry("Paused by anonymous (payment)"),
        )
        .await;
        let violations = h.axe(json!(null)).await;
        assert!(violations.is_empty(), "dark={dark}: {violations:#?}");

        let png = h
            .wait_for("[data-testid=widget]")
            .await
            .screenshot()
            .await
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
            let scheme = if dark { "dark" } else { "light" };
            let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../docs/screenshots/paused-{scheme}.png"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, png).unwrap();
        }
        h.close().await;
    }
}
