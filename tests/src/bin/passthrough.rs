//! The throughput floor `cargo xtask bench` holds the proxy to: the least an axum service can
//! do to forward `GET /api/…` to MiniVoice's `/v1/…` (same runtime, same pooled reqwest
//! client as the proxy) and hand back the status and body. No checks at all, so the gap to
//! the proxy is the price of everything the proxy does on top.
//!
//! `passthrough LISTEN UPSTREAM`, e.g. `passthrough 127.0.0.1:9000 http://127.0.0.1:9001`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

#[derive(Clone)]
struct Upstream {
    client: reqwest::Client,
    base: Arc<str>,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(base)) = (args.next(), args.next()) else {
        panic!("usage: passthrough LISTEN UPSTREAM");
    };
    let upstream = Upstream {
        client: reqwest::Client::new(),
        base: base.trim_end_matches('/').into(),
    };
    let app = Router::new()
        .route("/api/{*rest}", get(forward))
        .with_state(upstream);
    let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}

async fn forward(State(up): State<Upstream>, Path(rest): Path<String>) -> Response {
    let Ok(answer) = up.client.get(format!("{}/v1/{rest}", up.base)).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
    match answer.bytes().await {
        Ok(body) => {
            let mut resp = (status, body).into_response();
            if let Some(kind) = kind {
                resp.headers_mut().insert(header::CONTENT_TYPE, kind);
            }
            resp
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
