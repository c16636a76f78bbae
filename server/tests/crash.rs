//! Nothing acknowledged is lost: webhooks answered 2xx survive a `kill -9`.

mod common;

use std::time::Duration;

use common::process::{wait_until, Proxy};
use common::webhook::{call_completed, deliver_signed, WEBHOOK_SECRET};
use common::*;

async fn proxy_on(data: &std::path::Path) -> Proxy {
    Proxy::spawn(
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
    let client = reqwest::Client::new();
    for i in 0..200 {
        let status = deliver_signed(
            &client,
            proxy.addr,
            &format!("msg_crash_{i}"),
            &call_completed(&format!("call_crash_{i}")),
            WEBHOOK_SECRET,
        )
        .await;
        assert_eq!(status, 202, "delivery {i}");
    }
    proxy.kill_hard();
    let proxy = proxy_on(data.path()).await;
    let completed = |i: usize| {
        let addr = proxy.addr;
        async move {
            call(
                addr,
                "GET",
                &format!("/api/calls/call_crash_{i}/status"),
                None,
                "",
            )
            .await
            .json()["data"]["status"]
                == "completed"
        }
    };
    wait_until("every call completed", Duration::from_secs(20), || async {
        for i in (0..200).rev() {
            if !completed(i).await {
                return false;
            }
        }
        true
    })
    .await;
    // A redelivery after the restart is still known.
    let again = deliver_signed(
        &client,
        proxy.addr,
        "msg_crash_199",
        &call_completed("call_crash_199"),
        WEBHOOK_SECRET,
    )
    .await;
    assert_eq!(again, 200, "a duplicate");
}
