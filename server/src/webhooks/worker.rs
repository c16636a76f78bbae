//! The inbox's worker: applies stored deliveries in order, on whichever replica claims them.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use minivoice_shared::minivoice::KnownEvent;
use minivoice_shared::{EventType, LiveEvent, PauseEnd, WebhookEvent};
use serde_json::Value;
use tokio::sync::Notify;

use super::{facts, BATCH, POLL};
use crate::events::Hub;
use crate::extract::is_valid_id;
use crate::store::{Ended, Processed, Store};
use crate::telemetry;

/// Drains the inbox in order and marks each batch processed once its effects are stored. On
/// PostgreSQL a batch's rows stay locked while it is applied, so replicas share the work and
/// never apply a delivery twice; a crash mid-batch has the batch applied again after the
/// restart, which is harmless since every effect is an upsert.
pub(super) struct Worker {
    pub(super) store: Store,
    pub(super) hub: Arc<Hub>,
    pub(super) wake: Arc<Notify>,
    pub(super) waiting: Arc<AtomicI64>,
}

impl Worker {
    pub(super) async fn run(self) {
        loop {
            if let Err(e) = self.drain().await {
                telemetry::store_error("inbox");
                tracing::error!(error = %e, "webhook inbox: will retry");
            }
            // Other replicas take deliveries too: resynchronise the back-pressure count.
            if let Ok(n) = self.store.unprocessed_count().await {
                self.waiting.store(n, Ordering::Relaxed);
                telemetry::inbox_depth(n);
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    async fn drain(&self) -> Result<(), sqlx::Error> {
        loop {
            let batch = self.store.take_batch(BATCH).await?;
            if batch.deliveries.is_empty() {
                return Ok(());
            }
            let mut processed = Vec::with_capacity(batch.deliveries.len());
            for delivery in &batch.deliveries {
                // What it names is kept with it, known type or not: the call's timeline.
                let found = facts::read(&delivery.body);
                let kind = found.event_type.as_deref();
                let effect = match apply(&self.store, &self.hub, &delivery.body, kind).await {
                    Ok(effect) => effect,
                    // Data the store refuses (say, a NUL in a name) would stop the inbox for
                    // good if retried: the delivery stays stored, as it came, but is passed.
                    Err(e) if is_data_error(&e) => {
                        tracing::warn!(error = %e, id = delivery.id, "webhook kept, not applied");
                        "kept, not applied (the store refused its data)".into()
                    }
                    Err(e) => return Err(e),
                };
                processed.push(Processed {
                    id: delivery.id,
                    call_id: found.call_id,
                    recording_id: found.recording_id,
                    event_type: found.event_type,
                    effect,
                });
            }
            let done = batch.deliveries.len() as i64;
            self.store.finish_batch(batch, &processed).await?;
            let depth = self.waiting.fetch_sub(done, Ordering::Relaxed) - done;
            telemetry::inbox_depth(depth);
        }
    }
}

/// An error in the data rather than the store (SQLSTATE classes 22 and 23).
fn is_data_error(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d)
        if d.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")))
}

/// Applies a delivery and says what it changed, in words, for the delivery inspector. Only
/// store failures are errors (the delivery stays in the inbox); a body we cannot understand is
/// logged and kept as it came. `kind` is the type found anywhere we look (`facts.rs`).
async fn apply(
    store: &Store,
    hub: &Hub,
    body: &[u8],
    kind: Option<&str>,
) -> Result<String, sqlx::Error> {
    let Some(event) = understand(body) else {
        // Another shape (`type` rather than `event`, say): kept, and named if it can be.
        if let Some(kind) = kind {
            tracing::debug!(event = kind, "webhook of another shape kept, not acted on");
            if KnownEvent::from_known(kind).is_some() {
                return Ok(format!("kept ({kind} in a shape we do not act on)"));
            }
            return Ok(format!("kept (unknown type {kind})"));
        }
        tracing::warn!(
            body = %String::from_utf8_lossy(&body[..body.len().min(512)]),
            "webhook kept but not understood"
        );
        return Ok("kept (not understood: no event type we can read)".into());
    };
    let EventType::Known(kind) = &event.event else {
        tracing::debug!(
            event = event.event.as_str(),
            "unknown webhook event kept, not acted on"
        );
        return Ok(format!(
            "kept (unknown type {})",
            printable(event.event.as_str())
        ));
    };
    let call_id = event.call.as_ref().map(|c| c.id.clone()).or_else(|| {
        event
            .recording
            .as_ref()
            .and_then(|r| r.extra.get("call_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });
    // IDs are held to the same rule as the API's: they go into URLs, logs and the store.
    let Some(call_id) = call_id.filter(|id| is_valid_id(id)) else {
        tracing::warn!(
            event = event.event.as_str(),
            "webhook names no usable call; kept, not acted on"
        );
        return Ok("kept (names no usable call)".into());
    };
    let mut changed = vec![];
    if let Some(rec) = event.recording.as_ref().filter(|r| is_valid_id(&r.id)) {
        // A recording belongs to the call we first linked it to (our own start, or the first
        // webhook naming it), whatever call a later delivery names: its state and its live
        // event go to that call, never to another call's screens.
        let owner = store.upsert_recording(&call_id, rec).await?;
        let status = printable(rec.status.as_str());
        if owner == call_id {
            changed.push(format!("recording {} {status}", rec.id));
        } else {
            tracing::warn!(
                recording = ?rec.id,
                named_call = ?call_id,
                linked_call = ?owner,
                "webhook names another call than its recording's; applied to the recording's call"
            );
            changed.push(format!(
                "recording {} {status} on call {owner} (the delivery named call {call_id})",
                rec.id
            ));
        }
        let event = LiveEvent::Recording {
            call_id: owner.clone(),
            recording: rec.clone(),
        };
        hub.publish(&owner, event).await;
    }
    if *kind == KnownEvent::CallCompleted {
        let status = event
            .call
            .as_ref()
            .and_then(|c| c.status.clone())
            .unwrap_or_else(|| minivoice_shared::CALL_COMPLETED.into());
        store.set_call_status(&call_id, &status).await?;
        changed.push(format!("call {}", printable(&status)));
        // A call that is over is never resumed: its pause ends with it.
        let end = Ended::without_resume(PauseEnd::CallCompleted);
        if store.close_pause(&call_id, &end).await? {
            changed.push("pause ended".into());
        }
        let event = LiveEvent::Call {
            call_id: call_id.clone(),
            status,
        };
        hub.publish(&call_id, event).await;
    }
    if changed.is_empty() {
        return Ok(format!("nothing to change for call {call_id}"));
    }
    Ok(changed.join("; "))
}

/// A sender's string, fit for a one-line description.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(100).collect()
}

/// The event as far as we can read it: a part of a new shape (a recording without the
/// fields we know, say) must not hide the rest.
pub(super) fn understand(body: &[u8]) -> Option<WebhookEvent> {
    if let Ok(event) = serde_json::from_slice(body) {
        return Some(event);
    }
    let mut value: Value = serde_json::from_slice(body).ok()?;
    value.as_object_mut()?.remove("recording");
    serde_json::from_value(value).ok()
}
