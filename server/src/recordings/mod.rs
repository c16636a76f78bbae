//! The widget's recording routes: validate, gate, forward to MiniVoice, record in the audit
//! trail. Every route here sits behind `auth::require_agent`.

mod gate;

pub use gate::Gate;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use minivoice_shared::{ActionRequest, ActionResult, Data, ErrorEnvelope, LiveEvent};

use crate::app::AppState;
use crate::audit::{Attempt, Audit};
use crate::auth::Agent;
use crate::error::AppError;
use crate::extract::{ApiJson, CallId, IdempotencyKey, RecordingRef};
use crate::upstream::{Reply, Upstream};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calls/{call_id}/recordings", get(list).post(act))
        .route("/calls/{call_id}/recordings/{recording_id}", get(metadata))
        .route("/calls/{call_id}/activity", get(activity))
        .route("/calls/{call_id}/status", get(status))
        .route("/calls/{call_id}/events", get(crate::events::stream))
}

async fn list(State(up): State<Upstream>, CallId(call_id): CallId) -> Result<Response, AppError> {
    Ok(json(up.list(&call_id).await?))
}

async fn metadata(State(up): State<Upstream>, r: RecordingRef) -> Result<Response, AppError> {
    Ok(json(up.get(&r.call_id, &r.recording_id).await?))
}

async fn act(
    State(app): State<AppState>,
    Extension(agent): Extension<Agent>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, AppError> {
    let AppState {
        upstream: up,
        gate,
        audit,
        hub,
        ..
    } = app;
    let action = body.action;
    let outcome = gate
        .run(&call_id, action, key.as_deref(), || async {
            tracing::info!(action = action.as_str(), "forwarding recording action");
            up.act(&call_id, &body, key.as_deref()).await
        })
        .await;
    // Recorded whatever happened, before answering: the trail is the contact centre's proof.
    let (recording_id, error_code) = match &outcome {
        Ok(o) => summarise(&o.reply),
        Err(e) => (None, Some(e.code())),
    };
    let request_id = crate::request_id::current();
    let attempt = Attempt {
        agent: &agent.name,
        call_id: &call_id,
        action,
        recording_id: recording_id.as_deref(),
        error_code: error_code.as_deref(),
        request_id: request_id.as_deref(),
        replayed: outcome.as_ref().is_ok_and(|o| o.replayed),
    };
    if let Err(e) = audit.record(&attempt).await {
        tracing::error!(error = %e, "could not write the audit trail");
    }
    if let Ok(o) = &outcome {
        if let Some(result) = accepted(&o.reply) {
            // Every other widget on this call hears of it now, not at its next refresh.
            if let Err(e) = audit.upsert_recording(&call_id, &result.recording).await {
                tracing::error!(error = %e, "could not store the recording state");
            }
            hub.publish(
                &call_id,
                LiveEvent::Recording {
                    call_id: call_id.clone(),
                    recording: result.recording,
                },
            );
        }
    }
    let outcome = outcome?;
    let mut resp = json(outcome.reply);
    if outcome.replayed {
        tracing::info!(
            action = action.as_str(),
            "replayed answer for idempotency key"
        );
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

async fn activity(
    State(audit): State<Audit>,
    CallId(call_id): CallId,
) -> Result<Response, AppError> {
    let entries = audit
        .history(&call_id)
        .await
        .map_err(|e| AppError::Internal(format!("audit trail: {e}")))?;
    Ok(Json(Data::new(entries)).into_response())
}

async fn status(State(audit): State<Audit>, CallId(call_id): CallId) -> Result<Response, AppError> {
    let state = audit
        .call_state(&call_id)
        .await
        .map_err(|e| AppError::Internal(format!("call state: {e}")))?;
    Ok(Json(Data::new(state)).into_response())
}

/// MiniVoice's accepted action, from a successful answer.
fn accepted(reply: &Reply) -> Option<ActionResult> {
    reply
        .status
        .is_success()
        .then(|| serde_json::from_slice::<Data<ActionResult>>(&reply.body).ok())
        .flatten()
        .map(|d| d.data)
}

/// The recording ID of a success, or the error code of MiniVoice's refusal.
fn summarise(reply: &Reply) -> (Option<String>, Option<String>) {
    if reply.status.is_success() {
        (accepted(reply).map(|r| r.recording.id), None)
    } else {
        let code = serde_json::from_slice::<ErrorEnvelope>(&reply.body)
            .ok()
            .map(|e| e.error.code.as_str().to_owned());
        (None, code)
    }
}

fn json(reply: Reply) -> Response {
    (
        reply.status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}
