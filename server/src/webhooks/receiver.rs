//! The receiving end: check, store, answer. What the answer is for each delivery, and the
//! note the inspector keeps of it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minivoice_shared::timeline::KnownVerdict;
use minivoice_shared::WebhookEvent;
use sha2::{Digest, Sha256};

use super::inspect::Note;
use super::{Webhooks, MAX_UNPROCESSED};
use crate::error::AppError;
use crate::failures;
use crate::local::{FromThisMachine, Trust};
use crate::openapi::WebhookRefusals;
use crate::telemetry;

/// MiniVoice's webhooks, signed (Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`).
///
/// A verified delivery is acknowledged whatever its shape: a
/// sender stops retrying on a 4xx, so refusing one would lose it. Its body is kept as sent.
/// Every delivery, refused or not, is noted for the inspector (best effort: a note that
/// cannot be written never changes the answer). The header names are the defaults
/// (`WEBHOOK_ID_HEADER` and friends change them); without `MINIVOICE_WEBHOOK_SECRET` nothing
/// is checked.
#[utoipa::path(
    post,
    path = "/webhooks/minivoice",
    tag = "webhooks",
    operation_id = "receiveMiniVoiceWebhook",
    params(
        ("webhook-id" = String, Header, description = "The delivery's ID (de-duplication key)"),
        ("webhook-timestamp" = String, Header, description = "Unix seconds; within 5 minutes"),
        ("webhook-signature" = String, Header, description = "`v1,<base64>`, space-separated"),
    ),
    request_body(
        content = WebhookEvent,
        description = "The event as MiniVoice sends it; any body is kept once verified",
    ),
    responses(
        (status = 202, description = "Stored; processed shortly", body = WebhookAck),
        (status = 200, description = "Stored already: not processed again", body = WebhookAck),
        WebhookRefusals,
    )
)]
pub async fn receive(
    State(hooks): State<Arc<Webhooks>>,
    State(trust): State<Trust>,
    FromThisMachine(local): FromThisMachine,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let e = crate::extract::body_error(rejection);
            let verdict = match e {
                AppError::RequestTimeout => KnownVerdict::RequestTimeout,
                _ => KnownVerdict::TooLarge,
            };
            hooks.note(&headers, b"", Note::refused(verdict, &e)).await;
            return Err(e);
        }
    };
    // Unsigned (no secret to check against), anyone could forge `call.completed`: only this
    // machine may deliver, unless `--allow-unsigned-webhooks` opened it to others.
    if hooks.verifier.is_none() && !local && !trust.unsigned_from_anywhere {
        telemetry::webhook_outcome("not_local");
        let e = AppError::ForbiddenRemote(REMOTE_UNSIGNED);
        let note = Note::refused(KnownVerdict::NotLocal, &e);
        hooks.note(&headers, &body, note).await;
        return Err(e);
    }
    let signed_by = match hooks.verify(&headers, &body) {
        Ok(signed_by) => signed_by,
        Err((verdict, detail)) => {
            telemetry::webhook_outcome("invalid_signature");
            let e = AppError::InvalidSignature(detail.clone());
            let note = Note {
                detail: Some(detail),
                ..Note::refused(verdict, &e)
            };
            hooks.note(&headers, &body, note).await;
            return Err(e);
        }
    };
    if hooks.waiting.load(Ordering::Relaxed) >= MAX_UNPROCESSED {
        telemetry::webhook_outcome("queue_full");
        let e = AppError::WebhookQueueFull;
        let note = Note::refused(KnownVerdict::QueueFull, &e).verified(&hooks);
        hooks.note(&headers, &body, note).await;
        return Err(e);
    }
    let delivery = headers
        .get(&hooks.names.id)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("sha256:{:x}", Sha256::digest(&body)));
    let fresh = match hooks.store.accept_delivery(&delivery, &body).await {
        Ok(fresh) => fresh,
        Err(err) => {
            let e = failures::store("accept_delivery", err);
            let note = Note::refused(KnownVerdict::StoreUnavailable, &e).verified(&hooks);
            hooks.note(&headers, &body, note).await;
            return Err(e);
        }
    };
    if !fresh {
        tracing::info!(%delivery, "duplicate webhook delivery acknowledged, not processed");
        telemetry::webhook_outcome("duplicate");
        let note = Note {
            detail: Some("already received: acknowledged, not processed again".into()),
            ..Note::answered(KnownVerdict::Duplicate, StatusCode::OK, &delivery).verified(&hooks)
        };
        hooks.note(&headers, &body, note).await;
        return Ok((StatusCode::OK, Json(WebhookAck::new("duplicate"))).into_response());
    }
    tracing::info!(%delivery, "webhook stored");
    let depth = hooks.waiting.fetch_add(1, Ordering::Relaxed) + 1;
    telemetry::webhook_outcome("accepted");
    telemetry::inbox_depth(depth);
    hooks.wake.notify_one();
    let note = Note {
        detail: accepted_detail(&body, signed_by),
        ..Note::answered(KnownVerdict::Accepted, StatusCode::ACCEPTED, &delivery)
    };
    hooks.note(&headers, &body, note.verified(&hooks)).await;
    Ok((StatusCode::ACCEPTED, Json(WebhookAck::new("accepted"))).into_response())
}

/// What the inspector says of an accepted delivery that someone may need to know: that it was
/// signed by a secret other than the first (while rotating: the old one is still in use), and
/// why its body reads oddly (the bytes are kept as sent).
fn accepted_detail(body: &[u8], signed_by: Option<usize>) -> Option<String> {
    let mut notes = vec![];
    if let Some(n) = signed_by.filter(|n| *n > 0) {
        notes.push(format!(
            "verified by secret {} of MINIVOICE_WEBHOOK_SECRET, not the first",
            n + 1
        ));
    }
    if std::str::from_utf8(body).is_err() {
        notes.push(
            "the body is not UTF-8: stored as sent, shown here with U+FFFD for the bytes \
             that are not"
                .to_owned(),
        );
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// What the receiver refuses to others without a secret, in its error's words.
const REMOTE_UNSIGNED: &str = "without MINIVOICE_WEBHOOK_SECRET, unsigned webhooks are taken";

/// The receiver's acknowledgement.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `accepted` (202) or `duplicate` (200).
    status: &'static str,
}

impl WebhookAck {
    fn new(status: &'static str) -> WebhookAck {
        WebhookAck { status }
    }
}
