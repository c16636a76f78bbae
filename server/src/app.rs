//! `app(state) -> Router`: the whole HTTP surface in one place, so tests can drive it with
//! `oneshot` or over a real socket.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::HeaderValue;
use axum::routing::get;
use axum::{middleware, Json, Router};
use minivoice_shared::ProxyInfo;
use tower_http::services::ServeDir;

use crate::error::AppError;
use crate::recordings::{self, Gate};
use crate::upstream::Upstream;
use crate::{request_id, security, widget};

/// The recording action body is a few bytes; anything near this is hostile.
pub const MAX_REQUEST_BODY: usize = 16 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub upstream: Upstream,
    pub gate: Arc<Gate>,
    pub info: ProxyInfo,
    pub widget_dir: PathBuf,
    /// Origins other than our own that may call `/api` (CORS); empty means same-origin only.
    pub allowed_origins: Arc<[HeaderValue]>,
}

pub fn app(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/info", get(info))
        .merge(recordings::routes())
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY));
    if let Some(cors) = security::cors(&state.allowed_origins) {
        api = api.layer(cors);
    }
    let assets = Router::new()
        .fallback_service(ServeDir::new(&state.widget_dir))
        .layer(middleware::from_fn(widget::cache_headers));
    Router::new()
        .route("/", get(widget::index))
        .route("/index.html", get(widget::index))
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api", api)
        .merge(assets)
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn(security::limit_headers))
        .layer(middleware::from_fn(request_id::layer))
        .with_state(state)
}

async fn info(State(info): State<ProxyInfo>) -> Json<ProxyInfo> {
    Json(info)
}
