//! The supervisor's view (`/supervisor`): a pause made on one replica shows on another's
//! within a second; the supervisor's Resume resumes the call and the agent's widget says who;
//! axe in light and dark, 320 px wide, Resume by keyboard; German. `UPDATE_SCREENSHOTS=1`
//! also writes `docs/screenshots/supervisor-{light,dark,de}.png`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use minivoice_e2e::deployment::Deployment;
use minivoice_e2e::words::{assert_no_english, catalog};
use minivoice_e2e::{Harness, DEADLINE};
use serde_json::json;

/// POSTs `body` to `/api/{path}` on `replica` with `token`, as an agent's widget would.
async fn post_as(replica: SocketAddr, token: &str, path: &str, body: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("http://{replica}/api/{path}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .timeout(DEADLINE)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Opens `/supervisor` with `token` (in the fragment, as `/embed` takes it; none: this
/// machine's anonymous supervisor) and waits until its stream is live.
async fn open_supervisor(h: &Harness, token: Option<&str>) {
    let fragment = token.map(|t| format!("#token={t}")).unwrap_or_default();
    h.client
        .goto(&h.url(&format!("/supervisor{fragment}")))
        .await
        .unwrap();
    h.wait_for("[data-testid=supervisor]").await;
    h.wait_js(
        "the supervisor's stream is live",
        "document.querySelector('[data-testid=live-state]')?.dataset.state === 'live'",
    )
    .await;
}

/// The CSS selector of `call`'s row in state `state`.
fn row(call: &str, state: &str) -> String {
    format!("[data-testid=live-call][data-call-id={call}][data-state={state}]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_on_replica_a_shows_on_replica_bs_supervisor_page_within_a_second() {
    let d = Deployment::start(2).await;
    let (a, b) = (d.replicas[0].addr, d.replicas[1].addr);
    let call = "e2e_sup_cross";
    let agent = Deployment::token("e2e_agent", &[call]);
    let h = Harness::at(b).await;
    // An agent's token is refused, and the page says what it needs.
    h.client
        .goto(&h.url(&format!("/supervisor?as=agent#token={agent}")))
        .await
        .unwrap();
    let refused = h
        .wait_for("[data-testid=error]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        refused,
        "The calls cannot be shown: This view needs a supervisor’s token (one for every call)."
    );
    open_supervisor(&h, Some(&Deployment::token("e2e_sup", &["*"]))).await;
    h.wait_for("[data-testid=mv-empty]").await;

    let start = r#"{"action":"start"}"#;
    let (status, body) = post_as(a, &agent, &format!("calls/{call}/recordings"), start).await;
    assert_eq!(status, 200, "{body}");
    h.wait_for(&row(call, "recording")).await;
    let detail = h
        .text(&format!(
            "{} [data-testid=live-call-detail]",
            row(call, "recording")
        ))
        .await
        .unwrap();
    assert!(detail.starts_with("Started by e2e_agent · "), "{detail}");

    let pause = r#"{"reason":"card details"}"#;
    let (status, body) = post_as(a, &agent, &format!("calls/{call}/pause"), pause).await;
    assert_eq!(status, 200, "{body}");
    // Within a second of the pause's answer, on the other replica's page.
    let answered = Instant::now();
    let paused = row(call, "paused");
    while !h.exists(&paused).await {
        assert!(
            answered.elapsed() < Duration::from_secs(1),
            "the pause was not on replica B's supervisor page within a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let detail = h
        .text(&format!("{paused} [data-testid=live-call-detail]"))
        .await
        .unwrap();
    assert_eq!(detail, "Paused by e2e_agent (card details)");
    let countdown = h
        .text(&format!("{paused} [data-testid=resume-countdown]"))
        .await
        .unwrap();
    assert!(
        countdown.starts_with("resumes automatically in "),
        "{countdown}"
    );
    // The story: the call's own widget, with the supervisor's token.
    let story = h
        .wait_for(&format!("{paused} [data-testid=story]"))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        story.starts_with(&format!("/?call_id={call}#token=")),
        "{story}"
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisors_resume_resumes_the_call_and_the_agents_widget_says_who() {
    let d = Deployment::start(2).await;
    let call = "e2e_sup_resume";
    let agent = Harness::at(d.replicas[0].addr).await;
    agent
        .open_call_as(call, &Deployment::token("e2e_agent", &[call]))
        .await;
    agent.wait_enabled("start", true).await;
    agent.click("start").await;
    agent.wait_enabled("pause", true).await;
    agent.click("pause").await;
    agent.wait_for("[data-testid=paused-banner]").await;

    let sup = Harness::at(d.replicas[1].addr).await;
    open_supervisor(&sup, Some(&Deployment::token("e2e_sup", &["*"]))).await;
    sup.wait_for(&row(call, "paused")).await;
    // Keyboard only: Tab reaches Resume, Enter presses it.
    sup.tab_to("resume").await;
    sup.keys("\u{E007}").await;
    sup.wait_for(&row(call, "recording")).await;
    let detail = sup
        .text(&format!(
            "{} [data-testid=live-call-detail]",
            row(call, "recording")
        ))
        .await
        .unwrap();
    assert!(detail.starts_with("Started by e2e_sup · "), "{detail}");

    agent
        .wait_until("the agent's banner is gone", || async {
            !agent.exists("[data-testid=paused-banner]").await
        })
        .await;
    agent
        .wait_js(
            "the agent's widget says who resumed",
            "[...document.querySelectorAll('[data-testid=activity-entry]')] \
             .some(e => e.textContent.startsWith('Resumed by e2e_sup · '))",
        )
        .await;
    agent.close().await;
    sup.close().await;
}

/// A call recording and one paused (reason `payment`), by this machine's anonymous agent.
async fn two_calls_by_api(h: &Harness, prefix: &str) {
    for call in ["recording", "paused"] {
        let (status, body) = h
            .api_post(
                &format!("calls/{prefix}_{call}/recordings"),
                r#"{"action":"start"}"#,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = h
        .api_post(
            &format!("calls/{prefix}_paused/pause"),
            r#"{"reason":"payment"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// [`two_calls_by_api`], then both on the supervisor's page.
async fn two_calls(h: &Harness, prefix: &str) {
    two_calls_by_api(h, prefix).await;
    h.wait_for(&row(&format!("{prefix}_recording"), "recording"))
        .await;
    h.wait_for(&row(&format!("{prefix}_paused"), "paused"))
        .await;
}

/// `UPDATE_SCREENSHOTS=1`: the page's picture as `docs/screenshots/supervisor-{name}.png`.
async fn screenshot(h: &Harness, name: &str) {
    let png = h
        .wait_for("[data-testid=supervisor]")
        .await
        .screenshot()
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../docs/screenshots/supervisor-{name}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_page_passes_axe_in_light_and_dark_and_fits_320_px() {
    for dark in [false, true] {
        let scheme = if dark { "dark" } else { "light" };
        let h = Harness::start_full(|_| {}, dark).await;
        open_supervisor(&h, None).await;
        two_calls(&h, &format!("e2e_sup_{scheme}")).await;
        let violations = h.axe(json!(null)).await;
        assert!(violations.is_empty(), "{scheme}: {violations:#?}");
        screenshot(&h, scheme).await;
        if !dark {
            // The filter by agent, typed: letters in any case; no match says so.
            h.wait_for("[data-testid=agent-filter]")
                .await
                .send_keys("ANON")
                .await
                .unwrap();
            h.wait_js(
                "both calls match",
                "document.querySelectorAll('[data-testid=live-call]').length === 2",
            )
            .await;
            h.keys("x").await;
            let none = h.wait_for("[data-testid=mv-empty]").await.text().await;
            assert_eq!(none.unwrap(), "No call of an agent by that name.");
            assert!(!h.exists("[data-testid=live-call]").await);
            let violations = h.axe(json!(null)).await;
            assert!(violations.is_empty(), "filtered: {violations:#?}");
            // Backspace over "ANONx".
            h.keys(&"\u{E003}".repeat(5)).await;
        }
        h.wait_js(
            "both calls shown",
            "document.querySelectorAll('[data-testid=live-call]').length === 2",
        )
        .await;

        h.client.set_window_size(320, 800).await.unwrap();
        h.wait_js(
            "the window is 320 px wide",
            "document.documentElement.clientWidth <= 320",
        )
        .await;
        let overflow = h
            .js("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await;
        assert_eq!(overflow, 0, "{scheme}: no horizontal scroll at 320 px");
        let violations = h.axe(json!(null)).await;
        assert!(violations.is_empty(), "{scheme} at 320 px: {violations:#?}");
        h.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_page_speaks_german() {
    let h = Harness::start_in_language("de-DE,de").await;
    open_supervisor(&h, None).await;
    two_calls(&h, "e2e_sup_de").await;
    let title = h.text("[data-testid=supervisor] h2").await.unwrap();
    assert_eq!(title, "Aufgezeichnete und pausierte Anrufe");
    let paused = row("e2e_sup_de_paused", "paused");
    let detail = h
        .text(&format!("{paused} [data-testid=live-call-detail]"))
        .await
        .unwrap();
    assert_eq!(detail, "Pausiert von Anonym (payment)");
    let countdown = h
        .text(&format!("{paused} [data-testid=resume-countdown]"))
        .await
        .unwrap();
    assert!(countdown.starts_with("wird in "), "{countdown}");
    let shown = h
        .js(
            "(() => { const s = document.querySelector('[data-testid=supervisor]'); \
             const named = [...s.querySelectorAll('[aria-label]')] \
               .map(e => e.getAttribute('aria-label')); \
             return [s.innerText, s.getAttribute('aria-label'), ...named].join('\\n'); })()",
        )
        .await;
    assert_no_english(shown.as_str().unwrap(), &catalog::DE, "the supervisor page");
    screenshot(&h, "de").await;
    h.close().await;
}

/// Sets the report form's `field` (`report-from`, `report-to`) as typing would.
async fn set_range(h: &Harness, field: &str, value: &str) {
    h.js(&format!(
        "(() => {{ const i = document.querySelector('[data-testid={field}]'); \
           i.value = '{value}'; i.dispatchEvent(new Event('input', {{ bubbles: true }})); \
           return true; }})()"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pause_report_downloads_as_csv_and_a_refused_range_says_why() {
    let h = Harness::start().await;
    open_supervisor(&h, None).await;
    two_calls(&h, "e2e_sup_report").await;
    set_range(&h, "report-from", "2026-05-02T10:00").await;
    set_range(&h, "report-to", "2026-05-01T10:00").await;
    h.click("download-report").await;
    h.wait_js(
        "the refusal is explained",
        "document.querySelector('[data-testid=report-outcome]').textContent \
           === 'The report cannot be downloaded: The end must be after the start.'",
    )
    .await;

    // The default range is the last day: it holds the pause just made.
    h.client.refresh().await.unwrap();
    h.wait_for("[data-testid=download-report]").await;
    // What the browser is handed to save, read back.
    h.js("(() => { const handOver = URL.createObjectURL; \
          URL.createObjectURL = (b) => { b.text().then(t => window.__csv = t); \
            return handOver(b); }; return true; })()")
        .await;
    h.click("download-report").await;
    h.wait_js(
        "the report was saved",
        "document.querySelector('[data-testid=report-outcome]').textContent \
           === 'Report downloaded.'",
    )
    .await;
    let asked = h
        .js("performance.getEntriesByType('resource') \
             .filter(e => new URL(e.name).pathname === '/api/reports/pauses') \
             .map(e => e.responseStatus)")
        .await;
    assert_eq!(asked, json!([200]), "one report asked for, and served");
    h.wait_js("the CSV was read", "typeof window.__csv === 'string'")
        .await;
    let csv = h.js("window.__csv").await;
    let lines: Vec<&str> = csv.as_str().unwrap().split("\r\n").collect();
    assert!(
        lines[0].starts_with("call_id,recording_id,next_recording_id,paused_by,reason,"),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("e2e_sup_report_paused,") && l.contains(",anonymous,payment,")),
        "the pause just made: {csv}"
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_element_loads_its_own_bundle_only_when_used() {
    let h = Harness::start().await;
    two_calls_by_api(&h, "e2e_sup_element").await;
    h.open_call("e2e_sup_element_recording").await;
    let supervisor_files = "performance.getEntriesByType('resource') \
        .filter(e => new URL(e.name).pathname.startsWith('/supervisor/')).length";
    h.js("import('/minivoice-recordings.js').then(() => true)")
        .await;
    h.wait_js(
        "the recordings element is defined",
        "!!customElements.get('minivoice-recordings')",
    )
    .await;
    assert_eq!(
        h.js(supervisor_files).await,
        0,
        "the widget and its script load nothing of the supervisor's"
    );
    h.js(
        "(() => { document.body.append(document.createElement('minivoice-supervisor')); \
          return true; })()",
    )
    .await;
    let root = "document.querySelector('minivoice-supervisor').shadowRoot";
    h.wait_js(
        "the element shows the paused call",
        &format!(
            "!!{root}?.querySelector('[data-call-id=e2e_sup_element_paused][data-state=paused]')"
        ),
    )
    .await;
    assert!(
        h.js(supervisor_files).await.as_u64().unwrap() >= 2,
        "its glue and wasm"
    );
    h.close().await;
}
