//! Live state in the browser: two widgets on one call stay in step without reloading, a
//! hang-up shows as completed everywhere, a call MiniVoice says is over shows as ended, and the
//! widget polls when events are unavailable.

use std::time::{Duration, Instant};

use minivoice_e2e::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_in_one_window_shows_in_the_other_within_a_second() {
    let first = Harness::start().await;
    let second = first.second().await;
    first.open_call("e2e_two").await;
    second.open_call("e2e_two").await;
    for h in [&first, &second] {
        h.wait_for("[data-testid=empty]").await;
        h.wait_until("the stream is live", || async {
            h.text("[data-testid=live-state]").await.as_deref() == Some("Live")
        })
        .await;
    }
    assert_eq!(
        second.text("[data-testid=call-state]").await.as_deref(),
        Some("Call in progress")
    );

    first.click("start").await;
    first
        .wait_until("started in the first", || async {
            first.row_statuses().await == ["started"]
        })
        .await;
    let t = Instant::now();
    second
        .wait_until("started in the second", || async {
            second.row_statuses().await == ["started"]
        })
        .await;
    let lag = t.elapsed();
    assert!(
        lag < Duration::from_secs(1),
        "the second window took {lag:?}"
    );
    second.wait_enabled("stop", true).await;

    // The started recording's time ticks without any request.
    let before = second
        .text("[data-testid=recording-duration]")
        .await
        .unwrap();
    second
        .wait_until("the duration ticks", || async {
            second
                .text("[data-testid=recording-duration]")
                .await
                .as_deref()
                != Some(&before)
        })
        .await;

    // The caller hangs up: both windows show the completed call, and nothing can start.
    first.hang_up("e2e_two").await;
    for h in [&first, &second] {
        h.wait_until("the call shows completed", || async {
            h.text("[data-testid=call-state]").await.as_deref()
                == Some("Call completed · recordings ready for processing")
        })
        .await;
        h.wait_until("the row left started", || async {
            h.row_statuses().await == ["stopped"]
        })
        .await;
        assert!(!h.enabled("start").await && !h.enabled("stop").await);
    }
    second.close().await;
    first.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_event_stream_the_widget_polls() {
    let h = Harness::start_with(|c| c.max_event_streams = 0).await;
    h.open_call("e2e_poll").await;
    h.wait_for("[data-testid=empty]").await;
    h.wait_until("polling is shown", || async {
        h.text("[data-testid=live-state]").await.as_deref() == Some("Updating every few seconds")
    })
    .await;
    // A change made elsewhere still arrives, by polling.
    assert_eq!(h.api_action("e2e_poll", "start").await, 200);
    h.wait_until("the start arrived by polling", || async {
        h.row_statuses().await == ["started"]
    })
    .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_reconnects_after_the_proxy_restarts() {
    let mut h = Harness::start().await;
    h.open_call("e2e_reconnect").await;
    h.wait_for("[data-testid=empty]").await;
    h.wait_until("live", || async {
        h.text("[data-testid=live-state]").await.as_deref() == Some("Live")
    })
    .await;
    h.restart_proxy().await;
    h.wait_until("live again after the restart", || async {
        h.text("[data-testid=live-state]").await.as_deref() == Some("Live")
    })
    .await;
    // Changes made now reach it through the new stream.
    assert_eq!(h.api_action("e2e_reconnect", "start").await, 200);
    h.wait_until("the start arrived", || async {
        h.row_statuses().await == ["started"]
    })
    .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_minivoice_calls_inactive_shows_as_ended_and_offers_nothing() {
    let h = Harness::start().await;
    // MiniVoice (the sandbox) knows this call is over; we learn it from its refusal.
    h.open_call(minivoice_proxy::sandbox::COMPLETED_CALL).await;
    h.wait_enabled("start", true).await;
    h.click("start").await;
    let code = h.wait_for("[data-testid=error-code]").await;
    assert_eq!(code.text().await.unwrap(), "call_not_active");
    h.wait_until("the call shows ended", || async {
        h.text("[data-testid=call-state]").await.as_deref() == Some("Call ended")
    })
    .await;
    for button in ["start", "pause", "resume", "stop"] {
        assert!(!h.enabled(button).await, "{button} on an ended call");
    }
    h.close().await;
}
