//! The delivery inspector: every delivery to `POST /webhooks/minivoice` as it arrived (headers
//! with signatures shortened, the raw body, the verdict) and, once processed, what it changed.
//! What someone wiring MiniVoice up needs to see when "nothing happens". `GET
//! /api/webhooks/deliveries` is for supervisors (a token for every call) or, without tokens,
//! for this machine: bodies name callers and numbers.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minivoice_shared::timeline::KnownVerdict;
use minivoice_shared::{Data, WebhookDelivery};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Webhooks;
use crate::auth::Supervisor;
use crate::error::AppError;
use crate::failures;
use crate::local::Trust;
use crate::openapi::DeliveriesRefusals;
use crate::store::{Received, Store};

/// Deliveries listed when the query does not say.
pub(crate) const DEFAULT_LIMIT: i64 = 50;
/// Most deliveries one answer lists.
pub(crate) const MAX_LIMIT: i64 = 500;
/// How much of a signature the inspector shows: enough to tell two apart, not to reuse one.
const SIGNATURE_CHARS: usize = 8;
/// Headers that carry credentials: shown as present, never their value.
const HIDDEN: &[&str] = &["authorization", "proxy-authorization", "cookie"];
/// How much of a refused delivery's body is kept: enough to recognise it, while what anyone
/// can send costs little to keep.
pub(crate) const REFUSED_BODY_BYTES: usize = 1024;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Store: FromRef<S>,
    Trust: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(list))
}

/// The inspector's query: described here, read by [`list`] itself so that its refusals are
/// the shared error shape.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct DeliveriesQuery {
    /// How many to list, newest first (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Only deliveries with this verdict (`accepted`, `invalid_signature`, …).
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    verdict: Option<String>,
}

/// How the receiver answered a delivery, for its note.
pub(super) struct Note<'a> {
    pub verdict: KnownVerdict,
    pub status: StatusCode,
    pub detail: Option<String>,
    pub verified: bool,
    /// It got past the signature check: kept within `WEBHOOK_INSPECT_KEEP`, whole. A refused
    /// one, which anyone could have sent, is kept within the smaller bound, shortened.
    pub passed: bool,
    pub inbox_key: Option<&'a str>,
}

impl<'a> Note<'a> {
    pub fn refused(verdict: KnownVerdict, e: &AppError) -> Note<'a> {
        let status = match e {
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::InvalidSignature(_) => StatusCode::UNAUTHORIZED,
            AppError::ForbiddenRemote(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        Note {
            verdict,
            status,
            detail: None,
            verified: false,
            passed: false,
            inbox_key: None,
        }
    }

    pub fn answered(verdict: KnownVerdict, status: StatusCode, key: &'a str) -> Note<'a> {
        Note {
            verdict,
            status,
            detail: None,
            verified: false,
            passed: true,
            inbox_key: Some(key),
        }
    }

    /// The signature was checked and held (with no secret configured, nothing was checked).
    pub fn verified(self, hooks: &Webhooks) -> Note<'a> {
        Note {
            verified: hooks.verifier.is_some(),
            passed: true,
            ..self
        }
    }
}

impl Webhooks {
    /// Notes a delivery for the inspector. Best effort: the answer never depends on it.
    pub(super) async fn note(&self, headers: &HeaderMap, body: &[u8], note: Note<'_>) {
        if self.keep.passed == 0 {
            return;
        }
        let headers = render_headers(headers, &self.names.signature);
        let delivery_id = headers_value(headers.get(self.names.id.as_str()));
        let text = if note.passed {
            printable_text(&String::from_utf8_lossy(body))
        } else {
            shortened_body(body)
        };
        let received = Received {
            delivery_id: delivery_id.as_deref(),
            inbox_key: note.inbox_key,
            verdict: note.verdict.as_str(),
            status: note.status.as_u16(),
            detail: note.detail.as_deref(),
            verified: note.verified,
            passed: note.passed,
            headers: &serde_json::to_string(&headers).unwrap_or_else(|_| "{}".into()),
            body: &text,
        };
        if let Err(e) = self.store.log_delivery(&received, self.keep).await {
            crate::telemetry::store_error("log_delivery");
            tracing::warn!(error = %e, "webhook delivery not noted for the inspector");
        }
    }
}

fn headers_value(v: Option<&String>) -> Option<String> {
    v.filter(|v| !v.is_empty()).cloned()
}

/// Header name → value (repeats joined), signatures shortened, credentials hidden.
fn render_headers(
    headers: &HeaderMap,
    signature: &axum::http::HeaderName,
) -> BTreeMap<String, String> {
    let mut shown: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let raw = printable_text(&String::from_utf8_lossy(value.as_bytes()));
        let value = if name == signature {
            raw.split(' ').map(shorten).collect::<Vec<_>>().join(" ")
        } else if HIDDEN.contains(&name.as_str()) {
            "(hidden)".into()
        } else {
            raw
        };
        shown
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    shown
}

/// `v1,K3ZxQ9…`: the first characters of one signature.
fn shorten(signature: &str) -> String {
    if signature.chars().count() <= SIGNATURE_CHARS {
        return signature.to_owned();
    }
    let start: String = signature.chars().take(SIGNATURE_CHARS).collect();
    format!("{start}…")
}

/// A refused body's first [`REFUSED_BODY_BYTES`], and how long it was when it was longer.
fn shortened_body(body: &[u8]) -> String {
    if body.len() <= REFUSED_BODY_BYTES {
        return printable_text(&String::from_utf8_lossy(body));
    }
    let start = String::from_utf8_lossy(&body[..REFUSED_BODY_BYTES]);
    // A character cut in two shows as one U+FFFD at the end, which says as much.
    format!(
        "{}… ({} bytes in all; refused, so only the first {REFUSED_BODY_BYTES} are kept)",
        printable_text(&start),
        body.len()
    )
}

/// Text any store keeps: PostgreSQL refuses NUL in text, so it is shown as U+FFFD.
fn printable_text(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

/// The latest webhook deliveries, refused ones included, newest first (supervisors).
///
/// A supervisor's token (`calls: ["*"]`) or, without tokens, a request from this machine.
#[utoipa::path(
    get,
    path = "/webhooks/deliveries",
    tag = "webhooks",
    operation_id = "listWebhookDeliveries",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "The deliveries", body = Data<Vec<WebhookDelivery>>),
        DeliveriesRefusals,
    )
)]
async fn list(State(store): State<Store>, _: Supervisor, uri: Uri) -> Result<Response, AppError> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&uri)
        .map_err(|e| AppError::InvalidQuery(e.body_text()))?;
    let limit = crate::extract::page_limit(&query, DEFAULT_LIMIT, MAX_LIMIT)?;
    let verdict = query.get("verdict").map(String::as_str);
    if verdict.is_some_and(|v| !crate::extract::is_valid_id(v)) {
        return Err(AppError::InvalidQuery(
            "verdict is a word like `accepted`".into(),
        ));
    }
    let rows = store
        .deliveries(limit, verdict)
        .await
        .map_err(|e| failures::store("deliveries", e))?;
    Ok(Json(Data::new(rows)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    #[test]
    fn signatures_are_shortened_and_credentials_hidden() {
        let mut h = HeaderMap::new();
        let sig = HeaderName::from_static("webhook-signature");
        h.insert(
            sig.clone(),
            HeaderValue::from_static("v1,K3ZxQ9abcdefgh v1,zz"),
        );
        h.insert("authorization", HeaderValue::from_static("Bearer secret"));
        h.append("x-a", HeaderValue::from_static("1"));
        h.append("x-a", HeaderValue::from_static("2"));
        let shown = render_headers(&h, &sig);
        assert_eq!(shown["webhook-signature"], "v1,K3ZxQ… v1,zz");
        assert_eq!(shown["authorization"], "(hidden)");
        assert_eq!(shown["x-a"], "1, 2");
        assert_eq!(printable_text("a\0b"), "a\u{FFFD}b");
    }

    #[test]
    fn refused_bodies_are_shortened() {
        assert_eq!(shortened_body(b"{\"a\":1}"), "{\"a\":1}");
        let long = shortened_body(&[b'x'; 60 * 1024]);
        assert!(long.starts_with(&"x".repeat(REFUSED_BODY_BYTES)));
        assert!(long.contains("61440 bytes in all"), "{long}");
        assert!(long.len() < REFUSED_BODY_BYTES + 100);
    }
}
