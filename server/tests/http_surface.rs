//! What every answer carries: security and cache headers, the page's CSP, CORS, request IDs,
//! and the key-file option.

mod common;

use std::net::SocketAddr;

use axum::http::StatusCode;
use common::*;
use minivoice_proxy::ServeConfig;

const INDEX: &str = "<!doctype html><html><head>\
<script type=\"module\">import init from '/w-0123456789abcdef.js'; await init();</script>\
</head><body></body></html>";

async fn proxy_with(adjust: impl FnOnce(&mut ServeConfig)) -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(dir.path().join("w-0123456789abcdef.js"), "export default 1").unwrap();
    std::fs::write(dir.path().join("robots.txt"), "User-agent: *").unwrap();
    let mut cfg = ServeConfig::sandbox_on_loopback(dir.path().to_path_buf());
    adjust(&mut cfg);
    let running = minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap();
    (running.addr, dir)
}

fn header<'a>(a: &'a Answer, name: &str) -> &'a str {
    a.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn the_page_gets_a_csp_that_runs_the_wasm_and_nothing_else() {
    let (proxy, _dir) = proxy_with(|_| {}).await;
    let page = call(proxy, "GET", "/", None, "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text, INDEX);
    let csp = header(&page, "content-security-policy");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains('*'),
        "{csp}"
    );
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");

    let asset = call(proxy, "GET", "/w-0123456789abcdef.js", None, "").await;
    assert_eq!(asset.status, 200);
    assert_eq!(
        header(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
    let plain = call(proxy, "GET", "/robots.txt", None, "").await;
    assert_eq!(header(&plain, "cache-control"), "no-cache");

    let api = call(proxy, "GET", "/api/calls/c1/recordings", None, "").await;
    assert_eq!(header(&api, "cache-control"), "no-store");
    assert_eq!(
        header(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn requests_carry_an_id_into_headers_and_error_bodies() {
    let (proxy, _dir) = proxy_with(|_| {}).await;
    let a = call(proxy, "GET", "/api/calls/bad.id/recordings", None, "").await;
    let id = header(&a, "x-request-id").to_owned();
    assert!(id.starts_with("req_"), "{id}");
    assert_eq!(a.json()["error"]["request_id"], id.as_str());

    let resp = reqwest::Client::new()
        .get(format!("http://{proxy}/api/calls/bad.id/recordings"))
        .header("x-request-id", "crm-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "crm-trace-42");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "crm-trace-42");

    // An ID that could forge log lines is replaced, not echoed.
    let resp = reqwest::Client::new()
        .get(format!("http://{proxy}/healthz"))
        .header("x-request-id", "x\" level=ERROR")
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
}

#[tokio::test]
async fn cors_is_same_origin_unless_origins_are_listed() {
    let preflight = |proxy: SocketAddr, origin: &'static str| async move {
        reqwest::Client::new()
            .request(
                "OPTIONS".parse().unwrap(),
                format!("http://{proxy}/api/calls/c1/recordings"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key",
            )
            .send()
            .await
            .unwrap()
    };
    let (closed, _d1) = proxy_with(|_| {}).await;
    let r = preflight(closed, "https://crm.example.com").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let (open, _d2) = proxy_with(|c| {
        c.allowed_origins = vec!["https://crm.example.com".parse().unwrap()];
    })
    .await;
    let r = preflight(open, "https://crm.example.com").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
    let r = preflight(open, "https://evil.example").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let r = reqwest::Client::new()
        .get(format!("http://{open}/api/calls/c1/recordings"))
        .header("origin", "https://crm.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    assert!(r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("x-request-id"));
}

#[tokio::test]
async fn the_key_can_come_from_a_file() {
    let fake = Fake::start(Script::Reply(StatusCode::OK, r#"{"data":[]}"#)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let mut cfg = ServeConfig::sandbox_on_loopback(dir.path().to_path_buf());
    cfg.api_key_file = Some(file);
    cfg.base_url = fake.base_url();
    let proxy = minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap()
        .addr;
    let a = call(proxy, "GET", "/api/calls/c1/recordings", None, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        fake.requests()[0].auth.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    let info = call(proxy, "GET", "/api/info", None, "").await;
    assert_eq!(info.json()["sandbox"], false);

    let mut bad = ServeConfig::sandbox_on_loopback(dir.path().to_path_buf());
    bad.api_key_file = Some(dir.path().join("missing"));
    assert!(minivoice_proxy::start(bad, std::future::pending())
        .await
        .is_err());
}
