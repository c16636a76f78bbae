//! `app(state) -> Router`: the whole HTTP surface in one place, so tests can drive it with
//! `oneshot` or over a real socket.

use std::path::PathBuf;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use minivoice_shared::ProxyInfo;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::recordings;
use crate::upstream::Upstream;

/// The recording action body is a few bytes; anything near this is hostile.
pub const MAX_REQUEST_BODY: usize = 16 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub upstream: Upstream,
    pub info: ProxyInfo,
    pub widget_dir: PathBuf,
}

pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/info", get(info))
        .merge(recordings::routes())
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY));
    let widget = ServeDir::new(&state.widget_dir);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api", api)
        .fallback_service(widget)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn info(State(info): State<ProxyInfo>) -> Json<ProxyInfo> {
    Json(info)
}
