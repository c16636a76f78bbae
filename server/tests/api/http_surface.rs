//! What every answer carries: security and cache headers, the page's CSP, CORS, request IDs,
//! and the key-file option.

use axum::http::StatusCode;
use minivoice_proxy::ServeConfig;
use testkit::*;

const INDEX: &str = "<!doctype html><html><head>\
<script type=\"module\">import init from '/w-0123456789abcdef.js'; await init();</script>\
</head><body></body></html>";

/// The widget a build leaves: the page, a hashed asset, a plain file.
const WIDGET: [(&str, &str); 3] = [
    ("index.html", INDEX),
    ("w-0123456789abcdef.js", "export default 1"),
    ("robots.txt", "User-agent: *"),
];

#[tokio::test]
async fn the_page_gets_a_csp_that_runs_the_wasm_and_nothing_else() {
    let app = TestApp::serving(&WIDGET, |_| {}).await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text, INDEX);
    let csp = page.header("content-security-policy");
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
    assert_eq!(page.header("cache-control"), "no-cache");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("referrer-policy"), "no-referrer");

    let asset = app.get("/w-0123456789abcdef.js").await;
    assert_eq!(asset.status, 200);
    assert_eq!(
        asset.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.header("x-content-type-options"), "nosniff");
    let plain = app.get("/robots.txt").await;
    assert_eq!(plain.header("cache-control"), "no-cache");

    let api = app.get("/api/calls/c1/recordings").await;
    assert_eq!(api.header("cache-control"), "no-store");
    assert_eq!(
        api.header("content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

/// The supervisor's page loads a bundle of its own from `/supervisor/…`, so an agent's widget
/// never downloads the supervisor's view; its page and files are served as the widget's are.
#[tokio::test]
async fn the_supervisor_page_and_its_own_bundle_are_served_like_the_widget() {
    const SUPERVISOR: &str = "<!doctype html><html><head><link rel=stylesheet \
href=/supervisor/widget-0123456789abcdef.css><script type=\"module\">\
import init from '/supervisor/minivoice-supervisor-0123456789abcdef.js';\
await init({ module_or_path: '/supervisor/minivoice-supervisor-0123456789abcdef_bg.wasm' });\
</script></head><body></body></html>";
    const WIDGET_INDEX: &str = "<!doctype html><html><head><link rel=stylesheet \
href=/widget-0123456789abcdef.css><script type=\"module\">\
import init from '/minivoice-widget-0123456789abcdef.js';\
await init({ module_or_path: '/minivoice-widget-0123456789abcdef_bg.wasm' });\
</script></head><body></body></html>";
    let widget = [
        ("index.html", WIDGET_INDEX),
        ("supervisor/index.html", SUPERVISOR),
        (
            "supervisor/minivoice-supervisor-0123456789abcdef.js",
            "export default 2",
        ),
    ];
    let app = TestApp::serving(&widget, |_| {}).await;
    let page = app.get("/supervisor").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.text, SUPERVISOR,
        "the supervisor's page, not the widget's"
    );
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
    assert_eq!(page.header("cache-control"), "no-cache");

    let asset = app
        .get("/supervisor/minivoice-supervisor-0123456789abcdef.js")
        .await;
    assert_eq!(asset.status, 200);
    assert_eq!(asset.text, "export default 2");
    assert_eq!(asset.header("content-type"), "text/javascript");
    assert_eq!(
        asset.header("cache-control"),
        "public, max-age=31536000, immutable"
    );

    // The page's own file name would be served without its CSP: it redirects to the page.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/supervisor/index.html?lang=de", "/supervisor/?lang=de"] {
        let moved = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(moved.status(), 308, "{path}");
        assert_eq!(moved.headers()["location"], "/supervisor?lang=de", "{path}");
    }

    // The element script: <minivoice-recordings> from the widget's bundle,
    // <minivoice-supervisor> from the supervisor's.
    let element = app.get("/minivoice-recordings.js").await;
    assert_eq!(element.status, 200, "{}", element.text);
    for file in [
        "/minivoice-widget-0123456789abcdef.js",
        "/minivoice-widget-0123456789abcdef_bg.wasm",
        "/supervisor/minivoice-supervisor-0123456789abcdef.js",
        "/supervisor/minivoice-supervisor-0123456789abcdef_bg.wasm",
    ] {
        assert!(element.text.contains(&format!("\"{file}\"")), "{file}");
    }
    assert!(!element.text.contains("__"), "every placeholder filled");
}

#[tokio::test]
async fn requests_carry_an_id_into_headers_and_error_bodies() {
    let app = TestApp::serving(&WIDGET, |_| {}).await;
    let a = app.get("/api/calls/bad.id/recordings").await;
    let id = a.header("x-request-id").to_owned();
    assert!(id.starts_with("req_"), "{id}");
    assert_eq!(a.json()["error"]["request_id"], id.as_str());

    let traced = app
        .send(
            app.request("GET", "/api/calls/bad.id/recordings")
                .header("x-request-id", "crm-trace-42"),
        )
        .await;
    assert_eq!(traced.header("x-request-id"), "crm-trace-42");
    assert_eq!(traced.json()["error"]["request_id"], "crm-trace-42");

    // An ID that could forge log lines is replaced, not echoed.
    let forged = app
        .send(
            app.request("GET", "/healthz")
                .header("x-request-id", "x\" level=ERROR"),
        )
        .await;
    assert!(forged.header("x-request-id").starts_with("req_"));
}

#[tokio::test]
async fn cors_is_same_origin_unless_origins_are_listed() {
    let preflight = |app: TestApp, origin: &'static str| async move {
        let req = app
            .request("OPTIONS", "/api/calls/c1/recordings")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key",
            );
        app.send(req).await
    };
    let closed = TestApp::serving(&WIDGET, |_| {}).await;
    let r = preflight(closed, "https://crm.example.com").await;
    assert!(r.headers.get("access-control-allow-origin").is_none());

    let open = TestApp::serving(&WIDGET, |c| {
        c.allowed_origins = vec!["https://crm.example.com".parse().unwrap()];
    })
    .await;
    let r = preflight(open.clone(), "https://crm.example.com").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://crm.example.com"
    );
    let allowed = r.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("idempotency-key"), "{allowed}");
    let r = preflight(open.clone(), "https://evil.example").await;
    assert!(r.headers.get("access-control-allow-origin").is_none());

    let r = open
        .send(
            open.request("GET", "/api/calls/c1/recordings")
                .header("origin", "https://crm.example.com"),
        )
        .await;
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://crm.example.com"
    );
    assert!(r.headers["access-control-expose-headers"]
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
    let app = TestApp::spawn(cfg).await;
    let a = app.get("/api/calls/c1/recordings").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        fake.requests()[0].auth.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    let info = app.get("/api/info").await;
    assert_eq!(info.json()["sandbox"], false);

    let mut bad = ServeConfig::sandbox_on_loopback(dir.path().to_path_buf());
    bad.api_key_file = Some(dir.path().join("missing"));
    assert!(TestApp::try_spawn(bad).await.is_err());
}

#[tokio::test]
async fn browsers_that_accept_compression_get_the_precompressed_assets_and_a_compressed_page() {
    // `cargo xtask` writes `.br` and `.gz` beside each asset; here, stand-ins say which is sent.
    let wasm = "/w-0123456789abcdef.wasm";
    let files = [
        ("index.html", INDEX),
        ("w-0123456789abcdef.wasm", "raw wasm"),
        ("w-0123456789abcdef.wasm.br", "brotli wasm"),
        ("w-0123456789abcdef.wasm.gz", "gzip wasm"),
    ];
    let app = TestApp::serving(&files, |_| {}).await;
    let fetch = |path: &'static str, encoding: Option<&'static str>| {
        let mut req = app.request("GET", path);
        if let Some(e) = encoding {
            req = req.header("accept-encoding", e);
        }
        app.send(req)
    };
    for (accepts, body, encoding) in [
        (Some("gzip, deflate, br"), "brotli wasm", "br"),
        (Some("gzip"), "gzip wasm", "gzip"),
        (None, "raw wasm", ""),
    ] {
        let a = fetch(wasm, accepts).await;
        assert_eq!(a.status, 200);
        assert_eq!(
            (a.text.as_str(), a.header("content-encoding")),
            (body, encoding),
            "{accepts:?}"
        );
        assert_eq!(a.header("content-type"), "application/wasm");
        assert!(
            a.header("vary")
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{accepts:?}: vary {:?}",
            a.header("vary")
        );
    }
    // The page is written per request (its CSP hashes the loader): compressed on the fly.
    let page = fetch("/", Some("br")).await;
    assert_eq!(page.header("content-encoding"), "br");
    assert_ne!(page.text, INDEX);
    assert_eq!(fetch("/", None).await.text, INDEX);
}
