//! The error answers each route can give, for the document. They are listed as [`AppError`]s,
//! so each one's status and code come from `error.rs`, the one place that decides them; what
//! MiniVoice answers is passed through with its status, and listed here with the status it
//! answers (MiniVoice's documentation names the codes, not all of their statuses).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use minivoice_shared::{ErrorEnvelope, MiniVoiceCode};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::error::AppError;

/// MiniVoice's own refusal, passed on with its status and body.
fn minivoice(status: StatusCode, code: MiniVoiceCode) -> AppError {
    let body = ErrorEnvelope::new(code, "");
    AppError::Upstream {
        status,
        body: serde_json::to_vec(&body).unwrap_or_default().into(),
    }
}

/// Any request, whatever its route: the header limit, and a method the path does not take
/// (every path answers one in the error shape).
fn edge() -> Vec<AppError> {
    vec![AppError::HeadersTooLarge, AppError::MethodNotAllowed]
}

/// Anything under `/api`: the store guard and, anonymous with a real key, the loopback guard.
fn api() -> Vec<AppError> {
    let mut v = edge();
    v.extend([
        AppError::ForbiddenHost,
        AppError::ForbiddenOrigin,
        AppError::ForbiddenRemote(""),
        AppError::StoreUnavailable,
    ]);
    v
}

/// A route under `/api/calls/{call_id}`: the token, its scope, the ID (an ID that is not one
/// path segment, such as an empty one, matches no route at all).
fn call() -> Vec<AppError> {
    let mut v = api();
    v.extend([
        AppError::Unauthorized(String::new()),
        AppError::ForbiddenCall,
        AppError::InvalidCallId,
        AppError::NotFound,
    ]);
    v
}

/// A route that asks MiniVoice.
fn upstream() -> Vec<AppError> {
    vec![
        AppError::UpstreamTimeout,
        AppError::UpstreamUnavailable,
        AppError::UpstreamInvalidResponse(String::new()),
        AppError::UpstreamError(StatusCode::INTERNAL_SERVER_ERROR),
        AppError::UpstreamAuthFailed,
        minivoice(StatusCode::NOT_FOUND, MiniVoiceCode::CallNotFound),
    ]
}

/// A route that reads a JSON body.
fn json_body() -> Vec<AppError> {
    vec![
        AppError::InvalidJson(String::new()),
        AppError::UnsupportedMediaType,
        AppError::PayloadTooLarge,
        AppError::RequestTimeout,
    ]
}

/// Start, stop, pause and resume: the per-call gate, idempotency keys, MiniVoice's refusals,
/// and the action's task failing unforeseen (`act.rs`).
fn action() -> Vec<AppError> {
    let mut v = call();
    v.extend(upstream());
    v.extend([
        AppError::Internal(String::new()),
        AppError::InvalidIdempotencyKey,
        AppError::IdempotencyKeyReused,
        AppError::ActionInProgress,
        minivoice(StatusCode::CONFLICT, MiniVoiceCode::RecordingAlreadyStarted),
        minivoice(StatusCode::CONFLICT, MiniVoiceCode::RecordingNotStarted),
        AppError::call_not_active(),
    ]);
    v
}

/// One response per status, naming every code it is given for; the body is the one error
/// shape (`ErrorEnvelope`).
fn responses(sets: impl IntoIterator<Item = Vec<AppError>>) -> BTreeMap<String, RefOr<Response>> {
    let mut codes: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for e in sets.into_iter().flatten() {
        let (status, code) = e.status_and_code();
        let listed = codes.entry(status.as_u16()).or_default();
        if !listed.contains(&code) {
            listed.push(code);
        }
    }
    codes
        .into_iter()
        .map(|(status, codes)| {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            let codes: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
            let response = ResponseBuilder::new()
                .description(format!("{reason}: {}", codes.join(", ")))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                        .build(),
                )
                .build();
            (status.to_string(), response.into())
        })
        .collect()
}

/// Each route's refusals as a type its `#[utoipa::path]` names in `responses(…)`.
macro_rules! refusals {
    ($($(#[$doc:meta])* $name:ident = $errors:expr;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    responses($errors)
                }
            }
        )+
    };
}

refusals! {
    /// Edge-only routes: `/healthz`, `/readyz`.
    EdgeRefusals = [edge()];
    /// `GET /metrics`, with `METRICS_TOKEN` set.
    MetricsRefusals = [edge(), vec![AppError::Unauthorized(String::new())]];
    /// `GET /api/info`.
    ApiRefusals = [api()];
    /// `GET /api/openapi.json`: also before the document is rendered (never, once serving).
    DocumentRefusals = [api(), vec![AppError::Internal(String::new())]];
    /// Reads of our own records: activity, status, timeline.
    CallRefusals = [call()];
    /// `GET …/recordings`.
    ListRefusals = [call(), upstream()];
    /// `GET …/recordings/{recording_id}`.
    MetadataRefusals = [
        call(),
        upstream(),
        vec![AppError::InvalidRecordingId, AppError::recording_not_found()],
    ];
    /// `POST …/recordings`.
    ActRefusals = [action(), json_body(), vec![AppError::InvalidAction(String::new())]];
    /// `POST …/pause`.
    PauseRefusals = [
        action(),
        json_body(),
        vec![AppError::InvalidReason(String::new()), AppError::CallAlreadyPaused],
    ];
    /// `POST …/resume`.
    ResumeRefusals = [action(), vec![AppError::CallNotPaused]];
    /// `GET …/events`.
    EventsRefusals = [call(), vec![AppError::EventsUnavailable, AppError::TooManyStreams]];
    /// `GET /api/webhooks/deliveries`.
    DeliveriesRefusals = [
        api(),
        vec![
            AppError::Unauthorized(String::new()),
            AppError::SupervisorRequired,
            AppError::InvalidQuery(String::new()),
        ],
    ];
    /// `GET /api/calls`.
    SupervisorRefusals = [
        api(),
        vec![
            AppError::Unauthorized(String::new()),
            AppError::SupervisorRequired,
            AppError::InvalidQuery(String::new()),
        ],
    ];
    /// `GET /api/events`.
    SupervisorEventsRefusals = [
        api(),
        vec![
            AppError::Unauthorized(String::new()),
            AppError::SupervisorRequired,
            AppError::EventsUnavailable,
            AppError::TooManyStreams,
        ],
    ];
    /// `GET /api/reports/pauses`.
    PauseReportRefusals = [
        api(),
        vec![
            AppError::Unauthorized(String::new()),
            AppError::SupervisorRequired,
            AppError::InvalidRange(String::new()),
            AppError::InvertedRange,
            AppError::RangeTooLong,
        ],
    ];
    /// `POST /webhooks/minivoice`.
    WebhookRefusals = [
        edge(),
        vec![
            AppError::InvalidSignature(String::new()),
            AppError::ForbiddenRemote(""),
            AppError::PayloadTooLarge,
            AppError::RequestTimeout,
            AppError::WebhookQueueFull,
            AppError::StoreUnavailable,
        ],
    ];
}
