//! The proxy a harness drives (sandbox mode, serving the built widget), its restart, direct
//! API calls, and the sample CRM page served from a second origin.

use std::net::SocketAddr;
use std::path::PathBuf;

use minivoice_proxy::ServeConfig;

use testkit::InProcess;

use crate::Harness;

/// The built widget: `WIDGET_DIR`, or `dist/` at the workspace root (`cargo xtask test` builds
/// it first). Its absence fails the test rather than skipping it.
pub fn widget_dir() -> PathBuf {
    let dir = std::env::var_os("WIDGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    assert!(
        dir.join("index.html").is_file(),
        "no built widget in {}: run `cargo xtask test` (it builds the widget first)",
        dir.display()
    );
    dir
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    /// Starts with a configuration the test may adjust (for example a short upstream timeout).
    pub async fn start_with(adjust: impl FnOnce(&mut ServeConfig)) -> Harness {
        Self::start_full(adjust, false).await
    }

    /// As [`Harness::start_with`], with the browser preferring a dark colour scheme when `dark`.
    pub async fn start_full(adjust: impl FnOnce(&mut ServeConfig), dark: bool) -> Harness {
        let mut cfg = ServeConfig::sandbox_on_loopback(widget_dir());
        adjust(&mut cfg);
        let proxy = InProcess::start(cfg.clone(), None).await;
        let mut h = Self::browser(proxy.addr, dark).await;
        h.sandbox = proxy.sandbox;
        cfg.listen_addr = proxy.addr;
        h.own = Some((proxy, cfg));
        h
    }

    /// A harness whose browser prefers `languages` (`"de-AT,de"`) over its default English.
    pub async fn start_in_language(languages: &str) -> Harness {
        let mut cfg = ServeConfig::sandbox_on_loopback(widget_dir());
        let proxy = InProcess::start(cfg.clone(), None).await;
        let mut h = Self::browser_in(proxy.addr, false, Some(languages)).await;
        h.sandbox = proxy.sandbox;
        cfg.listen_addr = proxy.addr;
        h.own = Some((proxy, cfg));
        h
    }

    /// A proxy on a known port allowing the sample CRM's origin, and the browser on the CRM's
    /// `page` (`/`: `examples/crm/index.html`, two English widgets `w1` and `w2`; `/payment`),
    /// once the page has defined the element.
    pub async fn on_crm_page(page: &str) -> Harness {
        let proxy: SocketAddr = format!("127.0.0.1:{}", testkit::free_port())
            .parse()
            .unwrap();
        let crm = serve_crm_page(proxy).await;
        let h = Self::start_with(|c| {
            c.listen_addr = proxy;
            c.allowed_origins = vec![format!("http://{crm}").parse().unwrap()];
        })
        .await;
        h.client.goto(&format!("http://{crm}{page}")).await.unwrap();
        h.wait_js(
            "the element is defined",
            "!!customElements.get('minivoice-recordings')",
        )
        .await;
        h
    }

    /// Stops the proxy (gracefully) and starts a new one on the same address, as a deploy
    /// would: open widgets lose their connection and must find their way back.
    pub async fn restart_proxy(&mut self) {
        let (proxy, cfg) = self.own.as_mut().expect("this harness owns its proxy");
        proxy.stop().await;
        *proxy = InProcess::start(cfg.clone(), None).await;
        self.sandbox = proxy.sandbox;
    }

    /// Calls the proxy's API directly, as another agent's tab or a CRM would.
    pub async fn api_action(&self, call_id: &str, action: &str) -> reqwest::StatusCode {
        reqwest::Client::new()
            .post(self.url(&format!("/api/calls/{call_id}/recordings")))
            .header("content-type", "application/json")
            .body(format!(r#"{{"action":"{action}"}}"#))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// POSTs `body` (JSON, or empty) to `/api/{path}`, as another agent's tab or a CRM would:
    /// the status and the answer.
    pub async fn api_post(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::Client::new()
            .post(self.url(&format!("/api/{path}")))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or_default())
    }

    /// Ends a call in the sandbox, as the caller hanging up would.
    pub async fn hang_up(&self, call_id: &str) {
        let sandbox = self.sandbox.expect("a sandbox");
        let status = reqwest::Client::new()
            .post(format!("http://{sandbox}/v1/calls/{call_id}/hangup"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
}

/// Serves the sample CRM pages (`examples/crm/`: `index.html` at `/`, `payment.html` at
/// `/payment`) from their own loopback origin, pointed at the proxy at `proxy` (an origin,
/// `http://127.0.0.1:8080`). Returns its address; it serves until the runtime ends. The
/// `crm` binary serves them the same way for people.
pub async fn serve_crm_pages(proxy: &str, listen: SocketAddr) -> SocketAddr {
    let page = |name: &str| {
        let html = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../examples/crm")
                .join(name),
        )
        .unwrap()
        .replace("__PROXY__", proxy.trim_end_matches('/'));
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        })
    };
    let app = axum::Router::new()
        .route("/", page("index.html"))
        .route("/payment", page("payment.html"));
    let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// [`serve_crm_pages`] on a fresh loopback port, for a proxy on `proxy`.
pub async fn serve_crm_page(proxy: SocketAddr) -> SocketAddr {
    serve_crm_pages(&format!("http://{proxy}"), "127.0.0.1:0".parse().unwrap()).await
}
