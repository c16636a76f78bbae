//! The widget's rules, free of the DOM so they are plain `#[test]`s: which controls are
//! enabled, in what order rows show, and how values and errors read to an agent.

use minivoice_shared::{Action, ActivityEntry, ErrorCode, MiniVoiceCode, ProxyCode};

use crate::api::{ApiError, BAD_RESPONSE, NETWORK_ERROR};
use crate::recording::Recording;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Controls {
    pub start: bool,
    pub stop: bool,
}

/// `recordings` is `None` while the call's state is unknown (loading, or failed to load):
/// then neither action is offered, since either could be the wrong one.
pub fn controls(recordings: Option<&[Recording]>, busy: bool, call_completed: bool) -> Controls {
    match recordings {
        // An ended call can no longer be recorded; MiniVoice has stopped what was running.
        Some(_) if call_completed => Controls {
            start: false,
            stop: false,
        },
        Some(recs) if !busy => {
            let started = recs.iter().any(|r| r.status.is_started());
            Controls {
                start: !started,
                stop: started,
            }
        }
        _ => Controls {
            start: false,
            stop: false,
        },
    }
}

/// What a screen reader hears after a successful action.
pub fn announce_success(action: Action, recording_id: &str) -> String {
    match action {
        Action::Start => format!("Recording {recording_id} started."),
        Action::Stop => format!("Recording {recording_id} stopped."),
        Action::Pause => format!("Recording paused ({recording_id} stopped)."),
        Action::Resume => format!("Recording resumed ({recording_id} started)."),
    }
}

/// A started recording's length now: what MiniVoice said, plus the time since it said it.
pub fn live_duration(rec: &Recording, fetched_at_ms: f64, now_ms: f64) -> u64 {
    if !rec.status.is_started() {
        return rec.duration_seconds;
    }
    let since = ((now_ms - fetched_at_ms) / 1000.0).max(0.0) as u64;
    rec.duration_seconds + since
}

/// The call's state for an agent: only a completed call's recordings are ready for
/// processing (MiniVoice's advice: wait for the final call state).
pub fn call_state_text(completed: bool, has_recordings: bool) -> &'static str {
    match (completed, has_recordings) {
        (true, true) => "Call completed · recordings ready for processing",
        (true, false) => "Call completed · nothing was recorded",
        (false, _) => "Call in progress",
    }
}

/// MiniVoice lists a call's recordings oldest first (inferred); agents want the newest on top.
pub fn newest_first(mut recordings: Vec<Recording>) -> Vec<Recording> {
    recordings.reverse();
    recordings
}

/// `m:ss`, minutes unbounded (a 75-minute call reads `75:03`).
pub fn format_duration(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// Binary units, one decimal below 10 so small files don't all read "1 KB". Integer
/// arithmetic only: float formatting would add several KB to the widget's wasm.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // The largest unit the size reaches, then the size in it to the nearest tenth (below 10)
    // or to the nearest whole (from 10 up).
    let unit = ((63 - bytes.leading_zeros()) / 10) as usize;
    let shift = 10 * unit as u32;
    let (whole, rest) = (bytes >> shift, bytes & ((1u64 << shift) - 1));
    let half = 1u64 << (shift - 1);
    if whole < 10 {
        // `rest * 10` fits: `rest` < 2^60.
        let tenths = whole * 10 + (rest * 10 + half) / (1u64 << shift);
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{} {}", whole + u64::from(rest >= half), UNITS[unit])
    }
}

/// What an agent reads for an error; the code is shown beside it for support.
pub fn human_message(err: &ApiError) -> String {
    let text = match ErrorCode::from(err.code.clone()) {
        ErrorCode::MiniVoice(c) => match c {
            MiniVoiceCode::RecordingNotStarted => "No recording is running on this call.",
            MiniVoiceCode::RecordingAlreadyStarted => {
                "A recording is already running on this call."
            }
            MiniVoiceCode::CallNotFound => "MiniVoice does not know this call.",
            MiniVoiceCode::RecordingNotFound => "This recording no longer exists.",
            MiniVoiceCode::CallNotActive => "This call has ended, so it can no longer be recorded.",
        },
        ErrorCode::Proxy(c) => match c {
            ProxyCode::UpstreamTimeout => "MiniVoice did not answer in time. Try again.",
            ProxyCode::UpstreamUnavailable => "MiniVoice cannot be reached right now.",
            ProxyCode::UpstreamInvalidResponse | ProxyCode::UpstreamError => {
                "MiniVoice answered with an error. Try again shortly."
            }
            ProxyCode::InvalidCallId => "This call ID is not valid.",
            ProxyCode::Unauthorized => {
                "Your sign-in for this widget is missing or has expired. Reopen it from your CRM."
            }
            ProxyCode::ForbiddenCall => {
                "You are not assigned to this call, so you cannot control its recording."
            }
            ProxyCode::ActionInProgress => "Another start or stop is in progress. Try again.",
            _ => return err.message.clone(),
        },
        ErrorCode::Unknown(code) if code == NETWORK_ERROR => {
            "The recording service cannot be reached. Check your connection."
        }
        ErrorCode::Unknown(code) if code == BAD_RESPONSE => {
            "The recording service sent an answer the widget cannot read."
        }
        ErrorCode::Unknown(_) => return err.message.clone(),
    };
    text.to_owned()
}

/// One line of the call's history: "Started by alice", "Stop by bob failed (code)".
pub fn describe(entry: &ActivityEntry) -> String {
    if entry.pending {
        return format!(
            "{} by {} awaiting an answer",
            verb(entry.action),
            entry.agent
        );
    }
    let done = match entry.action {
        Action::Start => "Started",
        Action::Stop => "Stopped",
        Action::Pause => "Paused",
        Action::Resume => "Resumed",
    };
    match &entry.error_code {
        None => format!("{done} by {}", entry.agent),
        Some(code) => format!("{} by {} failed ({code})", verb(entry.action), entry.agent),
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Start => "Start",
        Action::Stop => "Stop",
        Action::Pause => "Pause",
        Action::Resume => "Resume",
    }
}

/// `HH:MM:SS`, from the parts of a local time.
pub fn clock(hours: u32, minutes: u32, seconds: u32) -> String {
    format!("{hours:02}:{minutes:02}:{seconds:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use minivoice_shared::RecordingStatus;

    fn rec(id: &str, status: &str) -> Recording {
        Recording {
            id: id.into(),
            status: RecordingStatus::from(status.to_owned()),
            duration_seconds: 0,
            size_bytes: 0,
            more: vec![],
        }
    }

    #[test]
    fn controls_follow_the_call_state() {
        let none: Vec<Recording> = vec![];
        assert_eq!(
            controls(Some(&none), false, false),
            Controls {
                start: true,
                stop: false
            }
        );
        let started = vec![rec("a", "stopped"), rec("b", "started")];
        assert_eq!(
            controls(Some(&started), false, false),
            Controls {
                start: false,
                stop: true
            }
        );
        let done = vec![rec("a", "stopped"), rec("b", "some_new_status")];
        assert_eq!(
            controls(Some(&done), false, false),
            Controls {
                start: true,
                stop: false
            }
        );
        // In flight or unknown: nothing can be pressed.
        assert_eq!(
            controls(Some(&started), true, false),
            Controls {
                start: false,
                stop: false
            }
        );
        assert_eq!(
            controls(None, false, false),
            Controls {
                start: false,
                stop: false
            }
        );
    }

    #[test]
    fn a_completed_call_offers_nothing() {
        let started = vec![rec("b", "started")];
        assert_eq!(
            controls(Some(&started), false, true),
            Controls {
                start: false,
                stop: false
            }
        );
        assert_eq!(
            call_state_text(true, true),
            "Call completed · recordings ready for processing"
        );
        assert_eq!(call_state_text(false, true), "Call in progress");
    }

    #[test]
    fn started_recordings_tick() {
        let mut r = rec("a", "started");
        r.duration_seconds = 5;
        assert_eq!(live_duration(&r, 1_000.0, 4_500.0), 8);
        assert_eq!(
            live_duration(&r, 1_000.0, 500.0),
            5,
            "clock skew never goes back"
        );
        let stopped = rec("b", "stopped");
        assert_eq!(live_duration(&stopped, 0.0, 99_000.0), 0);
    }

    #[test]
    fn newest_row_first() {
        let ids: Vec<_> = newest_first(vec![rec("1", "stopped"), rec("2", "started")])
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["2", "1"]);
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0:00");
        assert_eq!(format_duration(9), "0:09");
        assert_eq!(format_duration(61), "1:01");
        assert_eq!(format_duration(4503), "75:03");
    }

    #[test]
    fn sizes() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(40_000), "39 KB");
        assert_eq!(format_size(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(format_size(u64::MAX), "16 EB");
    }

    #[test]
    fn history_lines() {
        let mut e = ActivityEntry {
            at: "2026-05-29T12:10:03.000Z".into(),
            agent: "alice".into(),
            call_id: "c".into(),
            action: Action::Start,
            recording_id: Some("rec_c".into()),
            error_code: None,
            request_id: None,
            replayed: false,
            pending: false,
            sandbox: false,
        };
        assert_eq!(describe(&e), "Started by alice");
        e.action = Action::Stop;
        e.error_code = Some("recording_not_started".into());
        assert_eq!(describe(&e), "Stop by alice failed (recording_not_started)");
        e.pending = true;
        assert_eq!(describe(&e), "Stop by alice awaiting an answer");
        assert_eq!(clock(9, 5, 3), "09:05:03");
    }

    #[test]
    fn messages_name_the_problem() {
        let e = |code: &str| ApiError {
            status: Some(409),
            code: code.into(),
            message: "raw".into(),
        };
        assert_eq!(
            human_message(&e("recording_not_started")),
            "No recording is running on this call."
        );
        assert!(human_message(&e("upstream_timeout")).contains("in time"));
        // Unknown codes fall back to the server's own message.
        assert_eq!(human_message(&e("brand_new_code")), "raw");
    }
}
