//! The throughput floors `cargo xtask bench` holds the proxy to: the least an axum service can
//! do to forward `GET /api/…` to MiniVoice's `/v1/…` over a pooled client and hand back the
//! status and body. No checks at all, so the gap to the proxy is the price of everything the
//! proxy does on top.
//!
//! `passthrough LISTEN UPSTREAM CLIENT`, e.g. `passthrough 127.0.0.1:9000 http://127.0.0.1:9001
//! reqwest`. `CLIENT` is `reqwest` (the proxy's client: the goal's floor) or `hyper`
//! (hyper-util's pooled client, what reqwest is built on: shown beside, so reqwest's own cost
//! shows).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;

/// The recordings list is kilobytes; the body is read whole, as the proxy does.
const MAX_BODY: usize = 1 << 20;

#[derive(Clone)]
enum Client {
    Reqwest(reqwest::Client),
    Hyper(HyperClient<HttpConnector, Body>),
}

#[derive(Clone)]
struct Upstream {
    client: Client,
    base: Arc<str>,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(base), Some(client)) = (args.next(), args.next(), args.next()) else {
        panic!("usage: passthrough LISTEN UPSTREAM reqwest|hyper");
    };
    let client = match client.as_str() {
        "reqwest" => Client::Reqwest(reqwest::Client::new()),
        "hyper" => {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Client::Hyper(HyperClient::builder(TokioExecutor::new()).build(connector))
        }
        other => panic!("unknown client {other}: reqwest or hyper"),
    };
    let upstream = Upstream {
        client,
        base: base.trim_end_matches('/').into(),
    };
    let app = Router::new()
        .route("/api/{*rest}", get(forward))
        .with_state(upstream);
    // TCP_NODELAY, as the proxy's accept loop sets it, so the floors differ from it only in
    // what they do per request.
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap()
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await.unwrap();
}

async fn forward(State(up): State<Upstream>, Path(rest): Path<String>) -> Response {
    let url = format!("{}/v1/{rest}", up.base);
    let answer = match &up.client {
        Client::Reqwest(client) => by_reqwest(client, &url).await,
        Client::Hyper(client) => by_hyper(client, &url).await,
    };
    answer.unwrap_or_else(|| StatusCode::BAD_GATEWAY.into_response())
}

async fn by_reqwest(client: &reqwest::Client, url: &str) -> Option<Response> {
    let answer = client.get(url).send().await.ok()?;
    let status = answer.status();
    let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
    let body = answer.bytes().await.ok()?;
    Some(with_kind((status, body).into_response(), kind))
}

async fn by_hyper(client: &HyperClient<HttpConnector, Body>, url: &str) -> Option<Response> {
    let uri: Uri = url.parse().ok()?;
    let answer = client.get(uri).await.ok()?;
    let status = answer.status();
    let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
    let body = axum::body::to_bytes(Body::new(answer.into_body()), MAX_BODY)
        .await
        .ok()?;
    Some(with_kind((status, body).into_response(), kind))
}

fn with_kind(mut resp: Response, kind: Option<HeaderValue>) -> Response {
    if let Some(kind) = kind {
        resp.headers_mut().insert(header::CONTENT_TYPE, kind);
    }
    resp
}
