//! What we know of MiniVoice's recordings API, documented and inferred, in one place.
//!
//! Documented (MiniVoice's "Recordings Overview" page): the start/stop route, the `{"data":…}`
//! envelope, the recording fields, the status `started`, the error code
//! `recording_not_started` and the webhook event `call.completed`.
//! Everything marked *inferred* is our guess: when MiniVoice confirms otherwise, this module is
//! the one edit.

/// Version prefix of every MiniVoice route.
pub const API_PREFIX: &str = "/v1";

/// Documented: `POST` starts or stops recording. Inferred: `GET` lists the call's recordings
/// as `{"data":[recording, …]}`.
pub fn recordings_path(call_id: &str) -> String {
    format!("{API_PREFIX}/calls/{call_id}/recordings")
}

/// Inferred: `GET` returns one recording's metadata as `{"data":recording}`.
pub fn recording_path(call_id: &str, recording_id: &str) -> String {
    format!("{API_PREFIX}/calls/{call_id}/recordings/{recording_id}")
}

known_strings! {
    /// Statuses we can name; anything else is kept as [`RecordingStatus::Unknown`].
    pub enum KnownStatus {
        /// Documented.
        Started = "started",
        /// Inferred.
        Stopped = "stopped",
        /// Inferred.
        Processing = "processing",
        /// Inferred.
        Completed = "completed",
        /// Inferred.
        Failed = "failed",
    }
}

/// A recording's status; an unknown one is kept and shown as-is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecordingStatus {
    Known(KnownStatus),
    Unknown(String),
}

impl RecordingStatus {
    pub const STARTED: RecordingStatus = RecordingStatus::Known(KnownStatus::Started);
    pub const STOPPED: RecordingStatus = RecordingStatus::Known(KnownStatus::Stopped);

    pub fn as_str(&self) -> &str {
        match self {
            RecordingStatus::Known(k) => k.as_str(),
            RecordingStatus::Unknown(s) => s,
        }
    }

    /// Whether audio is being captured now: the one state that enables Stop.
    pub fn is_started(&self) -> bool {
        *self == Self::STARTED
    }
}

impl From<String> for RecordingStatus {
    fn from(s: String) -> Self {
        KnownStatus::from_known(&s).map_or(RecordingStatus::Unknown(s), RecordingStatus::Known)
    }
}

string_serde!(RecordingStatus);
open_schema!(RecordingStatus, KnownStatus::ALL.iter().map(|k| k.as_str()));

known_strings! {
    /// Error codes MiniVoice sends that we can name.
    pub enum MiniVoiceCode {
        /// Documented: stop while nothing is recording.
        RecordingNotStarted = "recording_not_started",
        /// Inferred: start while a recording is already running.
        RecordingAlreadyStarted = "recording_already_started",
        /// Inferred.
        CallNotFound = "call_not_found",
        /// Inferred.
        RecordingNotFound = "recording_not_found",
        /// Inferred: the call has ended, so it cannot be recorded.
        CallNotActive = "call_not_active",
    }
}

known_strings! {
    /// Webhook event types we can name.
    pub enum KnownEvent {
        /// Documented.
        CallCompleted = "call.completed",
        /// Inferred.
        RecordingStarted = "recording.started",
        /// Inferred.
        RecordingStopped = "recording.stopped",
        /// Inferred.
        RecordingCompleted = "recording.completed",
    }
}

/// A webhook's event type; unknown types are kept (and ignored by the receiver).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    Known(KnownEvent),
    Unknown(String),
}

impl EventType {
    pub fn as_str(&self) -> &str {
        match self {
            EventType::Known(k) => k.as_str(),
            EventType::Unknown(s) => s,
        }
    }
}

impl From<String> for EventType {
    fn from(s: String) -> Self {
        KnownEvent::from_known(&s).map_or(EventType::Unknown(s), EventType::Known)
    }
}

string_serde!(EventType);
open_schema!(EventType, KnownEvent::ALL.iter().map(|k| k.as_str()));
