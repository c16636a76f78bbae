//! A call's whole story (`GET /api/calls/{id}/timeline`) and the webhook delivery inspector
//! (`GET /api/webhooks/deliveries`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Extra;

/// One thing that happened on a call: an agent's (or the system's) action, or a webhook
/// MiniVoice delivered about it. Oldest first in the timeline.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// UTC, RFC 3339 with milliseconds: when the action was taken or the webhook received.
    pub at: String,
    pub kind: TimelineKind,
    /// The action (`start`, `stop`, `pause`, `resume`) or the webhook's event type (as sent,
    /// `unknown` when it names none).
    #[serde(rename = "type")]
    pub what: String,
    /// Who acted (`system` for the automatic resume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The recording the entry is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// Actions: `ok`, the error code (MiniVoice's or the proxy's), or `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Pauses: the reason the agent gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Webhooks: the event exactly as MiniVoice sent it, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<serde_json::Value>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

/// An action's `result` when MiniVoice accepted it; otherwise it is the error code, or
/// [`RESULT_PENDING`].
pub const RESULT_OK: &str = "ok";
/// An action's `result` while it is forwarded and no answer is recorded yet.
pub const RESULT_PENDING: &str = "pending";

open_strings! {
    /// Whether a timeline entry is an action or a webhook; a kind a newer proxy adds is kept.
    pub enum TimelineKind {
        Action = "action",
        Webhook = "webhook",
    }
}

known_strings! {
    /// What the receiver decided about a delivery.
    pub enum KnownVerdict {
        /// Verified (or unsigned, without a secret), stored, answered 202.
        Accepted = "accepted",
        /// Its delivery ID was stored already: answered 200, not processed again.
        Duplicate = "duplicate",
        InvalidSignature = "invalid_signature",
        /// Signed too long ago (a replay, or a clock far behind).
        TooOld = "too_old",
        /// Signed in the future (a clock far ahead).
        TooNew = "too_new",
        /// A signature header missing or unreadable, or a body that is not UTF-8.
        Malformed = "malformed",
        TooLarge = "too_large",
        /// The body did not arrive in time.
        RequestTimeout = "request_timeout",
        /// Too many deliveries waiting: answered 503, MiniVoice retries.
        QueueFull = "queue_full",
        /// Our store could not keep it: answered 503, MiniVoice retries.
        StoreUnavailable = "store_unavailable",
        /// Unsigned (no `MINIVOICE_WEBHOOK_SECRET`) and not from this machine: answered 403.
        NotLocal = "not_local",
    }
}

/// A verdict; one a newer proxy adds is kept as sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Known(KnownVerdict),
    Unknown(String),
}

impl Verdict {
    pub fn as_str(&self) -> &str {
        match self {
            Verdict::Known(k) => k.as_str(),
            Verdict::Unknown(s) => s,
        }
    }
}

impl From<String> for Verdict {
    fn from(s: String) -> Self {
        KnownVerdict::from_known(&s).map_or(Verdict::Unknown(s), Verdict::Known)
    }
}

impl From<KnownVerdict> for Verdict {
    fn from(k: KnownVerdict) -> Self {
        Verdict::Known(k)
    }
}

string_serde!(Verdict);
open_schema!(Verdict, KnownVerdict::ALL.iter().map(|k| k.as_str()));

/// One delivery to `POST /webhooks/minivoice`, as the inspector shows it, rejected ones
/// included, so that wiring MiniVoice up shows what arrived and what we made of it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub received_at: String,
    /// The delivery ID header, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    pub verdict: Verdict,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// Its signature was checked and held (false when refused, or with no secret set).
    #[serde(default)]
    pub verified: bool,
    /// Why it was refused, in words (e.g. `missing header webhook-signature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request's headers; signature values shortened, credentials hidden.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The raw body as text (bytes that are not UTF-8 shown as U+FFFD).
    #[serde(default)]
    pub body: String,
    /// Accepted deliveries, once processed: what it changed (e.g. `call completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_unknown_kinds_and_fields() {
        let raw = serde_json::json!({"at":"t","kind":"note","type":"x","by":"bob"});
        let e: TimelineEntry = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(e.kind, TimelineKind::Unknown("note".into()));
        assert_eq!(serde_json::to_value(&e).unwrap(), raw);
        let v: Verdict = serde_json::from_str("\"too_old\"").unwrap();
        assert_eq!(v, Verdict::Known(KnownVerdict::TooOld));
        let v: Verdict = serde_json::from_str("\"rate_limited\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"rate_limited\"");
    }
}
