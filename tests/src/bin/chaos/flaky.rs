//! MiniVoice that fails: an HTTP layer in front of the sandbox that, while switched on,
//! answers every tenth request itself with 500 or 503 in MiniVoice's error envelope, before
//! the sandbox sees it (so a refused action was not carried out), and forwards the rest.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// Every `FAIL_EVERY`th request fails while failing: 10%.
const FAIL_EVERY: u64 = 10;

#[derive(Clone)]
pub struct Flaky {
    pub addr: SocketAddr,
    state: Arc<Shared>,
}

struct Shared {
    upstream: SocketAddr,
    client: reqwest::Client,
    failing: AtomicBool,
    seen: AtomicU64,
    failed: AtomicU64,
}

impl Flaky {
    pub async fn start(upstream: SocketAddr) -> Flaky {
        let state = Arc::new(Shared {
            upstream,
            client: reqwest::Client::new(),
            failing: AtomicBool::new(false),
            seen: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(relay).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Flaky { addr, state }
    }

    pub fn set_failing(&self, on: bool) {
        self.state.failing.store(on, Ordering::SeqCst);
    }

    /// Requests failed on purpose so far.
    pub fn failed(&self) -> u64 {
        self.state.failed.load(Ordering::SeqCst)
    }
}

async fn relay(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let n = s.seen.fetch_add(1, Ordering::SeqCst);
    if s.failing.load(Ordering::SeqCst) && n % FAIL_EVERY == 0 {
        s.failed.fetch_add(1, Ordering::SeqCst);
        let status = if n % (2 * FAIL_EVERY) == 0 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let envelope = serde_json::json!({
            "error": {"code": "internal_error", "message": "injected fault (cargo xtask chaos)"}
        });
        return (status, axum::Json(envelope)).into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = s
        .client
        .request(parts.method, format!("http://{}{path}", s.upstream))
        .body(body);
    for name in ["authorization", "content-type", "idempotency-key"] {
        if let Some(v) = parts.headers.get(name) {
            out = out.header(name, v);
        }
    }
    match out.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut headers = HeaderMap::new();
            if let Some(ct) = answer.headers().get("content-type") {
                headers.insert("content-type", ct.clone());
            }
            let bytes = answer.bytes().await.unwrap_or_else(|_| Bytes::new());
            (status, headers, Body::from(bytes)).into_response()
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
