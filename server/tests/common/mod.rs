//! A scriptable fake MiniVoice on a real loopback socket that records every request it gets,
//! and a proxy pointed at it.

#![allow(dead_code)]

pub mod process;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use minivoice_proxy::{Secret, ServeConfig};

pub const KEY: &str = "sk_test_integration_7f3a";

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub auth: Option<String>,
    pub idempotency_key: Option<String>,
    pub body: Bytes,
}

/// What the fake answers; the test picks one per upstream.
#[derive(Clone)]
pub enum Script {
    Reply(StatusCode, &'static str),
    Owned(StatusCode, Vec<u8>),
    Hang,
    /// The n-th request gets the n-th answer; the last repeats.
    Seq(Vec<(StatusCode, &'static str)>),
    /// Answers after a pause, so concurrent requests overlap.
    Slow(Duration, StatusCode, &'static str),
}

#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub async fn start(script: Script) -> Fake {
        let seen = Arc::new(Mutex::new(vec![]));
        let state = (seen.clone(), script);
        let app = Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake { addr, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn handle(
    State((seen, script)): State<(Arc<Mutex<Vec<Seen>>>, Script)>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let n = seen.lock().unwrap().len();
    seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        auth: parts
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned()),
        idempotency_key: parts
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
    });
    match script {
        Script::Reply(status, body) => {
            (status, [("content-type", "application/json")], body).into_response()
        }
        Script::Owned(status, body) => (status, Body::from(body)).into_response(),
        Script::Seq(answers) => {
            let (status, body) = answers[n.min(answers.len() - 1)];
            (status, [("content-type", "application/json")], body).into_response()
        }
        Script::Slow(pause, status, body) => {
            tokio::time::sleep(pause).await;
            (status, [("content-type", "application/json")], body).into_response()
        }
        Script::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            StatusCode::OK.into_response()
        }
    }
}

/// A fake that speaks raw bytes: it reads a request and writes `answer` as is, then closes.
pub async fn raw_upstream(answer: &'static [u8]) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(answer).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// Sends raw bytes to `addr` and returns the whole answer, for requests an HTTP client would
/// normalise or refuse to send.
pub async fn raw_request(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

pub fn fixture(name: &str) -> &'static str {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Box::leak(std::fs::read_to_string(path).unwrap().into_boxed_str())
}

/// A proxy with a real key, forwarding to `base_url`; it stops when the test's runtime ends.
pub async fn proxy_to(base_url: &str, timeout_ms: u64) -> SocketAddr {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent-widget".into());
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = base_url.to_owned();
    cfg.upstream_timeout_ms = timeout_ms;
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap()
        .addr
}

/// A proxy in sandbox mode (no key).
pub async fn sandbox_proxy(timeout_ms: u64) -> SocketAddr {
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent-widget".into());
    cfg.upstream_timeout_ms = timeout_ms;
    minivoice_proxy::start(cfg, std::future::pending())
        .await
        .unwrap()
        .addr
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), format!("http://{addr}{path}"));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.body(body.to_owned()).send().await.unwrap();
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

pub async fn post_action(addr: SocketAddr, call_id: &str, action: &str) -> Answer {
    call(
        addr,
        "POST",
        &format!("/api/calls/{call_id}/recordings"),
        Some("application/json"),
        &format!(r#"{{"action":"{action}"}}"#),
    )
    .await
}
