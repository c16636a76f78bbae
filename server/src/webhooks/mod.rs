//! `POST /webhooks/minivoice`: accept fast, verify, de-duplicate, answer, then process in the
//! background (MiniVoice's advice), updating the store and the live hub.
//!
//! Signatures follow Standard Webhooks 1.0 (our assumption: MiniVoice's page does not say how
//! it signs): HMAC-SHA256 over `id.timestamp.raw_body`, a 5-minute timestamp tolerance, and
//! header names that are configurable.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minivoice_shared::minivoice::KnownEvent;
use minivoice_shared::{EventType, LiveEvent, WebhookEvent};
use serde_json::json;
use sha2::{Digest, Sha256};
use standardwebhooks::Webhook;
use tokio::sync::mpsc;

use crate::audit::Audit;
use crate::error::AppError;
use crate::events::Hub;

/// Events waiting for the background worker; past this the receiver answers 503 and
/// MiniVoice retries later.
const QUEUE: usize = 1024;
/// A webhook body is a few hundred bytes.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;

/// The header names carrying id, timestamp and signature.
#[derive(Clone, Debug)]
pub struct HeaderNames {
    pub id: HeaderName,
    pub timestamp: HeaderName,
    pub signature: HeaderName,
}

impl Default for HeaderNames {
    fn default() -> Self {
        HeaderNames {
            id: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_ID),
            timestamp: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP),
            signature: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_SIGNATURE),
        }
    }
}

pub struct Webhooks {
    verifier: Option<Webhook>,
    names: HeaderNames,
    audit: Audit,
    queue: mpsc::Sender<WebhookEvent>,
}

impl Webhooks {
    /// Starts the background worker. `secret` is `whsec_<base64>` (or bare base64).
    pub fn start(
        secret: Option<&str>,
        names: HeaderNames,
        audit: Audit,
        hub: Arc<Hub>,
    ) -> Result<Arc<Self>, String> {
        let verifier = secret
            .map(|s| Webhook::new(s).map_err(|e| format!("MINIVOICE_WEBHOOK_SECRET: {e}")))
            .transpose()?;
        let (queue, mut rx) = mpsc::channel::<WebhookEvent>(QUEUE);
        let worker_audit = audit.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                process(&worker_audit, &hub, event).await;
            }
        });
        Ok(Arc::new(Webhooks {
            verifier,
            names,
            audit,
            queue,
        }))
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), AppError> {
        let Some(verifier) = &self.verifier else {
            return Ok(());
        };
        // The crate reads the standard names; ours may be configured differently.
        let mut standard = HeaderMap::new();
        for (ours, theirs) in [
            (&self.names.id, standardwebhooks::HEADER_WEBHOOK_ID),
            (
                &self.names.timestamp,
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            ),
            (
                &self.names.signature,
                standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
            ),
        ] {
            if let Some(v) = headers.get(ours) {
                standard.insert(HeaderName::from_static(theirs), v.clone());
            }
        }
        verifier
            .verify(body, &standard)
            .map_err(|e| AppError::InvalidSignature(e.to_string()))
    }
}

/// `POST /webhooks/minivoice`
pub async fn receive(
    State(hooks): State<Arc<Webhooks>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    hooks.verify(&headers, &body)?;
    let event: WebhookEvent =
        serde_json::from_slice(&body).map_err(|e| AppError::InvalidJson(e.to_string()))?;
    // Reserve the queue slot before marking the delivery seen, so a full queue (503, retried
    // later) never swallows an event as a "duplicate".
    let permit = hooks
        .queue
        .try_reserve()
        .map_err(|_| AppError::WebhookQueueFull)?;
    let delivery = headers
        .get(&hooks.names.id)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("sha256:{:x}", Sha256::digest(&body)));
    let first = hooks
        .audit
        .first_delivery(&delivery)
        .await
        .map_err(|e| AppError::Internal(format!("webhook store: {e}")))?;
    if !first {
        tracing::info!(%delivery, "duplicate webhook delivery acknowledged, not processed");
        return Ok((StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response());
    }
    tracing::info!(%delivery, event = event.event.as_str(), "webhook accepted");
    permit.send(event);
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response())
}

/// The slow part, after MiniVoice has its answer.
async fn process(audit: &Audit, hub: &Hub, event: WebhookEvent) {
    let EventType::Known(kind) = &event.event else {
        tracing::debug!(
            event = event.event.as_str(),
            "unknown webhook event ignored"
        );
        return;
    };
    let call_id = event.call.as_ref().map(|c| c.id.clone()).or_else(|| {
        event
            .recording
            .as_ref()
            .and_then(|r| r.extra.get("call_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });
    let Some(call_id) = call_id else {
        tracing::warn!(
            event = event.event.as_str(),
            "webhook names no call; ignored"
        );
        return;
    };
    if let Some(rec) = &event.recording {
        if let Err(e) = audit.upsert_recording(&call_id, rec).await {
            tracing::error!(error = %e, "could not store a recording update");
        }
        hub.publish(
            &call_id,
            LiveEvent::Recording {
                call_id: call_id.clone(),
                recording: rec.clone(),
            },
        );
    }
    if *kind == KnownEvent::CallCompleted {
        let status = event
            .call
            .as_ref()
            .map(|c| c.status.clone())
            .unwrap_or_else(|| minivoice_shared::CALL_COMPLETED.into());
        if let Err(e) = audit.set_call_status(&call_id, &status).await {
            tracing::error!(error = %e, "could not store a call status");
        }
        hub.publish(
            &call_id,
            LiveEvent::Call {
                call_id: call_id.clone(),
                status,
            },
        );
    }
}
