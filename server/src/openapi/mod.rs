//! The proxy's OpenAPI 3.1 document, served at `GET /api/openapi.json` and committed as
//! `openapi.json`. Its paths come from the routes themselves: `utoipa_axum::routes!` adds a
//! handler to the router and its `#[utoipa::path]` to the document in one call, so the two
//! cannot drift. This module adds what the routes share: the agent-token security scheme (set
//! where the token check is layered on), the one error shape, the `x-request-id` header
//! (`document.rs`), and component names that client generators turn into good type names
//! (`names.rs`).

mod document;
mod names;
mod refusals;

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{middleware, Extension};
use serde::Deserialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::OpenApi;
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use refusals::*;

use crate::auth::TokenKeys;
use crate::error::AppError;

/// The agent-token scheme's name in the document.
const AGENT_TOKEN: &str = "agent_token";
/// The event stream's other way to carry it (`?access_token=`).
const ACCESS_TOKEN: &str = "access_token";
/// `/metrics`' bearer, when `METRICS_TOKEN` is set.
const METRICS_TOKEN: &str = "metrics_token";

/// `{call_id}` in a path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CallPath {
    /// The call's ID: 1–64 of `A–Z a–z 0–9 _ -`, else 400 `invalid_call_id`.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub call_id: String,
}

/// `{call_id}` and `{recording_id}` in a path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RecordingPath {
    /// The call's ID: 1–64 of `A–Z a–z 0–9 _ -`, else 400 `invalid_call_id`.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub call_id: String,
    /// The recording's ID: 1–64 of `A–Z a–z 0–9 _ -`, else 400 `invalid_recording_id`.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub recording_id: String,
}

/// The optional `Idempotency-Key` header of start, stop, pause and resume.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// 1–128 visible ASCII characters (else 400 `invalid_idempotency_key`). A repeat with the
    /// same key on the call gets the first answer (marked `idempotent-replayed: true`) for 10
    /// minutes; the same key for another action gets 422 `idempotency_key_reused`.
    #[serde(rename = "Idempotency-Key")]
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,128}$")]
    pub key: Option<String>,
}

/// What `GET /api/calls/{call_id}/events` takes besides the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct EventsParams {
    /// The last event's `id` a reconnecting client saw: what it missed is replayed (or it gets
    /// `resync`). A value that is not a number counts as none.
    #[serde(rename = "Last-Event-ID")]
    #[param(rename = "Last-Event-ID")]
    pub last_event_id: Option<String>,
}

/// The rendered document, set once the router it describes is complete (this route is part
/// of both).
#[derive(Clone, Default)]
pub struct Served(Arc<OnceLock<Bytes>>);

/// This document: every route of the proxy's API, its parameters, bodies and answers.
///
/// No token needed. The same document is committed as `openapi.json` in the repository.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "proxy",
    operation_id = "getOpenApiDocument",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value),
        DocumentRefusals,
    )
)]
async fn serve(Extension(doc): Extension<Served>) -> Response {
    match doc.0.get() {
        Some(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        None => AppError::Internal("the document is not rendered yet".into()).into_response(),
    }
}

/// The route that serves the document, and the handle to set what it serves.
pub fn route<S>() -> (UtoipaMethodRouter<S>, Served)
where
    S: Clone + Send + Sync + 'static,
{
    let served = Served::default();
    let handle = served.clone();
    (routes!(serve).map(|m| m.layer(Extension(handle))), served)
}

impl Served {
    /// Completes `doc` (see [`finish`]) and serves it, pretty-printed as committed.
    pub fn set(&self, doc: OpenApi) {
        self.0.get_or_init(|| render(&finish(doc)).into());
    }
}

/// The document as served and committed: pretty JSON, one final newline.
pub fn render(doc: &OpenApi) -> String {
    let mut json = serde_json::to_string_pretty(doc).expect("the document serialises");
    json.push('\n');
    json
}

/// Puts `routes` behind agent tokens: the token check, and the document's saying so.
pub fn agent_only<S>(routes: OpenApiRouter<S>, keys: Option<Arc<TokenKeys>>) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut routes = routes.route_layer(middleware::from_fn_with_state(
        keys,
        crate::auth::require_agent,
    ));
    for op in routes
        .get_openapi_mut()
        .paths
        .paths
        .values_mut()
        .flat_map(operations)
    {
        // A route that names its own (the event stream's query token) keeps them.
        op.security
            .get_or_insert_with(|| vec![SecurityRequirement::new(AGENT_TOKEN, [""; 0])]);
    }
    routes
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The routes' document completed: what they share (`document.rs`), and names generators
/// use well (`names.rs`).
fn finish(doc: OpenApi) -> OpenApi {
    let mut doc = document::describe(doc);
    names::name_envelopes(&mut doc);
    names::name_live_events(&mut doc);
    doc
}

#[cfg(test)]
mod tests;
