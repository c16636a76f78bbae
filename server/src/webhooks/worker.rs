//! The inbox's worker: applies stored deliveries in order, on whichever replica claims them.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use minivoice_shared::minivoice::KnownEvent;
use minivoice_shared::{EventType, LiveEvent, WebhookEvent};
use serde_json::Value;
use tokio::sync::Notify;

use super::{BATCH, POLL};
use crate::events::Hub;
use crate::extract::is_valid_id;
use crate::store::Store;
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
            for delivery in &batch.deliveries {
                match apply(&self.store, &self.hub, &delivery.body).await {
                    Ok(()) => {}
                    // Data the store refuses (say, a NUL in a name) would stop the inbox for
                    // good if retried: the delivery stays stored, as it came, but is passed.
                    Err(e) if is_data_error(&e) => {
                        tracing::warn!(error = %e, id = delivery.id, "webhook kept, not applied")
                    }
                    Err(e) => return Err(e),
                }
            }
            let done = batch.deliveries.len() as i64;
            self.store.finish_batch(batch).await?;
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

/// What a delivery changes. Only store failures are errors (the delivery stays in the inbox);
/// a body we cannot understand is logged and kept as it came.
async fn apply(store: &Store, hub: &Hub, body: &[u8]) -> Result<(), sqlx::Error> {
    let Some(event) = understand(body) else {
        tracing::warn!(
            body = %String::from_utf8_lossy(&body[..body.len().min(512)]),
            "webhook kept but not understood"
        );
        return Ok(());
    };
    let EventType::Known(kind) = &event.event else {
        tracing::debug!(
            event = event.event.as_str(),
            "unknown webhook event kept, not acted on"
        );
        return Ok(());
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
        return Ok(());
    };
    if let Some(rec) = event.recording.as_ref().filter(|r| is_valid_id(&r.id)) {
        store.upsert_recording(&call_id, rec).await?;
        let event = LiveEvent::Recording {
            call_id: call_id.clone(),
            recording: rec.clone(),
        };
        hub.publish(&call_id, event).await;
    }
    if *kind == KnownEvent::CallCompleted {
        let status = event
            .call
            .as_ref()
            .and_then(|c| c.status.clone())
            .unwrap_or_else(|| minivoice_shared::CALL_COMPLETED.into());
        store.set_call_status(&call_id, &status).await?;
        let event = LiveEvent::Call {
            call_id: call_id.clone(),
            status,
        };
        hub.publish(&call_id, event).await;
    }
    Ok(())
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
