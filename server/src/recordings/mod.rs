//! The widget's call routes: validate, gate, forward to MiniVoice, record in the audit trail;
//! pause and resume; the call's state and its whole story. Every route here sits behind
//! `auth::require_agent`.

mod act;
mod auto;
mod gate;
mod pause;

pub use auto::spawn as spawn_auto_resume;
pub use gate::Outcome;
pub use pause::{MAX_REASON_CHARS, SYSTEM_AGENT};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use minivoice_shared::{ActionRequest, Data, Recording};

use crate::app::AppState;
use crate::auth::Agent;
use crate::error::AppError;
use crate::extract::{ApiJson, CallId, IdempotencyKey, RecordingRef};
use crate::store::Store;
use crate::upstream::{Reply, Upstream};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calls/{call_id}/recordings", get(list).post(start_or_stop))
        .route("/calls/{call_id}/recordings/{recording_id}", get(metadata))
        .route("/calls/{call_id}/pause", post(pause::pause))
        .route("/calls/{call_id}/resume", post(pause::resume))
        .route("/calls/{call_id}/activity", get(activity))
        .route("/calls/{call_id}/status", get(status))
        .route("/calls/{call_id}/timeline", get(timeline))
        .route("/calls/{call_id}/events", get(crate::events::stream))
}

async fn list(State(up): State<Upstream>, CallId(call_id): CallId) -> Result<Response, AppError> {
    Ok(json(up.list(&call_id).await?))
}

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
        .map_err(|e| AppError::store("call_of_recording", e))?;
    if let Some(owner) = linked {
        return Ok(owner == r.call_id);
    }
    let listed = up.list(&r.call_id).await?;
    Ok(serde_json::from_slice::<Data<Vec<Recording>>>(&listed.body)
        .is_ok_and(|d| d.data.iter().any(|rec| rec.id == r.recording_id)))
}

/// `POST …/recordings`: `{"action":"start"}` or `{"action":"stop"}`, as MiniVoice takes them.
async fn start_or_stop(
    State(app): State<AppState>,
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

async fn activity(
    State(store): State<Store>,
    CallId(call_id): CallId,
) -> Result<Response, AppError> {
    let entries = store
        .history(&call_id)
        .await
        .map_err(|e| AppError::store("history", e))?;
    Ok(Json(Data::new(entries)).into_response())
}

async fn status(State(store): State<Store>, CallId(call_id): CallId) -> Result<Response, AppError> {
    let state = store
        .call_state(&call_id)
        .await
        .map_err(|e| AppError::store("call_state", e))?;
    Ok(Json(Data::new(state)).into_response())
}

/// `GET …/timeline`: the call's actions and webhooks, oldest first.
async fn timeline(
    State(store): State<Store>,
    CallId(call_id): CallId,
) -> Result<Response, AppError> {
    let entries = store
        .timeline(&call_id)
        .await
        .map_err(|e| AppError::store("timeline", e))?;
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
