//! Pause and resume. MiniVoice documents only start and stop, so a pause stops the current
//! segment and records the pause (who, why, when the server resumes by itself), and a resume
//! starts the next segment. Both go through the same path as start and stop (`act.rs`): on
//! record first, the call's gate, idempotency keys. What they decide about the call's pause
//! is decided under the call's lock, so a pause, a resume and the automatic resume cannot
//! interleave.

use std::time::Duration;

use axum::response::Response;
use axum::Extension;
use minivoice_shared::{
    call_is_over, Action, ActionResult, Data, LiveEvent, MiniVoiceCode, PauseEnd, PauseRequest,
    Recording,
};

use super::act::{self, accepted, is_transient, Actions, Intent};
use super::pause_body::PauseBody;
use crate::auth::Agent;
use crate::error::AppError;
use crate::extract::{CallId, IdempotencyKey};
use crate::failures;
use crate::openapi::{CallPath, IdempotencyKeyHeader, PauseRefusals, ResumeRefusals};
use crate::store::{self, Ended, Pause};
use crate::upstream::Reply;

/// What a step changed about the call's pause, announced once the result is on record.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// A pause began.
    pub paused: Option<Pause>,
    /// The open pause ended (resumed, cancelled by a stop, or the call is over).
    pub pause_ended: bool,
    /// MiniVoice said the call is no longer active, and our records now say so.
    pub call_ended: bool,
}

/// Pause: stop the current segment and record the pause. Body empty or `{"reason":"…"}`.
///
/// MiniVoice is sent `{"action":"stop"}`; the server resumes by itself `PAUSE_MAX_S` later.
#[utoipa::path(
    post,
    path = "/calls/{call_id}/pause",
    tag = "recordings",
    operation_id = "pauseRecording",
    params(CallPath, IdempotencyKeyHeader),
    request_body(content = Option<PauseRequest>, description = "Empty, or a reason"),
    responses(
        (status = 200, description = "MiniVoice stopped the segment", body = Data<ActionResult>),
        PauseRefusals,
    )
)]
pub(super) async fn pause(
    app: Actions,
    Extension(agent): Extension<Agent>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
    PauseBody(reason): PauseBody,
) -> Result<Response, AppError> {
    let intent = Intent {
        agent: agent.name,
        call_id,
        action: Action::Pause,
        key,
        reason,
    };
    Ok(act::respond(act::perform(app, intent).await?))
}

/// Resume a paused call: start its next segment.
///
/// Any body is ignored: there is nothing to say. The pause ends whoever resumes it.
#[utoipa::path(
    post,
    path = "/calls/{call_id}/resume",
    tag = "recordings",
    operation_id = "resumeRecording",
    params(CallPath, IdempotencyKeyHeader),
    responses(
        (status = 200, description = "MiniVoice started a segment", body = Data<ActionResult>),
        ResumeRefusals,
    )
)]
pub(super) async fn resume(
    app: Actions,
    Extension(agent): Extension<Agent>,
    CallId(call_id): CallId,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Response, AppError> {
    let intent = Intent {
        agent: agent.name,
        call_id,
        action: Action::Resume,
        key,
        reason: None,
    };
    Ok(act::respond(act::perform(app, intent).await?))
}

/// Under the call's lock, before anything is forwarded: the call's open pause, and whether
/// the action makes sense with it.
pub(super) async fn before(app: &Actions, intent: &Intent) -> Result<Option<Pause>, AppError> {
    let unavailable = |e| failures::store("pause_of", e);
    let open = app
        .store
        .pause_of(&intent.call_id)
        .await
        .map_err(unavailable)?;
    match intent.action {
        Action::Pause if open.is_some() => Err(AppError::CallAlreadyPaused),
        Action::Resume if open.is_none() => Err(AppError::CallNotPaused),
        Action::Resume => {
            // Never a new segment on a call that is over (the automatic resume's promise):
            // its pause ends with it.
            let state = app
                .store
                .call_state(&intent.call_id)
                .await
                .map_err(|e| failures::store("call_state", e))?;
            if state.status.as_deref().is_some_and(call_is_over) {
                let end = Ended::without_resume(PauseEnd::CallCompleted);
                close(&app.store, &intent.call_id, &end).await;
                return Err(AppError::call_not_active());
            }
            Ok(open)
        }
        _ => Ok(open),
    }
}

/// Under the call's lock, once MiniVoice has answered: what that means for the pause.
pub(super) async fn after(
    app: &Actions,
    intent: &Intent,
    open: Option<Pause>,
    reply: &Reply,
    code: Option<&str>,
) -> Changes {
    let mut changes = Changes::default();
    let ok = reply.status.is_success();
    if intent.action == Action::Pause && ok {
        let (paused_at, resume_at) = match app.pause_max {
            Some(max) => {
                let (at, due) = store::now_and_later(max);
                (at, Some(due))
            }
            None => (store::now(), None),
        };
        let pause = Pause {
            call_id: intent.call_id.clone(),
            paused_by: intent.agent.clone(),
            reason: intent.reason.clone(),
            paused_at,
            resume_at,
            recording_id: accepted(reply).map(|r| r.recording.id),
        };
        // MiniVoice has stopped the segment: its answer goes back whatever happens here;
        // without the row the call shows idle and is not resumed by itself. So a store that is
        // away for a moment (a restart, a cut connection) is waited for, still under the
        // call's lock, so that no other action on the call can come between.
        let deadline = tokio::time::Instant::now() + OPEN_PAUSE_RETRY_FOR;
        let mut gap = Duration::from_millis(100);
        loop {
            match app.store.open_pause(&pause).await {
                Ok(()) => {
                    changes.paused = Some(pause);
                    break;
                }
                Err(e) => {
                    crate::telemetry::store_error("open_pause");
                    if tokio::time::Instant::now() + gap >= deadline {
                        tracing::error!(error = %e, "pause not recorded; no automatic resume");
                        break;
                    }
                    tracing::warn!(error = %e, "pause not recorded yet; retrying");
                    tokio::time::sleep(gap).await;
                    gap = (gap * 2).min(Duration::from_secs(2));
                }
            }
        }
        return changes;
    }
    if open.is_none() {
        return changes;
    }
    let already = code == Some(MiniVoiceCode::RecordingAlreadyStarted.as_str());
    let over = code == Some(MiniVoiceCode::CallNotActive.as_str());
    let ends = match intent.action {
        // Recording again (or already, by someone else): the pause is over.
        Action::Start => ok || already || over,
        // Resumed, or refused for good (the call ended, is unknown…): retrying cannot help.
        Action::Resume => ok || !is_transient(reply.status),
        // Stop while paused means "no more recording": the automatic resume is cancelled.
        Action::Stop => !is_transient(reply.status),
        Action::Pause => over,
    };
    if ends {
        let next = accepted(reply).map(|r| r.recording.id);
        let end = if over {
            Ended::without_resume(PauseEnd::CallCompleted)
        } else if matches!(intent.action, Action::Start | Action::Resume) && (ok || already) {
            Ended::resumed(&intent.agent, next.as_deref())
        } else {
            // Stop while paused, or a resume MiniVoice refused for good: no next segment.
            Ended::without_resume(PauseEnd::Stopped)
        };
        changes.pause_ended = close(&app.store, &intent.call_id, &end).await;
    }
    changes
}

/// How long a pause MiniVoice has made waits for the store to take its row: longer than a
/// database restart; bounded, because the agent's request waits with it (a longer outage
/// leaves the pause unrecorded, and says so in the log).
const OPEN_PAUSE_RETRY_FOR: Duration = Duration::from_secs(10);

async fn close(store: &crate::store::Store, call_id: &str, end: &Ended<'_>) -> bool {
    store.close_pause(call_id, end).await.unwrap_or_else(|e| {
        crate::telemetry::store_error("close_pause");
        tracing::error!(error = %e, "could not end the pause");
        false
    })
}

/// Tells every widget on the call what changed, once the result is on record.
pub(super) async fn announce(
    app: &Actions,
    intent: &Intent,
    changes: Changes,
    recording: Option<Recording>,
) {
    let call_id = &intent.call_id;
    if changes.call_ended {
        app.hub.publish(call_id, act::ended_event(call_id)).await;
    }
    if let Some(p) = changes.paused {
        let event = LiveEvent::Pause {
            call_id: call_id.clone(),
            paused_by: p.paused_by,
            reason: p.reason,
            resume_at: p.resume_at,
        };
        app.hub.publish(call_id, event).await;
    }
    if changes.pause_ended {
        let resumed = matches!(intent.action, Action::Start | Action::Resume);
        let event = LiveEvent::Resume {
            call_id: call_id.clone(),
            resumed_by: intent.agent.clone(),
            recording: recording.filter(|_| resumed),
        };
        app.hub.publish(call_id, event).await;
    }
}
