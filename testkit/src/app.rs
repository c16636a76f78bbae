//! [`TestApp`]: the proxy in this process, served on a loopback listener the harness binds and
//! hands over (no other process can take the port in between), with typed request helpers.
//! [`Answer`] is what every helper returns; it fails the test if the API key leaks into it.

use std::net::SocketAddr;
use std::sync::Arc;

use minivoice_proxy::{Running, Secret, ServeConfig, StartError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::fake::{Fake, Script};
use super::token::require_tokens;
use super::wait::DEADLINE;
use super::KEY;

/// A running proxy, or a client for one (see [`TestApp::at`]).
#[derive(Clone)]
pub struct TestApp {
    pub addr: SocketAddr,
    /// Where the built-in sandbox listens, in sandbox mode.
    pub sandbox_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    /// The widget directory it serves, when the test made one: kept as long as the app.
    _widget: Option<Arc<tempfile::TempDir>>,
}

/// Ends a proxy started with [`TestApp::spawn_stoppable`].
pub struct Stop {
    signal: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

impl Stop {
    /// Starts the graceful shutdown; the server's task, which ends once it has drained.
    pub fn signal(self) -> JoinHandle<std::io::Result<()>> {
        self.signal
            .send(())
            .expect("the server was still waiting for its shutdown signal");
        self.served
    }
}

/// A proxy started in this process with [`minivoice_proxy::start`] (on `cfg.listen_addr`) or
/// on a listener the caller holds, and the means to stop it: a replica, or a browser test's
/// proxy, that goes away and comes back mid-test.
pub struct InProcess {
    pub addr: SocketAddr,
    /// Its built-in sandbox, in sandbox mode.
    pub sandbox: Option<SocketAddr>,
    stop: Option<Stop>,
}

impl InProcess {
    /// Starts on `listener`, or on `cfg.listen_addr` without one.
    pub async fn start(cfg: ServeConfig, listener: Option<tokio::net::TcpListener>) -> InProcess {
        let (signal, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let running = match listener {
            Some(l) => minivoice_proxy::start_on(l, cfg, shutdown).await,
            None => minivoice_proxy::start(cfg, shutdown).await,
        }
        .expect("the proxy starts");
        InProcess {
            addr: running.addr,
            sandbox: running.sandbox_addr,
            stop: Some(Stop {
                signal,
                served: running.served,
            }),
        }
    }

    /// Stops it as a deploy would (its streams end, it refuses connections) and waits.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // A server that already ended has nothing left to signal; its result still counts.
            let _ = stop.signal.send(());
            tokio::time::timeout(DEADLINE, stop.served)
                .await
                .expect("the proxy stops")
                .unwrap()
                .unwrap();
        }
    }
}

/// The proxy's own defaults for tests: sandbox mode (no key), in-memory store, no widget.
pub fn sandbox_config() -> ServeConfig {
    ServeConfig::sandbox_on_loopback("/nonexistent".into())
}

/// A real key ([`KEY`]), forwarding to `base_url` within `timeout_ms`.
pub fn forwarding_config(base_url: &str, timeout_ms: u64) -> ServeConfig {
    let mut cfg = sandbox_config();
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = base_url.to_owned();
    cfg.upstream_timeout_ms = timeout_ms;
    cfg
}

/// [`forwarding_config`] with the proxy's own timeout, requiring agents' tokens.
pub fn guarded_config(base_url: &str) -> ServeConfig {
    let mut cfg = forwarding_config(base_url, sandbox_config().upstream_timeout_ms);
    require_tokens(&mut cfg);
    cfg
}

/// Starts with [`minivoice_proxy::start`] on `cfg.listen_addr` (for addresses beyond loopback,
/// which the harness's own listener cannot test) and says why it refused.
pub async fn refusal(cfg: ServeConfig) -> String {
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .err()
        .expect("refused to start")
        .to_string()
}

/// As [`refusal`], for a configuration that must start.
pub async fn starts(cfg: ServeConfig) -> Running {
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .expect("started")
}

impl TestApp {
    /// A client for a proxy already listening at `addr` (e.g. the binary, in its own process).
    pub fn at(addr: SocketAddr) -> TestApp {
        TestApp {
            addr,
            sandbox_addr: None,
            client: reqwest::Client::new(),
            _widget: None,
        }
    }

    /// Serves `cfg` until the test's runtime ends, or says why it would not start.
    pub async fn try_spawn(cfg: ServeConfig) -> Result<TestApp, StartError> {
        Ok(Self::start_held(cfg, std::future::pending()).await?.0)
    }

    /// Serves `cfg` until the test's runtime ends.
    pub async fn spawn(cfg: ServeConfig) -> TestApp {
        Self::try_spawn(cfg).await.expect("the proxy starts")
    }

    /// Serves `cfg` until [`Stop::signal`].
    pub async fn spawn_stoppable(cfg: ServeConfig) -> (TestApp, Stop) {
        let (signal, stopped) = oneshot::channel::<()>();
        let (app, served) = Self::start_held(cfg, async {
            let _ = stopped.await;
        })
        .await
        .expect("the proxy starts");
        (app, Stop { signal, served })
    }

    async fn start_held(
        cfg: ServeConfig,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(TestApp, JoinHandle<std::io::Result<()>>), StartError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = minivoice_proxy::start_on(listener, cfg, shutdown).await?;
        let mut app = TestApp::at(running.addr);
        app.sandbox_addr = running.sandbox_addr;
        Ok((app, running.served))
    }

    /// Sandbox mode, as [`sandbox_config`].
    pub async fn sandbox() -> TestApp {
        Self::with(|_| {}).await
    }

    /// [`sandbox_config`], adjusted.
    pub async fn with(adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let mut cfg = sandbox_config();
        adjust(&mut cfg);
        Self::spawn(cfg).await
    }

    /// A real key, forwarding to `base_url` (a [`super::Fake`], the sandbox, a dead port…).
    pub async fn forwarding_to(base_url: &str, timeout_ms: u64) -> TestApp {
        Self::spawn(forwarding_config(base_url, timeout_ms)).await
    }

    /// A fake MiniVoice running `script`, and a proxy with a real key forwarding to it.
    pub async fn in_front_of(script: Script, timeout_ms: u64) -> (TestApp, Fake) {
        let fake = Fake::start(script).await;
        (
            Self::forwarding_to(&fake.base_url(), timeout_ms).await,
            fake,
        )
    }

    /// A real key forwarding to `base_url`, and agents' tokens required; adjusted.
    pub async fn guarded(base_url: &str, adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let mut cfg = guarded_config(base_url);
        adjust(&mut cfg);
        Self::spawn(cfg).await
    }

    /// Serves a widget directory holding `files` (name, content); adjusted.
    pub async fn serving(files: &[(&str, &str)], adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            // A build's subfolders too (`supervisor/index.html`).
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let mut cfg = ServeConfig::sandbox_on_loopback(dir.path().to_path_buf());
        adjust(&mut cfg);
        let mut app = Self::spawn(cfg).await;
        app._widget = Some(Arc::new(dir));
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request on the app's client, to finish and pass to [`TestApp::send`].
    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method.parse().unwrap(), self.url(path))
    }

    /// Sends `req` and reads the whole answer.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        Answer::read(req.send().await.unwrap()).await
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Answer {
        let mut req = self.request(method, path);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.send(req.body(body.to_owned())).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None, "").await
    }

    pub async fn post_json(&self, path: &str, body: &str) -> Answer {
        self.call("POST", path, Some("application/json"), body)
            .await
    }

    /// `method path` as an agent holding `bearer` (none: no authorization header), with a JSON
    /// body when there is one.
    pub async fn call_as(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        json_body: Option<&str>,
    ) -> Answer {
        let mut req = self.request(method, path);
        if let Some(t) = bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = json_body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        self.send(req).await
    }

    /// `{"action": action}` to the call's recordings.
    pub async fn post_action(&self, call_id: &str, action: &str) -> Answer {
        self.post_json(&recordings(call_id), &action_body(action))
            .await
    }

    /// [`TestApp::post_action`] as the agent holding `token`.
    pub async fn post_action_as(&self, call_id: &str, action: &str, token: &str) -> Answer {
        self.call_as(
            "POST",
            &recordings(call_id),
            Some(token),
            Some(&action_body(action)),
        )
        .await
    }

    /// [`TestApp::post_action`] under an `Idempotency-Key`.
    pub async fn post_action_with_key(&self, call_id: &str, action: &str, key: &str) -> Answer {
        let req = self
            .request("POST", &recordings(call_id))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(action_body(action));
        self.send(req).await
    }

    /// The call's status as the proxy knows it (`null` when it knows nothing).
    pub async fn call_status(&self, call_id: &str) -> serde_json::Value {
        self.get(&format!("/api/calls/{call_id}/status"))
            .await
            .json()["data"]["status"]
            .clone()
    }

    /// The call's audit trail, as the agent holding `token` when there is one.
    pub async fn activity(&self, call_id: &str, token: Option<&str>) -> Answer {
        self.call_as(
            "GET",
            &format!("/api/calls/{call_id}/activity"),
            token,
            None,
        )
        .await
    }
}

fn recordings(call_id: &str) -> String {
    format!("/api/calls/{call_id}/recordings")
}

fn action_body(action: &str) -> String {
    format!(r#"{{"action":"{action}"}}"#)
}

/// A whole answer, checked for the API key.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    async fn read(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        assert!(!text.contains(KEY), "the API key leaked into a response");
        for v in headers.values() {
            assert!(
                !v.to_str().unwrap_or("").contains(KEY),
                "the API key leaked into a header"
            );
        }
        Answer {
            status,
            headers,
            text,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The shared error shape's `error.code`; empty when there is none.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A header's value; empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}
