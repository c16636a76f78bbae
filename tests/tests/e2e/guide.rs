//! `docs/testing.md`, "Testing your integration", holds what it promises integrators' own
//! browser tests: the accessible names it lists are the catalog's, in each language, and every
//! `data-testid` it promises is in the rendered (embedded) widget.

use std::collections::BTreeSet;
use std::path::PathBuf;

use minivoice_e2e::words::catalog::{Texts, DE, EN, FR};
use minivoice_e2e::{in_widget, Harness};

/// The call the guide's names are written for.
const CALL: &str = "call_123";

fn guide() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/testing.md"))
        .unwrap()
}

/// The table rows under the heading `heading` (up to the next heading), cells trimmed.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/testing.md has no {heading:?}"));
    doc[start + heading.len()..]
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with('|') && !l.starts_with("| ---"))
        .skip(1)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn fill(template: &str, values: &[&str]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |t, v| t.replacen("{}", v, 1))
}

/// Each control's role and accessible name for [`CALL`], in one language: what the widget's
/// components name them with (`aria-label`s, headings and button texts from the catalog).
fn names(t: &Texts) -> Vec<(&'static str, &'static str, String)> {
    let button = |label| fill(t.button_for_call(), &[label, CALL]);
    let recording = format!("rec_{CALL}");
    vec![
        (
            "the widget",
            "region",
            fill(t.recordings_for_call(), &[CALL]),
        ),
        ("its title", "heading", t.recordings().to_owned()),
        ("the buttons", "group", t.recording_controls().to_owned()),
        ("Start", "button", button(t.start_recording())),
        ("Pause", "button", button(t.pause_recording())),
        ("Resume", "button", button(t.resume_recording())),
        ("Stop", "button", button(t.stop_recording())),
        ("the recordings", "list", t.newest_first().to_owned()),
        (
            "a recording's details",
            "region",
            fill(t.details_of(), &[&recording]),
        ),
        ("closing them", "button", t.close().to_owned()),
        ("the activity", "region", t.recent_activity().to_owned()),
    ]
}

#[test]
fn the_guide_lists_each_controls_role_and_name_as_the_catalog_words_them() {
    let doc = guide();
    let rows = table(&doc, "### Roles and accessible names");
    let expected: Vec<Vec<String>> = names(&EN)
        .into_iter()
        .zip(names(&DE))
        .zip(names(&FR))
        .map(|(((what, role, en), (_, _, de)), (_, _, fr))| {
            vec![what.to_owned(), format!("`{role}`"), en, de, fr]
        })
        .collect();
    let as_markdown = |rows: &[Vec<String>]| {
        rows.iter()
            .map(|r| format!("| {} |", r.join(" | ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        as_markdown(&rows),
        as_markdown(&expected),
        "docs/testing.md's table of names, as the catalog words them"
    );
}

/// The `data-testid`s the guide promises.
fn promised_test_ids() -> BTreeSet<String> {
    let ids: BTreeSet<String> = table(&guide(), "### Test IDs")
        .into_iter()
        .flat_map(|row| {
            row[0]
                .split(',')
                .map(|id| id.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(ids.len() > 20, "the guide's test IDs: {ids:?}");
    ids
}

/// JavaScript: every `data-testid` now in the shadow roots of the page's widgets.
const TEST_IDS_SHOWN: &str = "[...document.querySelectorAll('minivoice-recordings')] \
    .flatMap(w => [...w.shadowRoot.querySelectorAll('[data-testid]')]) \
    .map(e => e.dataset.testid)";

/// Adds the `data-testid`s the page's widgets show now to `seen`.
async fn look(h: &Harness, seen: &mut BTreeSet<String>) {
    for id in h.js(TEST_IDS_SHOWN).await.as_array().unwrap() {
        seen.insert(id.as_str().unwrap().to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_test_id_the_guide_promises_is_in_the_embedded_widget() {
    let promised = promised_test_ids();
    let h = Harness::on_crm_page("/").await;
    let mut seen = BTreeSet::new();
    h.wait_js("w1 is empty", &in_widget("w1", "[data-testid=empty]"))
        .await;
    look(&h, &mut seen).await;
    // A recording, its details, the webhook's events heard, then paused.
    h.js("document.getElementById('w1').start()").await;
    h.wait_js(
        "MiniVoice's events shown with the recording",
        &in_widget("w1", "[data-testid=recording-events]"),
    )
    .await;
    h.js(&format!(
        "{}.click()",
        in_widget("w1", "[data-testid=recording-row] button")
    ))
    .await;
    h.wait_js("details open", &in_widget("w1", "[data-testid=metadata]"))
        .await;
    h.wait_js(
        "the start in the activity",
        &in_widget("w1", "[data-testid=activity-entry]"),
    )
    .await;
    look(&h, &mut seen).await;
    h.js("document.getElementById('w1').pause({reason: 'payment'})")
        .await;
    h.wait_js("paused", &in_widget("w1", "[data-testid=resume-countdown]"))
        .await;
    look(&h, &mut seen).await;
    // A refused action, a call that does not exist, no call at all.
    h.js("document.getElementById('w2').setAttribute('call-id', 'call_completed')")
        .await;
    h.js("document.getElementById('w2').start().catch(() => {})")
        .await;
    h.wait_js(
        "the refusal shown",
        &in_widget("w2", "[data-testid=error-code]"),
    )
    .await;
    look(&h, &mut seen).await;
    h.js("document.getElementById('w2').setAttribute('call-id', 'call_missing')")
        .await;
    h.wait_js(
        "the list unavailable",
        &in_widget("w2", "[data-testid=retry]"),
    )
    .await;
    look(&h, &mut seen).await;
    h.js("document.getElementById('w2').removeAttribute('call-id')")
        .await;
    h.wait_js("no call", &in_widget("w2", "[data-testid=no-call]"))
        .await;
    look(&h, &mut seen).await;
    let missing: Vec<_> = promised.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "promised in docs/testing.md, never rendered: {missing:?} (seen: {seen:?})"
    );
    h.close().await;
}
