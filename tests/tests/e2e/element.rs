//! The element's contract with the page beyond its buttons: a method called while the widget
//! loads (a French catalog on its way) or re-renders (a new `call-id`, a new `lang`) waits for
//! it and acts; `el.ready` and `minivoice-ready` say when it can; every refusal a page receives
//! is also dispatched as `minivoice-error`; and its typings compile as a CRM's TypeScript (plain
//! and React's JSX) under `tsc --strict`.

use std::path::{Path, PathBuf};
use std::process::Command;

use minivoice_e2e::words::catalog::{self, Texts};
use minivoice_e2e::{in_widget, widget_dir, Harness, InProcess};
use serde_json::json;

/// JavaScript: a new `<minivoice-recordings id lang call-id>` on the sample CRM's page, pointed
/// at its proxy as `w1` is, that keeps each `minivoice-ready` detail in `window.ready_{id}`;
/// appended, then `then` (using `el`) runs in the same task, as a page's code would.
fn add_element(id: &str, lang: &str, call_id: &str, then: &str) -> String {
    format!(
        "(() => {{ const el = document.createElement('minivoice-recordings'); el.id = '{id}'; \
           el.setAttribute('lang', '{lang}'); el.setAttribute('call-id', '{call_id}'); \
           el.setAttribute('api-base', document.getElementById('w1').getAttribute('api-base')); \
           window.ready_{id} = []; \
           el.addEventListener('minivoice-ready', (e) => window.ready_{id}.push(e.detail)); \
           document.body.append(el); {then}; return true; }})()"
    )
}

/// JavaScript: keeps how the promise `call` settled in `window[key]`: `{ok: detail}` or
/// `{code, isError}`.
fn settle(call: &str, key: &str) -> String {
    format!(
        "{call}.then(d => window['{key}'] = {{ok: d}}, \
           e => window['{key}'] = {{code: e.code, isError: e instanceof Error}})"
    )
}

/// What Start is named in `texts` for `call_id`, as the catalog words it.
fn start_name(texts: &Texts, call_id: &str) -> String {
    texts
        .button_for_call()
        .replacen("{}", texts.start_recording(), 1)
        .replacen("{}", call_id, 1)
}

async fn settled(h: &Harness, key: &str) -> serde_json::Value {
    h.wait_js(&format!("{key} settled"), &format!("window['{key}']"))
        .await;
    h.js(&format!("window['{key}']")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_element_added_and_started_at_once_starts_and_says_it_is_ready() {
    let h = Harness::on_crm_page("/").await;
    h.js(&add_element(
        "fr1",
        "fr",
        "e2e_fr_at_once",
        &format!(
            "el.ready.then(() => window.fr1Ready = true); {}",
            settle("el.start()", "started")
        ),
    ))
    .await;
    assert_eq!(
        settled(&h, "started").await,
        json!({"ok": {"callId": "e2e_fr_at_once", "recordingId": "rec_e2e_fr_at_once", "status": "started"}})
    );
    // It waited for the French widget, which started it as its own button would.
    assert_eq!(
        h.js(&format!(
            "{}.getAttribute('aria-label')",
            in_widget("fr1", "[data-testid=start]")
        ))
        .await,
        start_name(&catalog::FR, "e2e_fr_at_once")
    );
    h.wait_js(
        "the French widget shows its recording",
        &format!(
            "{}?.dataset.status === 'started'",
            in_widget("fr1", "[data-testid=recording-row]")
        ),
    )
    .await;
    assert_eq!(h.js("window.fr1Ready === true").await, true);
    assert_eq!(
        h.js("window.ready_fr1").await,
        json!([{"callId": "e2e_fr_at_once"}])
    );
    // An element ready long since: `ready` resolves at once.
    h.js(&settle("document.getElementById('w1').ready", "w1Ready"))
        .await;
    assert_eq!(settled(&h, "w1Ready").await, json!({"ok": null}));
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_call_id_or_lang_then_a_method_at_once_acts_for_the_new_attributes() {
    let h = Harness::on_crm_page("/").await;
    assert_eq!(h.api_action("e2e_switch_new", "start").await, 200);
    // Added in French, then at once moved to another call (the French words still on their
    // way), then stopped: the stop is the new call's.
    h.js(&add_element(
        "sw",
        "fr",
        "e2e_switch_old",
        &format!(
            "el.setAttribute('call-id', 'e2e_switch_new'); {}",
            settle("el.stop()", "stopped")
        ),
    ))
    .await;
    assert_eq!(
        settled(&h, "stopped").await,
        json!({"ok": {"callId": "e2e_switch_new", "recordingId": "rec_e2e_switch_new", "status": "stopped"}})
    );
    h.wait_js(
        "the page heard the stop of the new call",
        "window.heard.some(e => e.type === 'minivoice-recording-stopped' && e.from === 'sw' \
           && e.detail.callId === 'e2e_switch_new')",
    )
    .await;
    // A new language (German, never fetched on this page) and a new call, then a start.
    h.js(&format!(
        "(() => {{ const el = document.getElementById('sw'); el.setAttribute('lang', 'de'); \
           el.setAttribute('call-id', 'e2e_switch_de'); {}; return true; }})()",
        settle("el.start()", "started")
    ))
    .await;
    assert_eq!(
        settled(&h, "started").await,
        json!({"ok": {"callId": "e2e_switch_de", "recordingId": "rec_e2e_switch_de", "status": "started"}})
    );
    assert_eq!(
        h.js(&format!(
            "{}.getAttribute('aria-label')",
            in_widget("sw", "[data-testid=start]")
        ))
        .await,
        start_name(&catalog::DE, "e2e_switch_de")
    );
    // Ready once per settled set of attributes; the renders overtaken never were.
    assert_eq!(
        h.js("window.ready_sw").await,
        json!([{"callId": "e2e_switch_new"}, {"callId": "e2e_switch_de"}])
    );
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_a_page_receives_is_dispatched_as_minivoice_error() {
    let h = Harness::on_crm_page("/").await;
    // Connected, no call: refused at once, and the page hears it.
    h.js(&add_element(
        "nocall",
        "en",
        "",
        &settle("el.start()", "nocall"),
    ))
    .await;
    assert_eq!(
        settled(&h, "nocall").await,
        json!({"code": "widget_unavailable", "isError": true})
    );
    h.wait_js(
        "the page heard the refusal",
        "window.heard.some(e => e.type === 'minivoice-error' && e.from === 'nocall' \
           && e.detail.action === 'start' && e.detail.code === 'widget_unavailable' \
           && e.detail.callId === '' && e.detail.message.includes('call-id'))",
    )
    .await;
    // Never connected: the element itself hears it.
    h.js(&format!(
        "(() => {{ const el = document.createElement('minivoice-recordings'); \
           el.setAttribute('call-id', 'e2e_detached'); window.detachedHeard = []; \
           el.addEventListener('minivoice-error', (e) => window.detachedHeard.push(e.detail)); \
           {}; return true; }})()",
        settle("el.pause({reason: 'payment'})", "detached")
    ))
    .await;
    assert_eq!(
        settled(&h, "detached").await,
        json!({"code": "widget_unavailable", "isError": true})
    );
    assert_eq!(
        h.js("window.detachedHeard.map(d => [d.callId, d.action, d.code])")
            .await,
        json!([["e2e_detached", "pause", "widget_unavailable"]])
    );
    // The proxy's refusal: told once, not twice.
    h.js(&settle(
        "document.getElementById('w1').resume()",
        "notPaused",
    ))
    .await;
    assert_eq!(
        settled(&h, "notPaused").await,
        json!({"code": "call_not_paused", "isError": true})
    );
    h.wait_js(
        "the page heard the proxy's refusal",
        "window.heard.some(e => e.type === 'minivoice-error' && e.detail.code === 'call_not_paused')",
    )
    .await;
    assert_eq!(
        h.js("window.heard.filter(e => e.type === 'minivoice-error').map(e => e.detail.code)")
            .await,
        json!(["widget_unavailable", "call_not_paused"])
    );
    h.close().await;
}

/// `examples/typescript/`: a CRM's plain TypeScript and its React component.
fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/typescript")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_typings_compile_a_crms_ts_and_tsx_under_strict() {
    let tsc = example().join("node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "no TypeScript in examples/typescript: run `cargo xtask test` (it runs npm ci there)"
    );
    let cfg = minivoice_proxy::ServeConfig::sandbox_on_loopback(widget_dir());
    let mut proxy = InProcess::start(cfg, None).await;
    // The CRM's build, with the typings saved from the proxy as docs/embedding.md says.
    let build = tempfile::tempdir().unwrap();
    copy_dir(&example(), build.path());
    copy_dir(&example().join("src"), &build.path().join("src"));
    std::os::unix::fs::symlink(
        example().join("node_modules"),
        build.path().join("node_modules"),
    )
    .unwrap();
    let types = build.path().join("src/types");
    std::fs::create_dir_all(&types).unwrap();
    for file in [
        "minivoice-recordings.d.ts",
        "minivoice-recordings.react.d.ts",
    ] {
        let resp = reqwest::get(format!("http://{}/{file}", proxy.addr))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{file}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/typescript; charset=utf-8"
        );
        std::fs::write(types.join(file), resp.text().await.unwrap()).unwrap();
    }
    proxy.stop().await;
    // Without React (only the element's own file), then with it (the .tsx and its JSX entry).
    for project in ["tsconfig.plain.json", "tsconfig.json"] {
        let out = Command::new(&tsc)
            .args(["-p", project])
            .current_dir(build.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tsc -p {project}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
