//! The widget's recording routes: validate, then forward to MiniVoice.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minivoice_shared::ActionRequest;

use crate::app::AppState;
use crate::error::AppError;
use crate::extract::{ApiJson, CallId, RecordingRef};
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
    CallId(call_id): CallId,
    ApiJson(body): ApiJson<ActionRequest>,
) -> Result<Response, AppError> {
    tracing::info!(%call_id, action = body.action.as_str(), "forwarding recording action");
    Ok(json(up.act(&call_id, &body).await?))
}

fn json(reply: Reply) -> Response {
    (
        reply.status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}
