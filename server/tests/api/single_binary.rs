//! One binary is the whole product: copied into an empty folder and started there without
//! `WIDGET_DIR`, it serves the page, the embed script, the compressed assets and the API from
//! the widget built into it. `cargo xtask test` builds `dist/` before this crate compiles; a
//! plain `cargo test` without a built `dist/` fails these tests rather than skipping them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use testkit::*;

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

/// The built asset whose name ends with `suffix`, e.g. `_bg.wasm`.
fn built(suffix: &str) -> String {
    built_in(&dist(), suffix)
}

fn built_in(folder: &Path, suffix: &str) -> String {
    std::fs::read_dir(folder)
        .expect("dist/ is built (cargo xtask widget)")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|name| name.ends_with(suffix))
        .unwrap_or_else(|| panic!("dist/ has no *{suffix}"))
}

/// The proxy binary copied into a fresh empty folder and started there, with no environment
/// but its address (sandbox mode: no key, loopback).
async fn copied_binary() -> (Proxy, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let binary = folder.path().join("minivoice-proxy");
    std::fs::copy(env!("CARGO_BIN_EXE_minivoice-proxy"), &binary).unwrap();
    let addr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = Command::new(&binary);
    cmd.current_dir(folder.path())
        .env_clear()
        .env("LISTEN_ADDR", format!("{addr}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    (Proxy::run(cmd, addr, Duration::from_secs(20)).await, folder)
}

async fn fetch(url: &str, accept_encoding: &str) -> reqwest::Response {
    // No automatic decompression: the test sees the bytes on the wire.
    reqwest::Client::new()
        .get(url)
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_copied_binary_serves_page_embed_script_and_api_from_an_empty_folder() {
    let (proxy, _folder) = copied_binary().await;
    let app = proxy.app();
    let wasm = built("_bg.wasm");

    let page = app.get("/").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains(&wasm), "the page names the built bundle");
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'sha256-"));

    let element = app.get("/minivoice-recordings.js").await;
    assert_eq!(element.status, 200);
    assert!(
        element.text.contains(&wasm),
        "the element loads the built bundle"
    );

    // The supervisor's page, from its own bundle, built in too.
    let supervisor = app.get("/supervisor").await;
    assert_eq!(supervisor.status, 200, "{}", supervisor.text);
    let supervisor_wasm = built_in(&dist().join("supervisor"), "_bg.wasm");
    assert!(supervisor_wasm != wasm && supervisor.text.contains(&supervisor_wasm));
    let served = app.get(&format!("/supervisor/{supervisor_wasm}")).await;
    assert_eq!(served.status, 200);
    assert!(served.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));

    let info = app.get("/api/info").await;
    assert_eq!(info.status, 200);
    assert!(info.text.contains(env!("CARGO_PKG_VERSION")));
    let list = app.get("/api/calls/call_single/recordings").await;
    assert_eq!(list.status, 200, "{}", list.text);
}

#[tokio::test]
async fn embedded_assets_are_served_precompressed_with_validators() {
    let (proxy, _folder) = copied_binary().await;
    let wasm = built("_bg.wasm");
    let url = proxy.app().url(&format!("/{wasm}"));

    for (accept, encoding, file) in [
        ("gzip, deflate, br", Some("br"), format!("{wasm}.br")),
        ("gzip", Some("gzip"), format!("{wasm}.gz")),
        ("br;q=0, gzip", Some("gzip"), format!("{wasm}.gz")),
        ("br;q=0.5, gzip", Some("gzip"), format!("{wasm}.gz")),
        ("identity", None, wasm.clone()),
    ] {
        let resp = fetch(&url, accept).await;
        assert_eq!(resp.status(), 200, "{accept}");
        let h = resp.headers().clone();
        assert_eq!(
            h.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(h["content-type"], "application/wasm");
        assert_eq!(h["vary"], "accept-encoding");
        assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
        let body = resp.bytes().await.unwrap();
        assert_eq!(
            body.as_ref(),
            std::fs::read(dist().join(&file)).unwrap(),
            "{accept} is served {file}, byte for byte"
        );

        let again = reqwest::Client::new()
            .get(&url)
            .header("accept-encoding", accept)
            .header("if-none-match", h["etag"].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{accept}: the browser has it");
        assert_eq!(again.headers()["vary"], "accept-encoding", "{accept}: 304");
    }

    let missing = fetch(&proxy.app().url("/nothing-here.js"), "br").await;
    assert_eq!(missing.status(), 404);
    let posted = proxy
        .app()
        .call("POST", &format!("/{wasm}"), None, "")
        .await;
    assert_eq!(posted.status, 405);
    assert_eq!(posted.headers["allow"], "GET, HEAD");
    assert!(
        posted.text.contains("\"method_not_allowed\""),
        "{}",
        posted.text
    );
}

#[tokio::test]
async fn widget_dir_still_overrides_the_built_in_widget() {
    let app = TestApp::serving(&[("index.html", "<p>from the folder</p>")], |_| {}).await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text, "<p>from the folder</p>");
}
