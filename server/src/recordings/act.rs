//! One action, whoever asks for it (an agent's start, stop, pause or resume, or the
//! scheduler's automatic resume), through one path: on record before it is forwarded, then in
//! a task that outlives the request, the call's gate (one action in flight, idempotency
//! answers), the step under the call's lock, the result on record, and every widget told.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use minivoice_shared::{
    Action, ActionRequest, ActionResult, Data, LiveEvent, MiniVoiceCode, CALL_ENDED,
};
use tracing::Instrument;

use super::gate::{self, Outcome};
use super::pause::{self, Changes};
use crate::error::AppError;
use crate::events::Hub;
use crate::failures;
use crate::store::{Attempt, Finished, Store};
use crate::telemetry;
use crate::upstream::{Reply, Upstream};

/// What carrying out an action needs, taken from any state that has these parts: the
/// handlers extract it, and the automatic resume is given it at start-up.
#[derive(Clone)]
pub struct Actions {
    pub upstream: Upstream,
    pub store: Store,
    pub hub: Arc<Hub>,
    /// How long a pause lasts before the server resumes by itself; `None`: never.
    pub pause_max: Option<Duration>,
}

impl Actions {
    pub fn from_state<S>(state: &S) -> Actions
    where
        Upstream: FromRef<S>,
        Store: FromRef<S>,
        Arc<Hub>: FromRef<S>,
        Option<Duration>: FromRef<S>,
    {
        Actions {
            upstream: Upstream::from_ref(state),
            store: Store::from_ref(state),
            hub: Arc::<Hub>::from_ref(state),
            pause_max: Option::<Duration>::from_ref(state),
        }
    }
}

impl<S> FromRequestParts<S> for Actions
where
    S: Send + Sync,
    Upstream: FromRef<S>,
    Store: FromRef<S>,
    Arc<Hub>: FromRef<S>,
    Option<Duration>: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(Actions::from_state(state))
    }
}

/// An action as asked for.
#[derive(Clone, Debug)]
pub(crate) struct Intent {
    pub agent: String,
    pub call_id: String,
    pub action: Action,
    pub key: Option<String>,
    /// A pause's reason.
    pub reason: Option<String>,
}

/// Records the attempt, then carries it out in a task of its own: MiniVoice may act on it,
/// so its answer must reach the trail and every widget even if the asker goes away.
pub(crate) async fn perform(app: Actions, intent: Intent) -> Result<Outcome, AppError> {
    let request_id = crate::request_id::current();
    let attempt = Attempt {
        agent: &intent.agent,
        call_id: &intent.call_id,
        action: intent.action,
        request_id: request_id.as_deref(),
        reason: intent.reason.as_deref(),
    };
    // On record before anything is forwarded: an action the trail cannot hold is not taken.
    let row = app
        .store
        .begin(&attempt)
        .await
        .map_err(|e| failures::store("begin", e))?;
    let work = carry_out(app, intent, row).in_current_span();
    tokio::spawn(work)
        .await
        .map_err(|e| AppError::Internal(format!("action task: {e}")))?
}

/// The answer as the API gives it, marked when it is a replay.
pub(crate) fn respond(outcome: Outcome) -> Response {
    let replayed = outcome.replayed;
    let mut resp = super::json(outcome.reply);
    if replayed {
        telemetry::idempotent_replay();
        tracing::info!("replayed answer for idempotency key");
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// Gate → the step under the call's lock → the result on record → link and publish.
async fn carry_out(app: Actions, intent: Intent, row: i64) -> Result<Outcome, AppError> {
    // A request waits for another with its key at most as long as that one can take.
    let wait = app.upstream.timeout() + std::time::Duration::from_secs(1);
    let changes = Mutex::new(Changes::default());
    let outcome = gate::run(
        &app.store,
        &intent.call_id,
        intent.action,
        intent.key.as_deref(),
        wait,
        || step(&app, &intent, &changes),
    )
    .await;
    record_result(&app.store, row, &outcome).await;
    let result = outcome.as_ref().ok().and_then(|o| accepted(&o.reply));
    if let Some(result) = &result {
        if let Err(e) = app
            .store
            .upsert_recording(&intent.call_id, &result.recording)
            .await
        {
            tracing::error!(error = %e, "could not store the recording state");
        }
        // Every other widget on this call hears of it now, not at its next refresh.
        let event = LiveEvent::Recording {
            call_id: intent.call_id.clone(),
            recording: result.recording.clone(),
        };
        app.hub.publish(&intent.call_id, event).await;
    }
    let changes = changes.into_inner().unwrap_or_else(|e| e.into_inner());
    let recording = result.map(|r| r.recording);
    pause::announce(&app, &intent, changes, recording).await;
    outcome
}

/// Runs under the call's lock, so what it reads of the call's pause holds until it is done.
/// MiniVoice is sent `start` or `stop` only, whatever the action.
async fn step(app: &Actions, intent: &Intent, changes: &Mutex<Changes>) -> Result<Reply, AppError> {
    let open = pause::before(app, intent).await?;
    let forwarded = ActionRequest {
        action: intent.action.forwarded(),
    };
    tracing::info!(
        action = intent.action.as_str(),
        forwarded = forwarded.action.as_str(),
        "forwarding recording action"
    );
    let reply = match app
        .upstream
        .act(&intent.call_id, &forwarded, intent.key.as_deref())
        .await
    {
        Ok(reply) => reply,
        // MiniVoice's own refusal is an answer (the gate remembers it), and may say the call
        // has ended.
        Err(AppError::Upstream { status, body }) => Reply { status, body },
        // No answer: nothing is known to have changed.
        Err(e) => return Err(e),
    };
    let code = refusal_code(&reply);
    let mut found = pause::after(app, intent, open, &reply, code.as_deref()).await;
    if code.as_deref() == Some(MiniVoiceCode::CallNotActive.as_str()) {
        found.call_ended = mark_ended(&app.store, &intent.call_id).await;
    }
    *changes.lock().unwrap_or_else(|e| e.into_inner()) = found;
    Ok(reply)
}

/// `call_not_active`: the call is over in our records too, so its state stops saying it is
/// in progress. Whether that is news.
async fn mark_ended(store: &Store, call_id: &str) -> bool {
    match store.mark_call_ended(call_id).await {
        Ok(changed) => changed,
        Err(e) => {
            telemetry::store_error("mark_call_ended");
            tracing::error!(error = %e, "could not mark the call ended");
            false
        }
    }
}

/// The `call` event for a call we just marked ended.
pub(crate) fn ended_event(call_id: &str) -> LiveEvent {
    LiveEvent::Call {
        call_id: call_id.to_owned(),
        status: CALL_ENDED.into(),
    }
}

async fn record_result(store: &Store, row: i64, outcome: &Result<Outcome, AppError>) {
    let (recording_id, error_code) = match outcome {
        Ok(o) => summarise(&o.reply),
        Err(e) => (None, Some(e.code())),
    };
    let replayed = outcome.as_ref().is_ok_and(|o| o.replayed);
    let finish = move |store: Store| {
        let (recording_id, error_code) = (recording_id.clone(), error_code.clone());
        async move {
            let result = Finished {
                recording_id: recording_id.as_deref(),
                error_code: error_code.as_deref(),
                replayed,
            };
            store.finish(row, &result).await
        }
    };
    let Err(e) = finish(store.clone()).await else {
        return;
    };
    telemetry::store_error("finish");
    tracing::error!(error = %e, "could not record the action's result; retrying until the store answers");
    // The answer is known and the asker gets it now; the trail gets it as soon as the store is
    // back (a PostgreSQL restart or a cut connection lasts seconds). Only a replica that dies
    // meanwhile leaves the row pending: on record as "answer unknown", never as nothing.
    let store = store.clone();
    let retry = async move {
        let mut gap = FINISH_RETRY_FIRST;
        let deadline = tokio::time::Instant::now() + FINISH_RETRY_FOR;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(gap).await;
            if finish(store.clone()).await.is_ok() {
                tracing::info!(row, "the action's result is on record after a retry");
                return;
            }
            gap = (gap * 2).min(FINISH_RETRY_MAX_GAP);
        }
        tracing::error!(
            row,
            "gave up recording the action's result: the row stays pending"
        );
    };
    tokio::spawn(retry.in_current_span());
}

/// How the result of an action is retried while the store is away: soon at first, then every
/// few seconds, for longer than an outage its operators would call short.
const FINISH_RETRY_FIRST: Duration = Duration::from_millis(100);
const FINISH_RETRY_MAX_GAP: Duration = Duration::from_secs(5);
const FINISH_RETRY_FOR: Duration = Duration::from_secs(600);

/// MiniVoice's accepted action, from a successful answer.
pub(crate) fn accepted(reply: &Reply) -> Option<ActionResult> {
    reply
        .status
        .is_success()
        .then(|| serde_json::from_slice::<Data<ActionResult>>(&reply.body).ok())
        .flatten()
        .map(|d| d.data)
}

/// The error code of a refusal (none for a success).
pub(crate) fn refusal_code(reply: &Reply) -> Option<String> {
    (!reply.status.is_success())
        .then(|| crate::error::error_code(&reply.body))
        .flatten()
}

/// Whether a refusal may go away by itself (MiniVoice busy or failing, not a "no").
pub(crate) fn is_transient(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// The recording ID of a success, or the error code of MiniVoice's refusal.
fn summarise(reply: &Reply) -> (Option<String>, Option<String>) {
    if reply.status.is_success() {
        (accepted(reply).map(|r| r.recording.id), None)
    } else {
        (None, crate::error::error_code(&reply.body))
    }
}
