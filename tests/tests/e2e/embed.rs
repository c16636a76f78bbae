//! Embedding in a CRM: the `<minivoice-recordings>` element in a page with hostile global CSS,
//! served from another origin, two widgets for two calls, events to the host page, removal,
//! attribute changes; and accessibility (keyboard, focus, axe-core in light and dark).

use std::net::SocketAddr;

use minivoice_e2e::{free_port, in_widget, serve_crm_page, Harness};
use serde_json::json;

/// The proxy on a known port, allowing the CRM's origin, and the CRM page pointed at it.
async fn crm(dark: bool) -> (Harness, SocketAddr) {
    let proxy: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let crm = serve_crm_page(proxy).await;
    let h = Harness::start_full(
        |c| {
            c.listen_addr = proxy;
            c.allowed_origins = vec![format!("http://{crm}").parse().unwrap()];
        },
        dark,
    )
    .await;
    h.client.goto(&format!("http://{crm}/")).await.unwrap();
    for w in ["w1", "w2"] {
        h.wait_js(
            &format!("{w} rendered its empty state"),
            &in_widget(w, "[data-testid=empty]"),
        )
        .await;
    }
    (h, crm)
}

async fn open_streams(h: &Harness) -> u64 {
    let info: serde_json::Value = reqwest::get(format!("http://{}/api/info", h.proxy))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    info["event_streams"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_widgets_in_a_hostile_crm_page_work_and_tell_the_page() {
    let (h, _crm) = crm(false).await;
    let start1 = in_widget("w1", "[data-testid=start]");
    // The page's `button { display: none !important }` and fonts do not reach inside.
    let shown = h
        .js(&format!(
            "(() => {{ const b = {start1}; const s = getComputedStyle(b); \
               const w = getComputedStyle({}); \
               return {{ display: s.display, height: b.getBoundingClientRect().height, \
                        font: w.fontFamily, transform: w.textTransform, spacing: w.letterSpacing, \
                        accent: s.backgroundColor }}; }})()",
            in_widget("w1", ".mv-widget")
        ))
        .await;
    assert_ne!(shown["display"], "none", "{shown}");
    assert!(shown["height"].as_f64().unwrap() > 10.0, "{shown}");
    assert!(
        !shown["font"].as_str().unwrap().contains("Comic"),
        "{shown}"
    );
    assert_eq!(shown["transform"], "none", "{shown}");
    assert_eq!(shown["spacing"], "normal", "{shown}");
    // Themed through a documented custom property set by the page.
    assert_eq!(shown["accent"], "rgb(106, 27, 154)", "{shown}");

    h.wait_until("both widgets live", || async {
        open_streams(&h).await == 2
    })
    .await;
    h.js(&format!("{start1}.click()")).await;
    h.wait_js(
        "the page heard w1's start with its IDs",
        "window.heard.some(e => e.type === 'minivoice-recording-started' && e.from === 'w1' \
           && e.detail.callId === 'crm_call_a' && e.detail.recordingId === 'rec_crm_call_a')",
    )
    .await;
    // The other widget is independent.
    assert!(h
        .js(&format!("!!{}", in_widget("w2", "[data-testid=empty]")))
        .await
        .as_bool()
        .unwrap());
    assert_eq!(
        h.js("window.heard.filter(e => e.from === 'w2').length")
            .await,
        0
    );

    // Removing one releases its stream; the other keeps working.
    h.js("document.getElementById('w1').remove()").await;
    h.wait_until("w1's stream released", || async {
        open_streams(&h).await == 1
    })
    .await;
    h.js(&format!(
        "{}.click()",
        in_widget("w2", "[data-testid=start]")
    ))
    .await;
    h.wait_js(
        "w2 started crm_call_b",
        "window.heard.some(e => e.type === 'minivoice-recording-started' && e.from === 'w2' \
           && e.detail.recordingId === 'rec_crm_call_b')",
    )
    .await;
    h.wait_js(
        "w2 shows its started row",
        &format!(
            "{}?.dataset.status === 'started'",
            in_widget("w2", "[data-testid=recording-row]")
        ),
    )
    .await;

    // A new call-id re-renders for that call; errors reach the page with their code.
    h.js("document.getElementById('w2').setAttribute('call-id', 'call_completed')")
        .await;
    h.wait_js(
        "w2 re-rendered for the new call",
        &format!(
            "{}?.textContent === 'call_completed'",
            in_widget("w2", "[data-testid=call-id]")
        ),
    )
    .await;
    h.wait_js(
        "Start enabled on the new call",
        &format!(
            "{} && !{}.disabled",
            in_widget("w2", "[data-testid=empty]"),
            in_widget("w2", "[data-testid=start]")
        ),
    )
    .await;
    h.js(&format!(
        "{}.click()",
        in_widget("w2", "[data-testid=start]")
    ))
    .await;
    h.wait_js(
        "the page heard the error",
        "window.heard.some(e => e.type === 'minivoice-error' && e.detail.callId === 'call_completed' \
           && e.detail.code === 'call_not_active')",
    )
    .await;
    h.wait_until("still one stream after the re-render", || async {
        open_streams(&h).await == 1
    })
    .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_iframe_route_serves_the_widget_alone() {
    let h = Harness::start().await;
    h.client
        .goto(&h.url("/embed?call_id=e2e_iframe"))
        .await
        .unwrap();
    h.wait_for("[data-testid=empty]").await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_in_light_or_dark() {
    for dark in [false, true] {
        let (h, _crm) = crm(dark).await;
        let scheme = h
            .js("matchMedia('(prefers-color-scheme: dark)').matches")
            .await;
        assert_eq!(scheme, dark, "the browser's colour scheme");
        // States worth checking: a recording with its details and history open, then paused.
        h.js(&format!(
            "{}.click()",
            in_widget("w1", "[data-testid=start]")
        ))
        .await;
        h.wait_js(
            "w1 started",
            &in_widget("w1", "[data-testid=activity-entry]"),
        )
        .await;
        h.js(&format!(
            "{}.querySelector('button').click()",
            in_widget("w1", "[data-testid=recording-row]")
        ))
        .await;
        h.wait_js("details open", &in_widget("w1", "[data-testid=metadata]"))
            .await;
        // Then paused by the page, for the banner and the pause in the activity panel.
        h.js("document.getElementById('w1').pause({reason: 'payment'})")
            .await;
        h.wait_js("w1 paused", &in_widget("w1", "[data-testid=paused-banner]"))
            .await;
        h.wait_js(
            "the pause in w1's activity",
            &format!(
                "{}?.textContent.includes('Paused by')",
                in_widget("w1", "[data-testid=activity]")
            ),
        )
        .await;
        let violations = h.axe(json!({ "include": [["#w1"], ["#w2"]] })).await;
        assert!(violations.is_empty(), "dark={dark}: {violations:#?}");

        // The standalone page, whole document, with an error shown.
        h.client
            .goto(&h.url("/?call_id=call_missing"))
            .await
            .unwrap();
        h.wait_for("[data-testid=error-code]").await;
        let violations = h.axe(json!(null)).await;
        assert!(violations.is_empty(), "page, dark={dark}: {violations:#?}");
        h.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_control_works_by_keyboard_with_a_visible_focus_and_is_announced() {
    let h = Harness::start().await;
    h.open_call("e2e_keys_only").await;
    h.wait_enabled("start", true).await;
    // Tab from the top of the page until Start has the focus.
    let body = h
        .client
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap();
    body.send_keys("").await.ok();
    h.tab_to("start").await;
    let outline = h
        .js("getComputedStyle(document.activeElement).outlineStyle")
        .await;
    assert_ne!(outline, "none", "focus must be visible");
    let name = h
        .js("document.activeElement.getAttribute('aria-label')")
        .await;
    assert_eq!(name, "Start recording call e2e_keys_only");
    // Enter presses it.
    h.keys("\u{E007}").await;
    h.wait_until("started by keyboard", || async {
        h.row_statuses().await == ["started"]
    })
    .await;
    let said = h.wait_for("[data-testid=announcer]").await;
    let live = said.attr("aria-live").await.unwrap();
    assert_eq!(live.as_deref(), Some("polite"));
    h.wait_until("the start is announced", || async {
        h.text("[data-testid=announcer]").await.as_deref()
            == Some("Recording rec_e2e_keys_only started.")
            || h.js("document.querySelector('[data-testid=announcer]').textContent")
                .await
                == "Recording rec_e2e_keys_only started."
    })
    .await;
    // Pause and Resume likewise: Space presses them.
    h.wait_enabled("pause", true).await;
    h.tab_to("pause").await;
    let name = h
        .js("document.activeElement.getAttribute('aria-label')")
        .await;
    assert_eq!(name, "Pause recording call e2e_keys_only");
    h.keys(" ").await;
    h.wait_for("[data-testid=paused-banner]").await;
    h.wait_enabled("resume", true).await;
    h.tab_to("resume").await;
    h.keys(" ").await;
    h.wait_until("resumed by keyboard", || async {
        !h.exists("[data-testid=paused-banner]").await
    })
    .await;
    h.close().await;
}
