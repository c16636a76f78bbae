//! The automatic resume: a pause ends by itself at its `resume_at` (`PAUSE_MAX_S` after it
//! began), so a forgotten pause cannot leave the rest of a call unrecorded. Pauses are in the
//! store, so one survives a restart (an overdue one is resumed as soon as a replica starts);
//! each replica looks for due pauses, and a pause is claimed in the store before it is
//! resumed, so it is resumed once however many replicas run. The resume itself is an ordinary
//! one (audited as `system`, through the call's gate), and never runs for a call that is over.

use std::time::Duration;

use futures_util::future::join_all;
use minivoice_shared::Action;
use tracing::Instrument;

use super::act::{self, Actions, Intent};
use crate::auth::SYSTEM_AGENT;
use crate::store::{self, ClaimedPause};

/// How often a replica looks for due pauses (one indexed read when none is due).
const TICK: Duration = Duration::from_millis(250);
/// A resume that failed in a way that may pass (MiniVoice down, the call busy) is tried again
/// after this.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// Due pauses one replica takes at a time (resumed concurrently).
const BATCH: i64 = 16;

/// Runs until the hub closes (shutdown).
pub fn spawn(app: Actions) {
    let mut closing = app.hub.closing();
    tokio::spawn(async move {
        loop {
            resume_due(&app).await;
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = closing.wait_for(|c| *c) => return,
            }
        }
    });
}

async fn resume_due(app: &Actions) {
    // While the store is known to be down its health check says so, once; four warnings a
    // second from here would bury that.
    if !app.store.is_healthy() {
        return;
    }
    // Times are one fixed-width UTC format: text order is time order.
    match app.store.next_resume().await {
        Ok(Some(at)) if at <= store::now() => {}
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "automatic resume: store unavailable");
            return;
        }
    }
    // The claim outlives the whole resume (the gate's wait and its lease) with room to spare;
    // a replica that dies holding it only delays the resume until it expires.
    let lease = app.upstream.timeout() * 2 + Duration::from_secs(10);
    let claimed = match app.store.claim_due_pauses(lease, BATCH).await {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(error = %e, "automatic resume: could not claim due pauses");
            return;
        }
    };
    join_all(claimed.into_iter().map(|c| resume(app, c))).await;
}

async fn resume(app: &Actions, claimed: ClaimedPause) {
    let span = tracing::info_span!("auto_resume", call_id = %claimed.call_id);
    let intent = Intent {
        agent: SYSTEM_AGENT.into(),
        call_id: claimed.call_id.clone(),
        action: Action::Resume,
        key: None,
        reason: None,
    };
    match act::perform(app.clone(), intent).instrument(span).await {
        Ok(o) if o.reply.status.is_success() => {
            tracing::info!(call_id = %claimed.call_id, "paused recording resumed automatically")
        }
        Ok(o) => tracing::warn!(
            call_id = %claimed.call_id,
            status = o.reply.status.as_u16(),
            "automatic resume refused by MiniVoice"
        ),
        Err(e) => tracing::warn!(call_id = %claimed.call_id, error = ?e, "automatic resume failed"),
    }
    // A pause the resume ended is gone; one still held by our claim failed in a way worth
    // another try (no answer, MiniVoice failing, the call busy with an agent's action).
    if let Err(e) = app.store.retry_pause(&claimed, RETRY_AFTER).await {
        tracing::warn!(error = %e, "automatic resume: claim not given back; it will expire");
    }
}
