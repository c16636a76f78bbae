//! The widget in the agent's language: the same journey (start, a pause with its reason and
//! countdown, resume, stop, a recording's details, the call's story) in German, chosen by
//! `?lang=de` on our page, and in French, chosen by `lang="fr"` on the CRM's element, shows no
//! English word, formats times and sizes as the locale does, and passes axe-core; and the
//! browser's languages choose when nothing else does.

use minivoice_e2e::words::{assert_no_english, catalog, english_in, shared_words};
use minivoice_e2e::{in_widget, serve_crm_page, Harness};
use serde_json::json;

/// Checks a size as the details show it, `17 kB (17.234 Byte)`: the rounded size in `unit`,
/// then the exact count, its thousands grouped by `group`, in `bytes`. `Intl` puts no-break
/// spaces (U+00A0, U+202F) where it sees fit.
fn assert_size(size: &str, unit: &str, group: char, bytes: &str) {
    let spaces = [' ', '\u{a0}', '\u{202f}'];
    let (rounded, exact) = size
        .trim_end_matches(')')
        .split_once('(')
        .unwrap_or_default();
    let (number, rounded_unit) = rounded.trim_end().rsplit_once(spaces).unwrap_or_default();
    let (count, count_unit) = exact.rsplit_once(spaces).unwrap_or_default();
    let digits =
        |s: &str, extra: char| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == extra);
    assert!(
        digits(number, ',')
            && rounded_unit == unit
            && count.contains(group)
            && digits(count, group)
            && count_unit == bytes,
        "{size:?}"
    );
}

/// The activity entry starting with `prefix`, or `""`: a JS expression under `root`.
fn entry(root: &str, prefix: &str) -> String {
    format!(
        "[...{root}.querySelectorAll('[data-testid=activity-entry]')] \
         .map(e => e.textContent).find(t => t.startsWith('{prefix}')) ?? ''"
    )
}

#[test]
fn the_words_german_and_french_share_with_english_are_known() {
    // Reviewed, not discovered: a new one must be a real word of the language.
    assert_eq!(
        shared_words(&catalog::DE),
        ["Sandbox", "Live", "system", "status", "Start", "Pause"]
    );
    assert!(
        shared_words(&catalog::FR).is_empty(),
        "{:?}",
        shared_words(&catalog::FR)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_speaks_german_with_lang_de() {
    let h = Harness::start().await;
    let call = "e2e_i18n_de";
    h.client
        .goto(&h.url(&format!("/?call_id={call}&lang=de")))
        .await
        .unwrap();
    let root = h.wait_for("[data-testid=widget]").await;
    assert_eq!(root.attr("lang").await.unwrap().as_deref(), Some("de"));
    let empty = h
        .wait_for("[data-testid=empty]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        empty.contains("Klicken Sie auf Aufnahme starten"),
        "{empty}"
    );
    assert_no_english(&h.shown_words("document").await, &catalog::DE, "empty");

    h.wait_enabled("start", true).await;
    h.click("start").await;
    h.wait_enabled("pause", true).await;
    // A second of recording, so the segment has a size in kB when the pause stops it.
    h.wait_until("the duration ticks", || async {
        h.text("[data-testid=recording-duration]").await.as_deref() != Some("00:00")
    })
    .await;
    let (status, _) = h
        .api_post(&format!("calls/{call}/pause"), r#"{"reason":"Zahlung"}"#)
        .await;
    assert_eq!(status, 200);
    let banner = h.wait_for("[data-testid=paused-banner]").await;
    let banner = banner.text().await.unwrap();
    assert!(
        banner.starts_with("Aufnahme pausiert von Anonym (Zahlung) · wird in "),
        "{banner}"
    );
    h.wait_enabled("resume", true).await;
    h.wait_js(
        "the pause in the activity",
        &entry("document", "Pausiert von Anonym (Zahlung)"),
    )
    .await;
    assert_no_english(&h.shown_words("document").await, &catalog::DE, "paused");
    let violations = h.axe(json!(null)).await;
    assert!(violations.is_empty(), "paused: {violations:#?}");

    h.click("resume").await;
    h.wait_until("the next segment on top", || async {
        h.row_statuses().await == ["started", "stopped"]
    })
    .await;
    h.wait_enabled("stop", true).await;
    h.click("stop").await;
    h.wait_enabled("start", true).await;
    // The first segment's details: German labels, status word and number formats.
    let first = format!("[data-recording-id=rec_{call}] button");
    h.wait_for(&first).await.click().await.unwrap();
    let size = h.wait_for("[data-field=size] dd").await.text().await;
    // At 16,000 bytes a second, for over a second: "17 kB (17.234 Byte)".
    assert_size(&size.unwrap(), "kB", '.', "Byte");
    assert_eq!(
        h.text("[data-field=status] dd").await.as_deref(),
        Some("beendet")
    );
    assert_eq!(
        h.text("[data-field=duration] dt").await.as_deref(),
        Some("Dauer")
    );
    // Local times on a 24-hour clock, as German has them.
    let started = h.js(&entry("document", "Gestartet von Anonym · ")).await;
    let time = started
        .as_str()
        .unwrap()
        .rsplit(" · ")
        .next()
        .unwrap()
        .to_owned();
    assert!(
        time.len() == 8 && time.chars().filter(|c| *c == ':').count() == 2,
        "{started}"
    );
    assert_no_english(&h.shown_words("document").await, &catalog::DE, "stopped");
    let violations = h.axe(json!(null)).await;
    assert!(violations.is_empty(), "details: {violations:#?}");
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_element_speaks_french_with_lang_fr() {
    let proxy: std::net::SocketAddr = format!("127.0.0.1:{}", minivoice_e2e::free_port())
        .parse()
        .unwrap();
    let crm = serve_crm_page(proxy).await;
    let h = Harness::start_with(|c| {
        c.listen_addr = proxy;
        c.allowed_origins = vec![format!("http://{crm}").parse().unwrap()];
    })
    .await;
    h.client.goto(&format!("http://{crm}/")).await.unwrap();
    h.wait_js("the CRM's widgets", &in_widget("w1", "[data-testid=empty]"))
        .await;
    // A third element, French from its first render.
    h.js(&format!(
        "document.querySelector('main').insertAdjacentHTML('beforeend', \
           '<minivoice-recordings id=\"fr1\" lang=\"fr\" call-id=\"e2e_i18n_fr\" \
              api-base=\"http://{proxy}/api\"></minivoice-recordings>'), true"
    ))
    .await;
    let root = "document.getElementById('fr1').shadowRoot";
    let find = |css: &str| in_widget("fr1", css);
    h.wait_js("the French empty state", &find("[data-testid=empty]"))
        .await;
    assert_eq!(
        h.js(&format!(
            "{}.getAttribute('lang')",
            find("[data-testid=widget]")
        ))
        .await,
        "fr"
    );
    assert_no_english(&h.shown_words(root).await, &catalog::FR, "empty");

    let click =
        |testid: &str| format!("{}.click(), true", find(&format!("[data-testid={testid}]")));
    let enabled = |testid: &str| {
        format!(
            "{}?.disabled === false",
            find(&format!("[data-testid={testid}]"))
        )
    };
    h.wait_js("Démarrer offered", &enabled("start")).await;
    h.js(&click("start")).await;
    h.wait_js("Suspendre offered", &enabled("pause")).await;
    h.wait_js(
        "the duration ticks",
        &format!(
            "{}?.textContent !== '00:00'",
            find("[data-testid=recording-duration]")
        ),
    )
    .await;
    // The CRM pauses through the element, with its reason.
    h.js("document.getElementById('fr1').pause({reason: 'paiement'}), true")
        .await;
    h.wait_js(
        "the French banner",
        &format!(
            "{}?.textContent.startsWith('Enregistrement suspendu par Anonyme (paiement) · reprise automatique dans ')",
            find("[data-testid=paused-banner]")
        ),
    )
    .await;
    h.wait_js(
        "the pause in the activity",
        &entry(root, "Suspendu par Anonyme (paiement)"),
    )
    .await;
    assert_no_english(&h.shown_words(root).await, &catalog::FR, "paused");
    let violations = h.axe(json!({ "include": [["#fr1"]] })).await;
    assert!(violations.is_empty(), "paused: {violations:#?}");

    h.js(&click("resume")).await;
    h.wait_js("Suspendre offered again", &enabled("pause"))
        .await;
    h.js(&click("stop")).await;
    h.wait_js("Démarrer offered again", &enabled("start")).await;
    h.js(&format!(
        "{}.click(), true",
        find("[data-recording-id=rec_e2e_i18n_fr] button")
    ))
    .await;
    h.wait_js("the details", &find("[data-field=size] dd"))
        .await;
    let size = h
        .js(&format!("{}.textContent", find("[data-field=size] dd")))
        .await;
    let size = size.as_str().unwrap();
    // French says "ko" and "octets", and groups thousands with a narrow no-break space.
    assert_size(size, "ko", '\u{202f}', "octets");
    assert_eq!(
        h.js(&format!("{}.textContent", find("[data-field=status] dd")))
            .await,
        "arrêté"
    );
    let started = h.js(&entry(root, "Démarré par Anonyme · ")).await;
    let time = started
        .as_str()
        .unwrap()
        .rsplit(" · ")
        .next()
        .unwrap()
        .to_owned();
    assert!(time.len() == 8 && !time.contains('M'), "{started}");
    assert_no_english(&h.shown_words(root).await, &catalog::FR, "stopped");
    let violations = h.axe(json!({ "include": [["#fr1"]] })).await;
    assert!(violations.is_empty(), "details: {violations:#?}");

    // The CRM's other widgets stay English (and the check above would have seen it); one given
    // `lang` re-renders in it.
    let w1 = h
        .shown_words("document.getElementById('w1').shadowRoot")
        .await;
    assert!(english_in(&w1, &catalog::FR).len() > 3, "{w1}");
    assert_eq!(
        h.js(&format!("{}.textContent", in_widget("w1", ".mv-title")))
            .await,
        "Recordings"
    );
    h.js("document.getElementById('w1').setAttribute('lang', 'de'), true")
        .await;
    h.wait_js(
        "w1 in German",
        &format!(
            "{}?.textContent === 'Aufnahmen'",
            in_widget("w1", ".mv-title")
        ),
    )
    .await;
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_language_chooses_when_nothing_else_does() {
    let h = Harness::start_in_language("de-AT,de").await;
    // `path` is our page or the iframe's, with its query.
    let lang_of = |path: &'static str| {
        let h = &h;
        async move {
            h.client.goto(&h.url(path)).await.unwrap();
            h.wait_for("[data-testid=empty]").await;
            h.js("document.querySelector('[data-testid=widget]').getAttribute('lang')")
                .await
        }
    };
    assert_eq!(
        lang_of("/?call_id=e2e_i18n_browser").await,
        "de",
        "de-AT is German"
    );
    assert_eq!(
        h.text(".mv-title").await.as_deref(),
        Some("Aufnahmen"),
        "and the words are"
    );
    assert_eq!(
        lang_of("/embed?call_id=e2e_i18n_browser&lang=fr").await,
        "fr",
        "?lang= comes first, on the iframe's page too"
    );
    assert_eq!(
        lang_of("/?call_id=e2e_i18n_browser&lang=es").await,
        "de",
        "a language it lacks: the browser's"
    );
    h.close().await;
}
