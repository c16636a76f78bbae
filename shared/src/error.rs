//! The one error shape on the wire, `{"error":{"code","message"}}`, used by MiniVoice and by
//! the proxy alike, so the widget branches on `code` whoever answered.

use serde::{Deserialize, Serialize};

use crate::minivoice::MiniVoiceCode;
use crate::Extra;

known_strings! {
    /// Codes the proxy itself answers with (never MiniVoice's).
    pub enum ProxyCode {
        /// No valid agent token (missing, malformed, forged or expired).
        Unauthorized = "unauthorized",
        /// A valid token that does not cover this call.
        ForbiddenCall = "forbidden_call",
        InvalidCallId = "invalid_call_id",
        InvalidRecordingId = "invalid_recording_id",
        InvalidAction = "invalid_action",
        InvalidJson = "invalid_json",
        UnsupportedMediaType = "unsupported_media_type",
        PayloadTooLarge = "payload_too_large",
        NotFound = "not_found",
        MethodNotAllowed = "method_not_allowed",
        InvalidIdempotencyKey = "invalid_idempotency_key",
        IdempotencyKeyReused = "idempotency_key_reused",
        ActionInProgress = "action_in_progress",
        /// Pause while a pause is already open on the call.
        CallAlreadyPaused = "call_already_paused",
        /// Resume on a call that is not paused.
        CallNotPaused = "call_not_paused",
        /// A pause's body is not empty or `{"reason":"…"}` with a short, printable reason.
        InvalidReason = "invalid_reason",
        /// A route for supervisors (a token for every call, `["*"]`) or this machine only.
        SupervisorRequired = "supervisor_required",
        /// A query parameter out of range (e.g. `limit`).
        InvalidQuery = "invalid_query",
        /// A report's `from` or `to` is missing or not an RFC 3339 time.
        InvalidRange = "invalid_range",
        /// A report's `to` is not after its `from`.
        InvertedRange = "inverted_range",
        /// A report's range spans more than 31 days.
        RangeTooLong = "range_too_long",
        HeadersTooLarge = "headers_too_large",
        /// A webhook whose signature, timestamp or headers do not verify.
        InvalidSignature = "invalid_signature",
        WebhookQueueFull = "webhook_queue_full",
        /// Live events cannot be served now (stream limit): poll instead.
        EventsUnavailable = "events_unavailable",
        /// This agent (or client address) already has as many live streams as allowed.
        TooManyStreams = "too_many_streams",
        /// Anonymous mode with a real key: the request's `Host` is not a loopback name.
        ForbiddenHost = "forbidden_host",
        /// Anonymous mode with a real key: the request came from another site's page.
        ForbiddenOrigin = "forbidden_origin",
        /// What needs no credential (the API without tokens, unsigned webhooks) is served to
        /// this machine only: the request came from elsewhere, or through a reverse proxy.
        ForbiddenRemote = "forbidden_remote",
        /// The request's body did not arrive in time.
        RequestTimeout = "request_timeout",
        /// The proxy's own store cannot be written: nothing was forwarded.
        StoreUnavailable = "store_unavailable",
        UpstreamTimeout = "upstream_timeout",
        UpstreamUnavailable = "upstream_unavailable",
        UpstreamInvalidResponse = "upstream_invalid_response",
        UpstreamError = "upstream_error",
        /// MiniVoice refused the proxy's API key: a deployment fault, not the agent's.
        UpstreamAuthFailed = "upstream_auth_failed",
        Internal = "internal_error",
    }
}

known_strings! {
    /// Codes a client of the proxy (the widget) raises itself when no answer of the proxy can
    /// be read, or before one is asked for; the proxy never sends them.
    pub enum ClientCode {
        /// No answer: the network failed, or the request timed out.
        NetworkError = "network_error",
        /// An answer that is not the JSON its route promises.
        BadResponse = "bad_response",
        /// An element's method called with no widget mounted for a call.
        WidgetUnavailable = "widget_unavailable",
    }
}

/// Any error code: MiniVoice's, the proxy's, a client's own, or one we do not know (kept
/// verbatim).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    MiniVoice(MiniVoiceCode),
    Proxy(ProxyCode),
    Client(ClientCode),
    Unknown(String),
}

impl ErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::MiniVoice(c) => c.as_str(),
            ErrorCode::Proxy(c) => c.as_str(),
            ErrorCode::Client(c) => c.as_str(),
            ErrorCode::Unknown(s) => s,
        }
    }
}

impl From<String> for ErrorCode {
    fn from(s: String) -> Self {
        if let Some(c) = MiniVoiceCode::from_known(&s) {
            ErrorCode::MiniVoice(c)
        } else if let Some(c) = ProxyCode::from_known(&s) {
            ErrorCode::Proxy(c)
        } else if let Some(c) = ClientCode::from_known(&s) {
            ErrorCode::Client(c)
        } else {
            ErrorCode::Unknown(s)
        }
    }
}

impl From<ProxyCode> for ErrorCode {
    fn from(c: ProxyCode) -> Self {
        ErrorCode::Proxy(c)
    }
}

impl From<ClientCode> for ErrorCode {
    fn from(c: ClientCode) -> Self {
        ErrorCode::Client(c)
    }
}

impl From<MiniVoiceCode> for ErrorCode {
    fn from(c: MiniVoiceCode) -> Self {
        ErrorCode::MiniVoice(c)
    }
}

string_serde!(ErrorCode);
open_schema!(
    ErrorCode,
    (MiniVoiceCode::ALL.iter().map(|c| c.as_str()))
        .chain(ProxyCode::ALL.iter().map(|c| c.as_str()))
);

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub extra: Extra,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

impl ErrorBody {
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        ErrorBody {
            code: code.into(),
            message: message.into(),
            extra: Extra::new(),
        }
    }
}

impl ErrorEnvelope {
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ErrorBody::new(code, message),
        }
    }
}
