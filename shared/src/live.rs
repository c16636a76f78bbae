//! Live state pushed to widgets over server-sent events, and the call state they show.

use serde::{Deserialize, Serialize};

use crate::recording::Recording;

/// One server-sent event's data; the SSE event name is the `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A recording changed (started, stopped, became ready…), from any source.
    Recording {
        call_id: String,
        recording: Recording,
    },
    /// The call's status changed (e.g. `completed`).
    Call { call_id: String, status: String },
    /// Events were missed (a slow client, or a resume too old): refetch everything.
    Resync { call_id: String },
}

impl LiveEvent {
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::Recording { .. } => "recording",
            LiveEvent::Call { .. } => "call",
            LiveEvent::Resync { .. } => "resync",
        }
    }
}

/// `GET /api/calls/{call_id}/status`: what the proxy has heard of the call by webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    pub call_id: String,
    /// `None` until a webhook reports it; `completed` once MiniVoice says the call ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// The documented final call state: only then are recordings ready for processing.
pub const CALL_COMPLETED: &str = "completed";
