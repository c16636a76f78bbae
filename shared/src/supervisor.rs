//! What supervisors and compliance officers read: the calls being recorded or paused now
//! (`GET /api/calls`), and one row per pause in a period (`GET /api/reports/pauses`).

use serde::{Deserialize, Serialize};

use crate::live::RecordingState;

/// A call recorded or paused now, as `GET /api/calls` lists it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveCall {
    pub call_id: String,
    /// `recording` or `paused`.
    pub state: RecordingState,
    /// The segment being recorded, or (paused) the one the pause stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// Who started that segment (absent when it was started outside the proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// When that segment started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<String>,
    /// When the server resumes by itself; absent when it never will.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<String>,
}

/// One page of `GET /api/calls`, newest first, and where the next one starts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveCallPage {
    pub data: Vec<LiveCall>,
    /// Pass as `cursor` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

open_strings! {
    /// How a pause ended. Open: a way a newer proxy adds is kept as is.
    pub enum PauseEnd {
        /// An agent (or supervisor) resumed, or started recording again.
        Resumed = "resumed",
        /// The server resumed by itself (`PAUSE_MAX_S`).
        AutoResumed = "auto_resumed",
        /// Stop while paused ("no more recording"), or a resume MiniVoice refused for good.
        Stopped = "stopped",
        /// The call ended while paused.
        CallCompleted = "call_completed",
        /// Still paused.
        Open = "open",
    }
}

/// One pause, as `GET /api/reports/pauses` lists them (oldest first), in JSON or CSV.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseReportRow {
    pub call_id: String,
    /// The recording segment the pause ended.
    pub recording_id: Option<String>,
    /// The segment that followed it (absent when none did).
    pub next_recording_id: Option<String>,
    pub paused_by: String,
    pub reason: Option<String>,
    pub paused_at: String,
    pub resumed_at: Option<String>,
    /// The agent who resumed, `system` for the automatic resume, absent when nobody did.
    pub resumed_by: Option<String>,
    /// Seconds, to the millisecond; absent while the pause is open.
    pub duration_s: Option<f64>,
    pub ended_by: PauseEnd,
    /// Whether it lasted until `PAUSE_MAX_S` (the automatic resume's deadline).
    pub reached_pause_max: bool,
}

impl PauseReportRow {
    /// The CSV header, in the columns' order ([`PauseReportRow::csv_fields`]).
    pub const CSV_HEADER: [&'static str; 11] = [
        "call_id",
        "recording_id",
        "next_recording_id",
        "paused_by",
        "reason",
        "paused_at",
        "resumed_at",
        "resumed_by",
        "duration_s",
        "ended_by",
        "reached_pause_max",
    ];

    /// The row as CSV fields, absent values empty.
    pub fn csv_fields(&self) -> [String; 11] {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.call_id.clone(),
            text(&self.recording_id),
            text(&self.next_recording_id),
            self.paused_by.clone(),
            text(&self.reason),
            self.paused_at.clone(),
            text(&self.resumed_at),
            text(&self.resumed_by),
            self.duration_s
                .map(|d| format!("{d:.3}"))
                .unwrap_or_default(),
            self.ended_by.as_str().to_owned(),
            self.reached_pause_max.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_ends_round_trip_unknown_values() {
        for text in [
            "resumed",
            "auto_resumed",
            "stopped",
            "call_completed",
            "open",
            "x",
        ] {
            let json = format!("\"{text}\"");
            let end: PauseEnd = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&end).unwrap(), json);
        }
    }
}
