//! The widget's rules, free of the DOM so they are plain `#[test]`s: which controls are
//! enabled, in what order rows show, and how values and errors read to an agent.

use minivoice_shared::{
    call_is_over, Action, CallState, ErrorCode, MiniVoiceCode, ProxyCode, CALL_COMPLETED,
};

use crate::api::{ApiError, BAD_RESPONSE, NETWORK_ERROR};
use crate::recording::Recording;
use minivoice_shared::RecordingStatus;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Controls {
    pub start: bool,
    pub stop: bool,
    pub pause: bool,
    pub resume: bool,
}

impl Controls {
    /// Whether `action` is offered.
    pub fn allows(self, action: Action) -> bool {
        match action {
            Action::Start => self.start,
            Action::Stop => self.stop,
            Action::Pause => self.pause,
            Action::Resume => self.resume,
        }
    }
}

/// Which actions are offered. `recordings` is `None` while the call's state is unknown
/// (loading, or failed to load): then none is, since any could be the wrong one; likewise while
/// one is `busy`, and on a call that is `over` (MiniVoice has stopped what was running).
/// `paused`: the call's state says a pause is open.
pub fn controls(
    recordings: Option<&[Recording]>,
    paused: bool,
    busy: bool,
    over: bool,
) -> Controls {
    match recordings {
        Some(recs) if !busy && !over => {
            // While paused nothing is started: Resume records again, and Stop stays, meaning
            // "no more recording" (it ends the pause and its automatic resume).
            let started = recs.iter().any(|r| r.status.is_started());
            Controls {
                start: !started && !paused,
                stop: started || paused,
                pause: started && !paused,
                resume: paused,
            }
        }
        _ => Controls::default(),
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

/// Stop on a paused call, where `paused_segment` is the segment the pause stopped. MiniVoice
/// answers `recording_not_started` (nothing is recording), yet the proxy has done what the
/// agent meant: no more recording, the automatic resume cancelled. So it reads as that
/// segment stopped, not as an error.
pub fn stop_of_a_pause(
    action: Action,
    result: Result<Recording, ApiError>,
    paused_segment: Option<String>,
) -> Result<Recording, ApiError> {
    match (result, paused_segment) {
        (Err(e), Some(id))
            if action == Action::Stop && e.code == MiniVoiceCode::RecordingNotStarted.as_str() =>
        {
            Ok(Recording {
                id,
                status: RecordingStatus::STOPPED,
                duration_seconds: 0,
                size_bytes: 0,
                more: vec![],
            })
        }
        (result, _) => result,
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

/// The call's phase, for the status line's text and `data-status`: `completed` (MiniVoice's
/// final state), `ended` (over without it yet: `minivoice_shared::CALL_ENDED`) or `in_progress`.
pub fn call_phase(status: Option<&str>) -> &'static str {
    match status {
        Some(CALL_COMPLETED) => "completed",
        Some(s) if call_is_over(s) => "ended",
        _ => "in_progress",
    }
}

/// The call's state for an agent: only a completed call's recordings are ready for
/// processing (MiniVoice's advice: wait for the final call state).
pub fn call_state_text(phase: &str, has_recordings: bool) -> &'static str {
    match (phase, has_recordings) {
        ("completed", true) => "Call completed · recordings ready for processing",
        ("completed", false) => "Call completed · nothing was recorded",
        ("ended", _) => "Call ended",
        _ => "Call in progress",
    }
}

/// The paused banner's words: who paused, and why when they said.
pub fn paused_text(pause: &CallState) -> String {
    let by = pause.paused_by.as_deref().unwrap_or("someone");
    match &pause.reason {
        Some(r) => format!("Recording paused by {by} ({r})"),
        None => format!("Recording paused by {by}"),
    }
}

/// How long until the server resumes by itself, `m:ss` from the clock's `now_ms`, rounded
/// up so it reads 0:00 only when due; without a `resume_at` only an agent resumes.
pub fn resume_countdown(resume_at_ms: Option<f64>, now_ms: f64) -> String {
    match resume_at_ms.filter(|t| !t.is_nan()) {
        Some(at) => {
            let left = ((at - now_ms) / 1000.0).ceil().max(0.0) as u64;
            format!("resumes automatically in {}", format_duration(left))
        }
        None => "until resumed".into(),
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
            ProxyCode::ActionInProgress => "Another action on this call is in progress. Try again.",
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

/// `HH:MM:SS`, from the parts of a local time.
pub fn clock(hours: u32, minutes: u32, seconds: u32) -> String {
    format!("{hours:02}:{minutes:02}:{seconds:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, status: &str) -> Recording {
        Recording {
            id: id.into(),
            status: RecordingStatus::from(status.to_owned()),
            duration_seconds: 0,
            size_bytes: 0,
            more: vec![],
        }
    }

    /// start, stop, pause, resume.
    fn offered(c: Controls) -> [bool; 4] {
        [c.start, c.stop, c.pause, c.resume]
    }

    #[test]
    fn controls_follow_the_call_state() {
        let none: Vec<Recording> = vec![];
        let c = |recs: &[Recording], paused| offered(controls(Some(recs), paused, false, false));
        assert_eq!(c(&none, false), [true, false, false, false]);
        let started = vec![rec("a", "stopped"), rec("b", "started")];
        assert_eq!(c(&started, false), [false, true, true, false]);
        let done = vec![rec("a", "stopped"), rec("b", "some_new_status")];
        assert_eq!(c(&done, false), [true, false, false, false]);
        // Paused: the segment is stopped; Resume records again and Stop ends it for good.
        assert_eq!(c(&done, true), [false, true, false, true]);
        let allowed = controls(Some(&done), true, false, false);
        assert!(allowed.allows(Action::Resume) && !allowed.allows(Action::Pause));
        // In flight or unknown: nothing can be pressed.
        assert_eq!(
            offered(controls(Some(&started), false, true, false)),
            [false; 4]
        );
        assert_eq!(
            offered(controls(Some(&done), true, true, false)),
            [false; 4]
        );
        assert_eq!(offered(controls(None, true, false, false)), [false; 4]);
    }

    #[test]
    fn a_call_that_is_over_offers_nothing() {
        let started = vec![rec("b", "started")];
        for paused in [false, true] {
            assert_eq!(
                offered(controls(Some(&started), paused, false, true)),
                [false; 4]
            );
        }
        assert_eq!(call_phase(Some("completed")), "completed");
        assert_eq!(call_phase(Some("ended")), "ended");
        assert_eq!(call_phase(Some("in_progress")), "in_progress");
        assert_eq!(call_phase(None), "in_progress");
        assert_eq!(
            call_state_text("completed", true),
            "Call completed · recordings ready for processing"
        );
        assert_eq!(call_state_text("ended", true), "Call ended");
        assert_eq!(call_state_text("in_progress", true), "Call in progress");
    }

    #[test]
    fn the_paused_banner_names_who_why_and_when() {
        let mut pause = CallState {
            paused_by: Some("bob".into()),
            reason: Some("payment".into()),
            ..Default::default()
        };
        assert_eq!(paused_text(&pause), "Recording paused by bob (payment)");
        pause.reason = None;
        assert_eq!(paused_text(&pause), "Recording paused by bob");
        assert_eq!(
            resume_countdown(Some(200_000.0), 20_000.0),
            "resumes automatically in 3:00"
        );
        assert_eq!(
            resume_countdown(Some(200_000.0), 20_500.0),
            "resumes automatically in 3:00",
            "rounded up: 0:00 only when due"
        );
        assert_eq!(
            resume_countdown(Some(200_000.0), 21_000.0),
            "resumes automatically in 2:59"
        );
        assert_eq!(
            resume_countdown(Some(1_000.0), 5_000.0),
            "resumes automatically in 0:00",
            "an overdue resume never counts below zero"
        );
        assert_eq!(resume_countdown(None, 0.0), "until resumed");
        assert_eq!(resume_countdown(Some(f64::NAN), 0.0), "until resumed");
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
    fn stop_on_a_paused_call_is_not_an_error() {
        let refused = || {
            Err(ApiError {
                code: "recording_not_started".into(),
                message: "raw".into(),
            })
        };
        let stopped = stop_of_a_pause(Action::Stop, refused(), Some("rec_1".into())).unwrap();
        assert_eq!(
            (stopped.id.as_str(), stopped.status.as_str()),
            ("rec_1", "stopped")
        );
        // Not paused, or another action: the answer stands.
        assert!(stop_of_a_pause(Action::Stop, refused(), None).is_err());
        assert!(stop_of_a_pause(Action::Pause, refused(), Some("rec_1".into())).is_err());
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(9, 5, 3), "09:05:03");
    }

    #[test]
    fn messages_name_the_problem() {
        let e = |code: &str| ApiError {
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
