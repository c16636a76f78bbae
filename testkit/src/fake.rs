//! A scriptable fake MiniVoice on a real loopback socket that records every request it gets,
//! and the standalone sandbox as an upstream.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use minivoice_proxy::Secret;

use super::{fixture, KEY};

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

/// MiniVoice's documented answer to a start (the fixture).
pub fn started_response() -> &'static str {
    fixture("start_recording.response.json")
}

impl Fake {
    /// A fake that accepts every start with [`started_response`].
    pub async fn accepting_starts() -> Fake {
        Fake::start(Script::Reply(StatusCode::OK, started_response())).await
    }

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

/// A standalone sandbox expecting [`KEY`], as MiniVoice: its base URL.
pub async fn sandbox_upstream() -> String {
    let addr =
        minivoice_proxy::sandbox::spawn("127.0.0.1:0".parse().unwrap(), Some(Secret::new(KEY)))
            .await
            .unwrap();
    format!("http://{addr}")
}
