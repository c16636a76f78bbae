//! Harness for the browser tests: each test gets its own proxy (sandbox mode, serving the built
//! widget) and its own chromedriver + headless Chromium, all on fresh loopback ports, so tests
//! run in parallel without sharing state.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use minivoice_proxy::ServeConfig;
use serde_json::json;

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub struct Harness {
    pub proxy: SocketAddr,
    /// The built-in sandbox (a simulated MiniVoice), for its test-only routes.
    pub sandbox: Option<SocketAddr>,
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Stops the proxy when dropped; `None` for a second browser on another's proxy.
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    cfg: Option<ServeConfig>,
}

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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = minivoice_proxy::start(cfg.clone(), async {
            let _ = stopped.await;
        })
        .await
        .expect("proxy starts");

        let mut h = Self::browser(running.addr, dark).await;
        h.sandbox = running.sandbox_addr;
        h._stop = Some(stop);
        h.served = Some(running.served);
        cfg.listen_addr = running.addr;
        h.cfg = Some(cfg);
        h
    }

    /// Stops the proxy (gracefully) and starts a new one on the same address, as a deploy
    /// would: open widgets lose their connection and must find their way back.
    pub async fn restart_proxy(&mut self) {
        if let Some(stop) = self._stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            tokio::time::timeout(DEADLINE, served)
                .await
                .expect("the proxy stops")
                .unwrap()
                .unwrap();
        }
        let cfg = self.cfg.clone().expect("this harness owns its proxy");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = minivoice_proxy::start(cfg, async {
            let _ = stopped.await;
        })
        .await
        .expect("the proxy starts again on its address");
        self.sandbox = running.sandbox_addr;
        self._stop = Some(stop);
        self.served = Some(running.served);
    }

    /// Another browser (its own chromedriver and profile) on this harness's proxy, as a
    /// second agent or a second tab would be.
    pub async fn second(&self) -> Harness {
        let mut h = Self::browser(self.proxy, false).await;
        h.sandbox = self.sandbox;
        h
    }

    async fn browser(proxy: SocketAddr, dark: bool) -> Harness {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {chromedriver}: {e} (cargo xtask test installs it)")
            });
        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--window-size=800,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if dark {
            // prefers-color-scheme: dark.
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            // chromedriver is on loopback: plain HTTP, no TLS stack needed.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() < DEADLINE => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Harness {
            proxy,
            sandbox: None,
            client,
            driver,
            _profile: profile,
            _stop: None,
            served: None,
            cfg: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.proxy, path)
    }

    pub async fn open_call(&self, call_id: &str) {
        self.client
            .goto(&self.url(&format!("/?call_id={call_id}")))
            .await
            .unwrap();
        self.wait_for("[data-testid=widget]").await;
    }

    /// The first element matching `css`, once one exists.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(DEADLINE)
            .every(Duration::from_millis(25))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    /// Polls until `check` holds, failing with `what` at the deadline.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let until = Instant::now() + DEADLINE;
        while !check().await {
            assert!(Instant::now() < until, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn text(&self, css: &str) -> Option<String> {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.ok(),
            Err(_) => None,
        }
    }

    pub async fn enabled(&self, testid: &str) -> bool {
        let el = self.wait_for(&format!("[data-testid={testid}]")).await;
        el.is_enabled().await.unwrap()
    }

    pub async fn click(&self, testid: &str) {
        self.wait_for(&format!("[data-testid={testid}]"))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Waits for a button's enabled state to become `want`.
    pub async fn wait_enabled(&self, testid: &str, want: bool) {
        self.wait_until(&format!("{testid} enabled == {want}"), || async {
            self.enabled(testid).await == want
        })
        .await;
    }

    /// The statuses of the rows, top to bottom.
    pub async fn row_statuses(&self) -> Vec<String> {
        let mut out = vec![];
        for row in self
            .client
            .find_all(Locator::Css("[data-testid=recording-row]"))
            .await
            .unwrap()
        {
            out.push(row.attr("data-status").await.unwrap().unwrap_or_default());
        }
        out
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

    /// Runs axe-core in the page over `context` (an axe context object as JSON; null for the
    /// whole document) and returns
    /// its violations.
    pub async fn axe(&self, context: serde_json::Value) -> Vec<serde_json::Value> {
        let path = std::env::var("AXE_CORE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../.tools/node_modules/axe-core/axe.min.js")
            });
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at {} ({e}): run `cargo xtask test`",
                path.display()
            )
        });
        self.client.execute(&source, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(arguments[0] ?? document, { resultTypes: ['violations'] }) \
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, \
                     help: v.help, nodes: v.nodes.map(n => n.target.join(' > ') + ' :: ' + n.failureSummary) })))) \
                   .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![context],
            )
            .await
            .unwrap();
        result.as_array().cloned().unwrap_or_default()
    }

    /// Evaluates `expr` (JavaScript) in the page and returns its JSON value.
    pub async fn js(&self, expr: &str) -> serde_json::Value {
        self.client
            .execute(&format!("return ({expr});"), vec![])
            .await
            .unwrap()
    }

    /// Polls `expr` until it is truthy.
    pub async fn wait_js(&self, what: &str, expr: &str) {
        self.wait_until(what, || async {
            let v = self.js(expr).await;
            !(v.is_null() || v == false || v == 0 || v == "")
        })
        .await;
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

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // A failed test panics before `close`: never leave a chromedriver behind.
        let _ = self.driver.kill();
    }
}

/// Serves the sample CRM page (`examples/crm/index.html`) from its own loopback origin,
/// pointed at `proxy`. Returns its address; it serves until the test's runtime ends.
pub async fn serve_crm_page(proxy: SocketAddr) -> SocketAddr {
    let page = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/crm/index.html"),
    )
    .unwrap()
    .replace("__PROXY__", &format!("http://{proxy}"));
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}
