//! The widget's call routes: validate, gate, forward to MiniVoice, record in the audit trail;
//! pause and resume; the call's state and its whole story. Every route here sits behind
//! `auth::require_agent`.

mod act;
mod auto;
mod gate;
mod pause;
mod pause_body;

pub use crate::auth::SYSTEM_AGENT;
pub use act::Actions;
pub use auto::spawn as spawn_auto_resume;
pub use gate::Outcome;
pub use pause_body::MAX_REASON_CHARS;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use minivoice_shared::TimelineEntry;
use minivoice_shared::{ActionRequest, ActionResult, ActivityEntry, CallState, Data, Recording};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Agent;
use crate::error::AppError;
use crate::events::Hub;
use crate::extract::{ApiJson, CallId, IdempotencyKey, RecordingRef};
use crate::failures;
use crate::openapi::{
    ActRefusals, CallPath, CallRefusals, IdempotencyKeyHeader, ListRefusals, MetadataRefusals,
    RecordingPath,
};
use crate::store::Store;
use crate::upstream::{Reply, Upstream};

/// Each route with its description (`#[utoipa::path]` on the handler): the OpenAPI document.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Upstream: FromRef<S>,
    Store: FromRef<S>,
    Arc<Hub>: FromRef<S>,
    Option<Duration>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list, start_or_stop))
        .routes(routes!(metadata))
        .routes(routes!(pause::pause))
        .routes(routes!(pause::resume))
        .routes(routes!(activity))
        .routes(routes!(status))
        .routes(routes!(timeline))
        .routes(routes!(crate::events::stream))
}

/// The call's recordings, as MiniVoice lists them (oldest first).
///
/// Asked of MiniVoice each time; its refusals are passed on with its status.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/recordings",
    tag = "recordings",
    operation_id = "listRecordings",
    params(CallPath),
    responses(
        (status = 200, description = "MiniVoice's list", body = Data<Vec<Recording>>),
        ListRefusals,
    )
)]
async fn list(State(up): State<Upstream>, CallId(call_id): CallId) -> Result<Response, AppError> {
    Ok(json(up.list(&call_id).await?))
}

/// One recording's metadata, when it belongs to the call in the path.
///
/// A recording of another call is answered 404 `recording_not_found`, as an unknown one is.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/recordings/{recording_id}",
    tag = "recordings",
    operation_id = "getRecording",
    params(RecordingPath),
    responses(
        (status = 200, description = "MiniVoice's metadata, as it sent it", body = Data<Recording>),
        MetadataRefusals,
    )
)]
async fn metadata(
    State(up): State<Upstream>,
    State(store): State<Store>,
    r: RecordingRef,
) -> Result<Response, AppError> {
    let reply = up.get(&r.call_id, &r.recording_id).await?;
    if !belongs_to_call(&up, &store, &r, &reply).await? {
        return Err(AppError::recording_not_found());
    }
    Ok(json(reply))
}

/// MiniVoice may look a recording up by its ID alone, so the path's call is checked here:
/// the recording's own `call_id`, else our link from when it was started or reported, else
/// (one more request, only for a recording we have never seen) the call's own list.
async fn belongs_to_call(
    up: &Upstream,
    store: &Store,
    r: &RecordingRef,
    reply: &Reply,
) -> Result<bool, AppError> {
    let named = serde_json::from_slice::<Data<Recording>>(&reply.body)
        .ok()
        .and_then(|d| {
            d.data
                .extra
                .get("call_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
    if let Some(owner) = named {
        return Ok(owner == r.call_id);
    }
    let linked = store
        .call_of_recording(&r.recording_id)
        .await
        .map_err(|e| failures::store("call_of_recording", e))?;
    if let Some(owner) = linked {
        return Ok(owner == r.call_id);
    }
    let listed = up.list(&r.call_id).await?;
    Ok(serde_json::from_slice::<Data<Vec<Recording>>>(&listed.body)
        .is_ok_and(|d| d.data.iter().any(|rec| rec.id == r.recording_id)))
}

/// Start or stop recording: `{"action":"start"}` or `{"action":"stop"}`, as MiniVoice takes them.
///
/// On record (the audit trail) before it is forwarded; one action per call at a time. Other
/// refusals MiniVoice gives are passed on with its status.
#[utoipa::path(
    post,
    path = "/calls/{call_id}/recordings",
    tag = "recordings",
    operation_id = "changeRecording",
    params(CallPath, IdempotencyKeyHeader),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "MiniVoice accepted it", body = Data<ActionResult>),
        ActRefusals,
    )
)]
async fn start_or_stop(
    app: act::Actions,
    Extension(agent): Extension<Agent>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, AppError> {
    let intent = act::Intent {
        agent: agent.name,
        call_id,
        action: body.action,
        key,
        reason: None,
    };
    Ok(act::respond(act::perform(app, intent).await?))
}

/// The proxy's audit trail for the call: its latest 50 actions, newest first.
///
/// Every start, stop, pause and resume asked of the proxy, by whom, and how it ended.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/activity",
    tag = "calls",
    operation_id = "listCallActivity",
    params(CallPath),
    responses(
        (status = 200, description = "The call's actions", body = Data<Vec<ActivityEntry>>),
        CallRefusals,
    )
)]
async fn activity(
    State(store): State<Store>,
    CallId(call_id): CallId,
) -> Result<Response, AppError> {
    let entries = store
        .history(&call_id)
        .await
        .map_err(|e| failures::store("history", e))?;
    Ok(Json(Data::new(entries)).into_response())
}

/// What the proxy knows of the call: its status from webhooks; recording, paused or idle.
///
/// From the proxy's own records: MiniVoice is not asked.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/status",
    tag = "calls",
    operation_id = "getCallStatus",
    params(CallPath),
    responses(
        (status = 200, description = "The call's state", body = Data<CallState>),
        CallRefusals,
    )
)]
async fn status(State(store): State<Store>, CallId(call_id): CallId) -> Result<Response, AppError> {
    let state = store
        .call_state(&call_id)
        .await
        .map_err(|e| failures::store("call_state", e))?;
    Ok(Json(Data::new(state)).into_response())
}

/// The call's story: its actions and webhooks, oldest first.
///
/// The latest 500 entries, from the proxy's own records.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/timeline",
    tag = "calls",
    operation_id = "getCallTimeline",
    params(CallPath),
    responses(
        (status = 200, description = "The call's story", body = Data<Vec<TimelineEntry>>),
        CallRefusals,
    )
)]
async fn timeline(
    State(store): State<Store>,
    CallId(call_id): CallId,
) -> Result<Response, AppError> {
    let entries = store
        .timeline(&call_id)
        .await
        .map_err(|e| failures::store("timeline", e))?;
    Ok(Json(Data::new(entries)).into_response())
}

fn json(reply: Reply) -> Response {
    (
        reply.status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}
