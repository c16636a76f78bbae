//! A CRM page drives the `<minivoice-recordings>` element: `examples/crm/payment.html` pauses
//! recording while its card form is open and resumes after; the element's `start()`,
//! `pause({reason})` and `resume()` promises resolve with the recording or reject with the
//! error code, and the page hears the paused and resumed events. The element's TypeScript
//! declarations are served beside its script.

use std::net::SocketAddr;

use minivoice_e2e::{free_port, in_widget, serve_crm_page, widget_dir, Harness, InProcess};
use serde_json::json;

/// The proxy on a known port, allowing the CRM's origin, and the CRM's payment page on it.
async fn payment_page() -> Harness {
    let proxy: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let crm = serve_crm_page(proxy).await;
    let h = Harness::start_with(|c| {
        c.listen_addr = proxy;
        c.allowed_origins = vec![format!("http://{crm}").parse().unwrap()];
    })
    .await;
    h.client
        .goto(&format!("http://{crm}/payment"))
        .await
        .unwrap();
    h.wait_js(
        "the widget rendered",
        &in_widget("recorder", "[data-testid=empty]"),
    )
    .await;
    h
}

/// Calls `call` (a method call on the element, e.g. `pause({reason: 'payment'})`) and keeps
/// how its promise settled in `window[key]`: `{ok: detail}` or `{code, isError}`.
fn settle(call: &str, key: &str) -> String {
    format!(
        "(document.getElementById('recorder').{call}.then( \
           d => window['{key}'] = {{ok: d}}, \
           e => window['{key}'] = {{code: e.code, isError: e instanceof Error}}), true)"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crm_pauses_for_a_payment_through_the_element() {
    let h = payment_page().await;
    // Nothing paused yet: resume() rejects with the proxy's code.
    h.js(&settle("resume()", "early")).await;
    h.wait_js("resume() settled", "window.early").await;
    assert_eq!(
        h.js("window.early").await,
        json!({"code": "call_not_paused", "isError": true})
    );
    h.js(&settle("start()", "started")).await;
    h.wait_js("start() settled", "window.started").await;
    assert_eq!(
        h.js("window.started").await,
        json!({"ok": {"callId": "crm_pay", "recordingId": "rec_crm_pay", "status": "started"}})
    );
    h.wait_js(
        "Pause offered",
        &format!(
            "{}?.disabled === false",
            in_widget("recorder", "[data-testid=pause]")
        ),
    )
    .await;

    // The payment form pauses as it opens (el.pause({reason: "payment"}))…
    h.js("document.getElementById('take-payment').click()")
        .await;
    h.wait_js(
        "the page heard the pause",
        "window.heard.some(e => e.type === 'minivoice-recording-paused' \
           && e.detail.callId === 'crm_pay' && e.detail.recordingId === 'rec_crm_pay' \
           && e.detail.status === 'stopped')",
    )
    .await;
    h.wait_js(
        "the card fields open once paused",
        "!document.getElementById('card').disabled",
    )
    .await;
    h.wait_js(
        "the widget shows the banner with the reason",
        &format!(
            "{}?.textContent.includes('(payment)')",
            in_widget("recorder", "[data-testid=paused-banner]")
        ),
    )
    .await;
    // …and resumes as it closes.
    h.js("document.querySelector('#payment button[value=cancel]').click()")
        .await;
    h.wait_js(
        "the page heard the resume, with the new segment",
        "window.heard.some(e => e.type === 'minivoice-recording-resumed' \
           && e.detail.recordingId === 'rec_crm_pay_2' && e.detail.status === 'started')",
    )
    .await;
    h.wait_js(
        "the banner is gone",
        &format!("!{}", in_widget("recorder", "[data-testid=paused-banner]")),
    )
    .await;

    // The promises themselves resolve with the recording.
    h.js(&settle("pause({reason: 'payment'})", "paused")).await;
    h.wait_js("pause() settled", "window.paused").await;
    assert_eq!(
        h.js("window.paused").await,
        json!({"ok": {"callId": "crm_pay", "recordingId": "rec_crm_pay_2", "status": "stopped"}})
    );
    // Paused twice is refused, with the code, as an event too.
    h.js(&settle("pause()", "again")).await;
    h.wait_js("the second pause() settled", "window.again")
        .await;
    assert_eq!(
        h.js("window.again").await,
        json!({"code": "call_already_paused", "isError": true})
    );
    h.wait_js(
        "the page heard the error",
        "window.heard.some(e => e.type === 'minivoice-error' && e.detail.action === 'pause' \
           && e.detail.code === 'call_already_paused')",
    )
    .await;
    h.js(&settle("resume()", "resumed")).await;
    h.wait_js("resume() settled", "window.resumed").await;
    assert_eq!(
        h.js("window.resumed").await,
        json!({"ok": {"callId": "crm_pay", "recordingId": "rec_crm_pay_3", "status": "started"}})
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_element_types_are_served_beside_its_script() {
    let cfg = minivoice_proxy::ServeConfig::sandbox_on_loopback(widget_dir());
    let mut proxy = InProcess::start(cfg, None).await;
    let resp = reqwest::get(format!("http://{}/minivoice-recordings.d.ts", proxy.addr))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/typescript; charset=utf-8"
    );
    let types = resp.text().await.unwrap();
    for declared in [
        "\"minivoice-recordings\": MiniVoiceRecordingsElement;",
        "pause(options?: MiniVoicePauseOptions): Promise<MiniVoiceRecordingDetail>;",
        "\"minivoice-recording-resumed\": CustomEvent<MiniVoiceRecordingDetail>;",
    ] {
        assert!(types.contains(declared), "{declared}");
    }
    proxy.stop().await;
}
