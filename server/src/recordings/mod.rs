//! The widget's recording routes: validate, gate, then forward to MiniVoice.

mod gate;

pub use gate::Gate;

use axum::extract::State;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minivoice_shared::ActionRequest;

use crate::app::AppState;
use crate::error::AppError;
use crate::extract::{ApiJson, CallId, IdempotencyKey, RecordingRef};
use crate::upstream::{Reply, Upstream};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calls/{call_id}/recordings", get(list).post(act))
        .route("/calls/{call_id}/recordings/{recording_id}", get(metadata))
}

async fn list(State(up): State<Upstream>, CallId(call_id): CallId) -> Result<Response, AppError> {
    Ok(json(up.list(&call_id).await?))
}

async fn metadata(State(up): State<Upstream>, r: RecordingRef) -> Result<Response, AppError> {
    Ok(json(up.get(&r.call_id, &r.recording_id).await?))
}

async fn act(
    State(up): State<Upstream>,
    State(gate): State<Arc<Gate>>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, AppError> {
    let action = body.action;
    let outcome = gate
        .run(&call_id, action, key.as_deref(), || async {
            tracing::info!(%call_id, action = action.as_str(), "forwarding recording action");
            up.act(&call_id, &body, key.as_deref()).await
        })
        .await?;
    let mut resp = json(outcome.reply);
    if outcome.replayed {
        tracing::info!(%call_id, action = action.as_str(), "replayed answer for idempotency key");
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

fn json(reply: Reply) -> Response {
    (
        reply.status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}
