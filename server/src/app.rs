//! `app(state) -> Router`: the whole HTTP surface in one place, so tests can drive it with
//! `oneshot` or over a real socket. The routers are their modules'; here they are merged and
//! given their layers.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{middleware, Router};
use tower::util::MapRequestLayer;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::error::AppError;
use crate::security::LoopbackOnly;
use crate::state::AppState;
use crate::store::Store;
use crate::{openapi, ops, recordings, request_id, security, site, supervisor, webhooks};

/// The recording action body is a few bytes; anything near this is hostile.
pub const MAX_REQUEST_BODY: usize = 16 * 1024;

pub fn app(state: AppState) -> Router {
    // Every route below but the widget's is added with `routes!`, which puts its description
    // in the OpenAPI document as it adds it to the router: `GET /api/openapi.json` serves what
    // the router is.
    let (document, served) = openapi::route();
    let (api, api_doc) = OpenApiRouter::new()
        .routes(routes!(ops::info))
        .routes(document)
        .merge(openapi::agent_only(
            recordings::routes()
                .merge(webhooks::inspect::routes())
                .merge(supervisor::routes()),
            state.tokens.clone(),
        ))
        .split_for_parts();
    let (root, root_doc) = OpenApiRouter::new()
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::ready))
        .routes(routes!(webhooks::receiver::receive).map(|r| {
            r.layer(DefaultBodyLimit::max(webhooks::MAX_WEBHOOK_BODY))
                .fallback(|| async { AppError::MethodNotAllowed })
        }))
        .split_for_parts();
    served.set(root_doc.nest("/api", api_doc));
    // In the one error shape, like `/api`'s (before the widget's routes join).
    let root = root.method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    let gate = ApiGate {
        loopback: (state.tokens.is_none() && !state.info.sandbox).then(|| {
            Arc::new(LoopbackOnly::new(
                state.allowed_origins.clone(),
                state.trust,
            ))
        }),
        store: state.store.clone(),
    };
    let mut api = api
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .layer(middleware::from_fn_with_state(gate, api_gate));
    if let Some(cors) = security::cors(&state.allowed_origins) {
        api = api.layer(cors);
    }
    root.nest("/api", api)
        .merge(site::routes(&state.widget))
        .layer(MapRequestLayer::new(crate::serve::body_deadline(
            state.body_timeout,
        )))
        .layer(middleware::from_fn(every_request))
        .with_state(state)
}

/// What every `/api` request passes before its route, in one middleware for the reason
/// [`every_request`] gives.
#[derive(Clone)]
struct ApiGate {
    /// Anonymous with a real key: only this machine ([`LoopbackOnly`]).
    loopback: Option<Arc<LoopbackOnly>>,
    store: Store,
}

async fn api_gate(State(gate): State<ApiGate>, req: Request, next: Next) -> Response {
    if let Some(refused) = gate.loopback.as_ref().and_then(|l| l.refusal(&req)) {
        return refused.into_response();
    }
    // While the store is unreachable, `/api` answers 503 at once: nothing can be recorded, so
    // nothing is forwarded, and no request waits out a connection timeout.
    if !gate.store.is_healthy() {
        return AppError::StoreUnavailable.into_response();
    }
    next.run(req).await
}

/// What every request passes through, outermost first: its request ID (and answer line and
/// metrics), then the header limit and the security headers. One middleware, not two: axum
/// clones each layer's service per request.
async fn every_request(req: Request, next: Next) -> Response {
    request_id::around(req, |req| security::edge(req, next)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::startup::test_state;
    use axum::body::Body;
    use axum::http::HeaderValue;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn state() -> AppState {
        test_state(false).await
    }

    async fn send(mut req: Request<Body>) -> (StatusCode, serde_json::Value) {
        // Anonymous with a real key: only this machine, and loopback hosts, are served.
        req.headers_mut()
            .insert("host", HeaderValue::from_static("127.0.0.1"));
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let resp = app(state().await).oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn routes_answer_in_the_shared_error_shape() {
        let (status, body) = send(
            Request::get("/api/calls/a%2Fb/recordings")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_call_id");
        assert!(body["error"]["request_id"].is_string());

        let (status, body) = send(
            Request::post("/api/calls/c/recordings")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"action":"rewind"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_action");

        let (status, body) = send(Request::get("/api/info").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["sandbox"], false);
    }
}
