//! The proxy's own record of who did what on a call (`GET /api/calls/{id}/activity`).

use serde::{Deserialize, Serialize};

use crate::recording::Action;

/// Who the trail, the timeline and the widgets name for the automatic resume; no token may
/// claim it.
pub const SYSTEM_AGENT: &str = "system";
/// Who acts when the proxy runs without agent tokens.
pub const ANONYMOUS_AGENT: &str = "anonymous";

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// UTC, RFC 3339 with milliseconds.
    pub at: String,
    pub agent: String,
    pub call_id: String,
    pub action: Action,
    /// Set when MiniVoice accepted the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// Set when it failed: MiniVoice's code or the proxy's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The answer was replayed for a repeated idempotency key (no second upstream call).
    #[serde(default)]
    pub replayed: bool,
    /// Forwarded to MiniVoice, no answer recorded yet (in flight, or the proxy stopped).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// Made against the built-in sandbox: nothing was really recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
}
