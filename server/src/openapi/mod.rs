//! The proxy's OpenAPI 3.1 document, served at `GET /api/openapi.json` and committed as
//! `openapi.json`. Its paths come from the routes themselves: `utoipa_axum::routes!` adds a
//! handler to the router and its `#[utoipa::path]` to the document in one call, so the two
//! cannot drift. This module adds what the routes share: the agent-token security scheme (set
//! where the token check is layered on), the one error shape, the `x-request-id` header.

mod refusals;

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{middleware, Extension};
use minivoice_shared::{ErrorEnvelope, LiveEvent};
use serde::Deserialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder, RefOr, Required};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use refusals::*;

use crate::auth::TokenKeys;
use crate::error::AppError;

/// The agent-token scheme's name in the document.
const AGENT_TOKEN: &str = "agent_token";
/// The event stream's other way to carry it (`?access_token=`).
const ACCESS_TOKEN: &str = "access_token";

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
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "proxy",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value),
        ApiRefusals,
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

/// What every route shares: the title, the security schemes, the error shape, and the
/// `x-request-id` header on every answer (`idempotent-replayed` where a key may be sent).
fn finish(mut doc: OpenApi) -> OpenApi {
    doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("MiniVoice recording proxy")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The proxy between the recording widget and MiniVoice: start, stop, pause \
                     and resume recording a call, its recordings, state, story and live events, \
                     and MiniVoice's webhooks. Errors have one shape, `ErrorEnvelope`; the \
                     codes each status is given for are listed with it.",
                )),
        )
        .build()
        .merge_from(doc);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        AGENT_TOKEN,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An HS256 agent token (`sub`, `calls`, `exp`) signed with \
                     WIDGET_TOKEN_SECRET; without a secret the proxy is anonymous.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        ACCESS_TOKEN,
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
            "access_token",
            "The agent token, for the event stream only (EventSource cannot send headers).",
        ))),
    );
    let mut schemas = vec![
        (ErrorEnvelope::name().into(), ErrorEnvelope::schema()),
        (<LiveEvent as ToSchema>::name().into(), LiveEvent::schema()),
    ];
    ErrorEnvelope::schemas(&mut schemas);
    LiveEvent::schemas(&mut schemas);
    components.schemas.extend(schemas);
    // Our errors carry the request's ID; MiniVoice's, passed through, do not.
    if let Some(RefOr::T(Schema::Object(body))) = components.schemas.get_mut("ErrorBody") {
        body.properties.insert(
            "request_id".into(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The request's ID (also the x-request-id header)"))
                .into(),
        );
    }
    for (_, item) in doc.paths.paths.iter_mut() {
        for op in operations(item) {
            not_null(op);
            let idempotent = op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.name == "Idempotency-Key");
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                response
                    .headers
                    .insert(crate::request_id::HEADER.into(), request_id_header());
                if idempotent {
                    response
                        .headers
                        .insert("idempotent-replayed".into(), replayed_header());
                }
            }
        }
    }
    doc
}

/// utoipa spells an optional parameter or body (`Option<T>`) as one that may be `null`; an
/// absent one is what is meant: a header or query value cannot be JSON `null`, and a body of
/// `null` is refused like any other that is not the documented shape.
fn not_null(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if let Some(RefOr::T(Schema::Object(o))) = &mut p.schema {
            if let SchemaType::Array(types) = &o.schema_type {
                if let [t, Type::Null] | [Type::Null, t] = types.as_slice() {
                    o.schema_type = SchemaType::Type(t.clone());
                }
            }
        }
    }
    let Some(body) = &mut op.request_body else {
        return;
    };
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema {
            if let [RefOr::T(Schema::Object(null)), other] = one.items.as_slice() {
                if null.schema_type == SchemaType::Type(Type::Null) {
                    content.schema = Some(other.clone());
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

fn request_id_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(String::schema())
        .description(Some(
            "The request's ID: the caller's own when it sent a sane one, else a new one",
        ))
        .build()
}

fn replayed_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true"])),
        )
        .description(Some(
            "`true` when this is the answer first given for the same Idempotency-Key",
        ))
        .build()
}

#[cfg(test)]
mod tests;
