//! Live state pushed to widgets over server-sent events, and the call state they show.

use serde::{Deserialize, Serialize};

use crate::recording::Recording;

/// One server-sent event's data; the SSE event name is the `type`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A recording changed (started, stopped, became ready…), from any source.
    Recording {
        call_id: String,
        recording: Recording,
    },
    /// The call's status changed (e.g. `completed`, or `ended` when MiniVoice refused an
    /// action with `call_not_active`).
    Call { call_id: String, status: String },
    /// Events were missed (a slow client, or a resume too old): refetch everything.
    Resync { call_id: String },
    /// A pause began: the current segment was stopped (its `recording` event came first).
    Pause {
        call_id: String,
        paused_by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// When the server starts the next segment by itself; absent when it never will.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume_at: Option<String>,
    },
    /// A pause ended. `recording` is the next segment; it is absent when the pause ended
    /// without one (Stop pressed while paused, or the call ended).
    Resume {
        call_id: String,
        resumed_by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recording: Option<Recording>,
    },
}

impl LiveEvent {
    /// Every event's name, in the order of the variants: a client listens for each (an
    /// `EventSource` hears only the names it listens for).
    pub const NAMES: [&'static str; 5] = ["recording", "call", "resync", "pause", "resume"];

    /// The SSE event name, which is also the `type` in its data.
    pub fn name(&self) -> &'static str {
        Self::NAMES[match self {
            LiveEvent::Recording { .. } => 0,
            LiveEvent::Call { .. } => 1,
            LiveEvent::Resync { .. } => 2,
            LiveEvent::Pause { .. } => 3,
            LiveEvent::Resume { .. } => 4,
        }]
    }
}

/// `GET /api/calls/{call_id}/status`: what the proxy knows of the call: its status from
/// webhooks, and whether it is being recorded, paused or neither.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    pub call_id: String,
    /// `None` until a webhook reports it; `completed` once MiniVoice says the call ended;
    /// `ended` when MiniVoice refused an action because the call is no longer active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `recording`, `paused` or `idle`; the proxy always sends it (older proxies did not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingState>,
    /// The segment being recorded, or (paused) the one the pause stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// Paused: who paused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_by: Option<String>,
    /// Paused: why, as the agent wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<String>,
    /// Paused: when the server starts the next segment by itself (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<String>,
}

open_strings! {
    /// Whether the call is being recorded now. Open: a state a newer proxy adds is kept as is.
    pub enum RecordingState {
        Recording = "recording",
        Paused = "paused",
        Idle = "idle",
    }
}

/// The documented final call state: only then are recordings ready for processing.
pub const CALL_COMPLETED: &str = "completed";
/// Our own mark for a call MiniVoice says is no longer active (`call_not_active`) before its
/// `call.completed` arrived: it cannot be recorded, but its files may not be ready yet.
pub const CALL_ENDED: &str = "ended";

/// Whether a call in `status` is over: nothing more can be recorded on it.
pub fn call_is_over(status: &str) -> bool {
    status == CALL_COMPLETED || status == CALL_ENDED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_states_round_trip_unknown_values() {
        for text in ["recording", "paused", "idle", "on_hold"] {
            let json = format!("\"{text}\"");
            let state: RecordingState = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
        }
        let old: CallState = serde_json::from_str(r#"{"call_id":"c","status":"x"}"#).unwrap();
        assert_eq!(old.recording, None);
        let paused = CallState {
            call_id: "c".into(),
            recording: Some(RecordingState::Paused),
            resume_at: Some("2026-01-01T00:00:00.000Z".into()),
            ..Default::default()
        };
        let v = serde_json::to_value(&paused).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"call_id":"c","recording":"paused",
                                "resume_at":"2026-01-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn every_event_is_named_as_its_tag() {
        let recording = Recording {
            id: "r".into(),
            status: crate::RecordingStatus::STARTED,
            duration_seconds: 0,
            size_bytes: 0,
            extra: crate::Extra::new(),
        };
        let c = || "c".to_owned();
        let all = [
            LiveEvent::Recording {
                call_id: c(),
                recording,
            },
            LiveEvent::Call {
                call_id: c(),
                status: c(),
            },
            LiveEvent::Resync { call_id: c() },
            LiveEvent::Pause {
                call_id: c(),
                paused_by: c(),
                reason: None,
                resume_at: None,
            },
            LiveEvent::Resume {
                call_id: c(),
                resumed_by: c(),
                recording: None,
            },
        ];
        for (e, name) in all.iter().zip(LiveEvent::NAMES) {
            assert_eq!(
                (e.name(), serde_json::to_value(e).unwrap()["type"].as_str()),
                (name, Some(name))
            );
        }
    }

    #[test]
    fn pause_events_are_named_and_tagged() {
        let e = LiveEvent::Pause {
            call_id: "c".into(),
            paused_by: "alice".into(),
            reason: None,
            resume_at: None,
        };
        assert_eq!(e.name(), "pause");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"pause","call_id":"c","paused_by":"alice"})
        );
        assert_eq!(serde_json::from_value::<LiveEvent>(v).unwrap(), e);
    }
}
