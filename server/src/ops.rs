//! What an orchestrator, a load balancer and a scraper call: liveness, readiness, the proxy's
//! info and the metrics scrape, and the store check in front of `/api`. Handlers only; the
//! metrics themselves are `crate::telemetry`'s.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minivoice_shared::ProxyInfo;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::events::Hub;
use crate::secret::Secret;
use crate::store::Store;
use crate::{extract, openapi, telemetry};

/// What the metrics scrape is sent as (Prometheus' text format).
const METRICS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a `&str` answer is sent as.
const TEXT: &str = "text/plain; charset=utf-8";

/// Liveness: the process answers.
///
/// For an orchestrator's liveness probe: `ok` whenever the process serves HTTP, whatever the
/// store or MiniVoice do (`/readyz` says whether it can take traffic).
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "checkLiveness", responses(
    (status = 200, description = "`ok`", content_type = TEXT, body = String),
    openapi::EdgeRefusals,
))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the store answers and every migration is applied.
///
/// 200 `ready`, else 503: a load balancer sends no traffic here meanwhile. `/healthz` stays
/// liveness only.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "checkReadiness", responses(
    (status = 200, description = "`ready`", content_type = TEXT, body = String),
    (status = 503, description = "`store_unavailable`: the store does not answer, or a \
        migration is not applied", body = minivoice_shared::ErrorEnvelope),
    openapi::EdgeRefusals,
))]
pub async fn ready(State(store): State<Store>) -> Response {
    if store.ready().await {
        "ready".into_response()
    } else {
        AppError::StoreUnavailable.into_response()
    }
}

/// Whether this is the sandbox, the proxy's version, and its open event streams.
///
/// No token needed: the widget reads it before it has one, to label a sandbox.
#[utoipa::path(get, path = "/info", tag = "proxy", operation_id = "getProxyInfo", responses(
    (status = 200, description = "About the proxy", body = ProxyInfo),
    openapi::ApiRefusals,
))]
pub async fn info(State(info): State<ProxyInfo>, State(hub): State<Arc<Hub>>) -> Json<ProxyInfo> {
    Json(ProxyInfo {
        event_streams: hub.open_streams(),
        ..info
    })
}

/// Every metric of this process, in the Prometheus text format.
///
/// With `METRICS_TOKEN` set, only for `Authorization: Bearer <METRICS_TOKEN>`; without it,
/// to anyone who reaches the port.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "getMetrics",
    // With METRICS_TOKEN set the token, else nothing.
    security(("metrics_token" = []), ()),
    responses(
        (
            status = 200,
            description = "The metrics",
            content_type = METRICS_TEXT,
            body = String,
        ),
        openapi::MetricsRefusals,
    )
)]
pub async fn metrics(
    State(token): State<Option<Secret>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = &token {
        if !token_matches(token, extract::bearer(&headers)) {
            return Err(AppError::Unauthorized(
                "/metrics takes METRICS_TOKEN as `Authorization: Bearer …`".into(),
            ));
        }
    }
    let body = telemetry::handle().render();
    Ok(([(header::CONTENT_TYPE, METRICS_TEXT)], body).into_response())
}

/// Compares digests, not the tokens: `==` on the token itself returns sooner the shorter the
/// matching prefix, which a patient caller could time; on digests that tells nothing.
fn token_matches(expected: &Secret, given: Option<&str>) -> bool {
    given.is_some_and(|given| {
        Sha256::digest(given.as_bytes()) == Sha256::digest(expected.expose().as_bytes())
    })
}
