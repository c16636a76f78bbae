//! Nothing acknowledged is lost: webhooks answered 2xx survive a `kill -9`.

use std::time::Duration;

use testkit::*;

async fn proxy_on(data: &std::path::Path) -> Proxy {
    Proxy::launch(
        &[],
        &[
            ("MINIVOICE_API_KEY", KEY.into()),
            // Never reached: webhooks need no upstream.
            ("MINIVOICE_BASE_URL", "http://127.0.0.1:9".into()),
            ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("DATA_DIR", data.display().to_string()),
        ],
    )
    .await
}

#[tokio::test]
async fn webhooks_acknowledged_before_a_kill_9_are_all_processed_after_restart() {
    let data = tempfile::tempdir().unwrap();
    let proxy = proxy_on(data.path()).await;
    let app = proxy.app();
    for i in 0..200 {
        let status = app
            .deliver(
                &format!("msg_crash_{i}"),
                &call_completed(&format!("call_crash_{i}")),
            )
            .await;
        assert_eq!(status, 202, "delivery {i}");
    }
    proxy.kill_hard();
    let proxy = proxy_on(data.path()).await;
    let app = &proxy.app();
    wait_until(
        "every call completed",
        Duration::from_secs(20),
        || async move {
            for i in (0..200).rev() {
                if app.call_status(&format!("call_crash_{i}")).await != "completed" {
                    return false;
                }
            }
            true
        },
    )
    .await;
    // A redelivery after the restart is still known.
    let again = app
        .deliver("msg_crash_199", &call_completed("call_crash_199"))
        .await;
    assert_eq!(again, 200, "a duplicate");
}
