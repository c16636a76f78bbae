//! The widget's recording routes: validate, gate, forward to MiniVoice, record in the audit
//! trail. Every route here sits behind `auth::require_agent`.

mod gate;

pub use gate::Outcome;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use minivoice_shared::{ActionRequest, ActionResult, Data, LiveEvent, Recording};
use tracing::Instrument;

use crate::app::AppState;
use crate::auth::Agent;
use crate::error::AppError;
use crate::extract::{ApiJson, CallId, IdempotencyKey, RecordingRef};
use crate::store::{Attempt, Finished, Store};
use crate::telemetry;
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

async fn act(
    State(app): State<AppState>,
    Extension(agent): Extension<Agent>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, AppError> {
    let request_id = crate::request_id::current();
    let attempt = Attempt {
        agent: &agent.name,
        call_id: &call_id,
        action: body.action,
        request_id: request_id.as_deref(),
    };
    // On record before anything is forwarded: an action the trail cannot hold is not taken.
    let row = app
        .store
        .begin(&attempt)
        .await
        .map_err(|e| AppError::store("begin", e))?;
    // Runs to the end even if the browser goes away meanwhile: MiniVoice may act on it, so
    // its answer must still reach the trail and every other widget on the call.
    let work = carry_out(app, call_id, body, key, row).in_current_span();
    let outcome = tokio::spawn(work)
        .await
        .map_err(|e| AppError::Internal(format!("action task: {e}")))??;
    let mut resp = json(outcome.reply);
    if outcome.replayed {
        telemetry::idempotent_replay();
        tracing::info!("replayed answer for idempotency key");
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// Gate → forward → record the result → link and publish the recording.
async fn carry_out(
    app: AppState,
    call_id: String,
    body: ActionRequest,
    key: Option<String>,
    row: i64,
) -> Result<Outcome, AppError> {
    let action = body.action;
    // A request waits for another with its key at most as long as that one can take.
    let wait = app.upstream.timeout() + std::time::Duration::from_secs(1);
    let outcome = gate::run(
        &app.store,
        &call_id,
        action,
        key.as_deref(),
        wait,
        || async {
            tracing::info!(action = action.as_str(), "forwarding recording action");
            app.upstream.act(&call_id, &body, key.as_deref()).await
        },
    )
    .await;
    record_result(&app.store, row, &outcome).await;
    if let Some(result) = outcome.as_ref().ok().and_then(|o| accepted(&o.reply)) {
        if let Err(e) = app
            .store
            .upsert_recording(&call_id, &result.recording)
            .await
        {
            tracing::error!(error = %e, "could not store the recording state");
        }
        // Every other widget on this call hears of it now, not at its next refresh.
        let event = LiveEvent::Recording {
            call_id: call_id.clone(),
            recording: result.recording,
        };
        app.hub.publish(&call_id, event).await;
    }
    outcome
}

async fn record_result(store: &Store, row: i64, outcome: &Result<Outcome, AppError>) {
    let (recording_id, error_code) = match outcome {
        Ok(o) => summarise(&o.reply),
        Err(e) => (None, Some(e.code())),
    };
    let result = Finished {
        recording_id: recording_id.as_deref(),
        error_code: error_code.as_deref(),
        replayed: outcome.as_ref().is_ok_and(|o| o.replayed),
    };
    if let Err(e) = store.finish(row, &result).await {
        // The row stays pending: the trail says the answer is unknown rather than nothing.
        telemetry::store_error("finish");
        tracing::error!(error = %e, "could not record the action's result");
    }
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
        (None, crate::error::error_code(&reply.body))
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
