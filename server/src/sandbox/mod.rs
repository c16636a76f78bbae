//! A simulated MiniVoice: its own axum router on a loopback port, reached by the proxy over
//! real HTTP exactly as the real API is, so every sandbox run exercises the forward path.
//!
//! It follows the documented contract (and our inferences in `minivoice_shared::minivoice`)
//! and offers deterministic call IDs for the documentation's three test paths.

mod notify;
mod sim;

use notify::Notifier;
pub use notify::{new_webhook_secret, WebhookTarget};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minivoice_shared::{minivoice, ActionRequest, Data, ErrorCode, ErrorEnvelope, MiniVoiceCode};
use tokio::net::TcpListener;

pub use sim::Sim;

use crate::secret::Secret;

/// Never answers in time: the timeout path.
pub const TIMEOUT_CALL: &str = "call_timeout";
/// Does not exist: every route answers 404 `call_not_found`.
pub const MISSING_CALL: &str = "call_missing";
/// Already completed: listing works, starting is refused with 409 `call_not_active`.
pub const COMPLETED_CALL: &str = "call_completed";
/// Answers as a newer MiniVoice might: its stopped recordings have a status nobody has named
/// yet (`archived`) and a field beyond the documented ones (`retention_days`), so that a
/// client's tolerance can be seen end to end.
pub const NEWER_CALL: &str = "call_newer";

/// How long the timeout call stalls; far beyond any sane proxy timeout.
const STALL: Duration = Duration::from_secs(600);

#[derive(Clone)]
struct SandboxState {
    sim: Arc<Mutex<Sim>>,
    key: Option<Secret>,
    notifier: Option<Notifier>,
}

/// A failure as MiniVoice shapes it.
#[derive(Debug)]
pub struct Refusal(pub StatusCode, pub ErrorCode, pub &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorEnvelope::new(self.1, self.2))).into_response()
    }
}

pub fn router(key: Option<Secret>, webhooks: Option<WebhookTarget>) -> Router {
    let notifier = webhooks.and_then(|t| match Notifier::new(t) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::error!(error = %e, "sandbox webhooks disabled: bad secret");
            None
        }
    });
    let state = SandboxState {
        sim: Arc::new(Mutex::new(Sim::default())),
        key,
        notifier,
    };
    let prefix = minivoice::API_PREFIX;
    Router::new()
        .route(
            &format!("{prefix}/calls/{{call_id}}/recordings"),
            get(list).post(act),
        )
        .route(
            &format!("{prefix}/calls/{{call_id}}/recordings/{{recording_id}}"),
            get(metadata),
        )
        // Sandbox only (MiniVoice has no such route): end a call, as the caller hanging up
        // would, so the completed-call path can be exercised. Needs no key.
        .route(&format!("{prefix}/calls/{{call_id}}/hangup"), post(hang_up))
        // Sandbox only (MiniVoice has no such route): every action carried out, with its
        // idempotency key, for fault runs to reconcile against. Needs the key, as reads do.
        .route(&format!("{prefix}/sandbox/actions"), get(journal))
        .fallback(|| async {
            Refusal(
                StatusCode::NOT_FOUND,
                MiniVoiceCode::CallNotFound.into(),
                "no such route",
            )
        })
        .with_state(state)
}

/// Serves the sandbox on `addr` in a background task and returns where it listens.
pub async fn spawn(addr: SocketAddr, key: Option<Secret>) -> std::io::Result<SocketAddr> {
    spawn_with(addr, key, None).await
}

/// As [`spawn`], sending signed webhooks for recording changes and completed calls.
pub async fn spawn_with(
    addr: SocketAddr,
    key: Option<Secret>,
    webhooks: Option<WebhookTarget>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(key, webhooks)).await {
            tracing::error!(error = %e, "sandbox stopped");
        }
    });
    Ok(bound)
}

/// MiniVoice requires a bearer key; the sandbox checks it the same way.
fn authorize(state: &SandboxState, headers: &HeaderMap) -> Result<(), Refusal> {
    let given = crate::extract::bearer(headers).filter(|k| !k.is_empty());
    let ok = match (given, &state.key) {
        (Some(k), Some(expected)) => k == expected.expose(),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Refusal(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unknown("unauthorized".into()),
            "missing or invalid API key",
        ))
    }
}

/// The special calls shared by every route.
async fn special(call_id: &str) -> Result<(), Refusal> {
    match call_id {
        TIMEOUT_CALL => {
            tokio::time::sleep(STALL).await;
            Ok(())
        }
        MISSING_CALL => Err(Refusal(
            StatusCode::NOT_FOUND,
            MiniVoiceCode::CallNotFound.into(),
            "call not found",
        )),
        _ => Ok(()),
    }
}

async fn list(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    Path(call_id): Path<String>,
) -> Result<Response, Refusal> {
    authorize(&st, &headers)?;
    special(&call_id).await?;
    let recordings = st.sim.lock().unwrap().list(&call_id, Instant::now());
    Ok(Json(Data::new(recordings)).into_response())
}

async fn metadata(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    Path((call_id, recording_id)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    authorize(&st, &headers)?;
    special(&call_id).await?;
    let rec = st
        .sim
        .lock()
        .unwrap()
        .get(&call_id, &recording_id, Instant::now())?;
    Ok(Json(Data::new(rec)).into_response())
}

async fn act(
    State(st): State<SandboxState>,
    headers: HeaderMap,
    Path(call_id): Path<String>,
    body: Result<Json<ActionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Refusal> {
    authorize(&st, &headers)?;
    let Ok(Json(req)) = body else {
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(ErrorEnvelope::new(
                ErrorCode::Unknown("invalid_request".into()),
                "body must be {\"action\":\"start\"|\"stop\"}",
            )),
        )
            .into_response());
    };
    special(&call_id).await?;
    let completed = call_id == COMPLETED_CALL;
    let result = {
        let mut sim = st.sim.lock().unwrap();
        let result = sim.act(&call_id, req.action, completed, Instant::now())?;
        sim.note(sim::Accepted {
            call_id: call_id.clone(),
            action: req.action,
            recording_id: result.recording.id.clone(),
            idempotency_key: headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        result
    };
    if let Some(n) = &st.notifier {
        // Only start and stop get here (the body refuses the rest), as MiniVoice takes.
        let event = if req.action == minivoice_shared::Action::Start {
            "recording.started"
        } else {
            "recording.stopped"
        };
        n.recording(event, &call_id, "in_progress", &result.recording);
    }
    Ok(Json(Data::new(result)).into_response())
}

async fn journal(State(st): State<SandboxState>, headers: HeaderMap) -> Result<Response, Refusal> {
    authorize(&st, &headers)?;
    let journal = st.sim.lock().unwrap().journal();
    Ok(Json(Data::new(journal)).into_response())
}

async fn hang_up(State(st): State<SandboxState>, Path(call_id): Path<String>) -> Response {
    let stopped = st.sim.lock().unwrap().hang_up(&call_id, Instant::now());
    if let Some(n) = &st.notifier {
        if let Some(rec) = &stopped {
            n.recording("recording.stopped", &call_id, "completed", rec);
        }
        n.call_completed(&call_id);
    }
    Json(serde_json::json!({"data": {"call_id": call_id, "status": "completed"}})).into_response()
}
