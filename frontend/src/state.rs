//! The widget's rules, free of the DOM so they are plain `#[test]`s: which controls are
//! enabled, in what order rows show, and how values and errors read to an agent.

use minivoice_shared::minivoice::KnownStatus;
use minivoice_shared::{
    call_is_over, Action, CallState, ClientCode, ErrorCode, Extra, MiniVoiceCode, ProxyCode,
    Recording, RecordingStatus, ANONYMOUS_AGENT, CALL_COMPLETED, SYSTEM_AGENT,
};

use crate::i18n::{fill, Texts};
use crate::model::ApiError;

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
pub fn announce_success(t: &Texts, action: Action, recording_id: &str) -> String {
    let template = match action {
        Action::Start => t.announce_started(),
        Action::Stop => t.announce_stopped(),
        Action::Pause => t.announce_paused(),
        Action::Resume => t.announce_resumed(),
    };
    fill(template, &[recording_id])
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
            if action == Action::Stop
                && e.code == ErrorCode::MiniVoice(MiniVoiceCode::RecordingNotStarted) =>
        {
            Ok(Recording {
                id,
                status: RecordingStatus::STOPPED,
                duration_seconds: 0,
                size_bytes: 0,
                extra: Extra::new(),
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
pub fn call_state_text(t: &Texts, phase: &str, has_recordings: bool) -> &'static str {
    match (phase, has_recordings) {
        ("completed", true) => t.call_completed_ready(),
        ("completed", false) => t.call_completed_nothing(),
        ("ended", _) => t.call_ended(),
        _ => t.call_in_progress(),
    }
}

/// An agent as the widget names them: the proxy's own names (the automatic resume's
/// `system`, `anonymous` without tokens) in the agent's language, anyone else as named.
pub fn agent_name<'a>(t: &'a Texts, agent: Option<&'a str>) -> &'a str {
    match agent {
        None => t.someone(),
        Some(SYSTEM_AGENT) => t.system(),
        Some(ANONYMOUS_AGENT) => t.anonymous(),
        Some(name) => name,
    }
}

/// `text`, then ` (reason)` when one was given: how a pause's reason reads everywhere.
pub fn with_reason(mut text: String, reason: Option<&str>) -> String {
    if let Some(r) = reason {
        text.push_str(" (");
        text.push_str(r);
        text.push(')');
    }
    text
}

/// The paused banner's words: who paused, and why when they said.
pub fn paused_text(t: &Texts, pause: &CallState) -> String {
    let by = agent_name(t, pause.paused_by.as_deref());
    with_reason(fill(t.paused_by(), &[by]), pause.reason.as_deref())
}

/// How long until the server resumes by itself, from the clock's `now_ms`, in whole seconds
/// rounded up so it reads zero only when due, written by `duration` (`intl::duration` in the
/// widget); without a `resume_at` only an agent resumes.
pub fn resume_countdown(
    t: &Texts,
    resume_at_ms: Option<f64>,
    now_ms: f64,
    duration: impl Fn(u64) -> String,
) -> String {
    match resume_at_ms.filter(|t| !t.is_nan()) {
        Some(at) => {
            let left = ((at - now_ms) / 1000.0).ceil().max(0.0) as u64;
            fill(t.resumes_in(), &[&duration(left)])
        }
        None => t.until_resumed().into(),
    }
}

/// A recording's status as an agent reads it; a status this widget has no words for, as sent.
pub fn status_word<'a>(t: &'a Texts, status: &'a RecordingStatus) -> &'a str {
    match status {
        RecordingStatus::Known(KnownStatus::Started) => t.status_started(),
        RecordingStatus::Known(KnownStatus::Stopped) => t.status_stopped(),
        other => other.as_str(),
    }
}

/// MiniVoice lists a call's recordings oldest first (inferred); agents want the newest on top.
pub fn newest_first(mut recordings: Vec<Recording>) -> Vec<Recording> {
    recordings.reverse();
    recordings
}

/// A size in the largest SI unit it reaches (1 kB = 1000 B, as the browser's `Intl` writes
/// units: `crate::i18n::intl::size`): the size in tenths and the unit (0 bytes, 1 kB, 2 MB, …
/// 5 PB). Rounded to the nearest tenth below 10 and to the nearest whole from 10 up, so small
/// files don't all read "1 kB". Integer arithmetic only: float formatting would add several
/// KB to the widget's wasm.
pub fn size_in_units(bytes: u64) -> (u64, usize) {
    const LARGEST: usize = 5;
    let (mut unit, mut scale) = (0, 1u64);
    while unit < LARGEST && bytes / scale >= 1000 {
        unit += 1;
        scale *= 1000;
    }
    if unit == 0 {
        return (bytes * 10, 0);
    }
    // `rest * 10` fits: `rest` < 10^15.
    let (whole, rest) = (bytes / scale, bytes % scale);
    if whole < 10 {
        return (whole * 10 + (rest * 10 + scale / 2) / scale, unit);
    }
    let whole = whole + u64::from(rest >= scale / 2);
    if whole >= 1000 && unit < LARGEST {
        // 999.5 kB reads 1.0 MB, not 1000 kB.
        return (10, unit + 1);
    }
    (whole * 10, unit)
}

/// One text of the catalog, by its name (`Texts::err_busy`), whatever the language.
type Text = fn(&Texts) -> &'static str;

/// The words for the error codes the widget explains; `None` for any other.
fn explained(code: &ErrorCode) -> Option<Text> {
    use ErrorCode::{Client, MiniVoice, Proxy};
    Some(match code {
        MiniVoice(MiniVoiceCode::RecordingNotStarted) => Texts::err_not_recording,
        MiniVoice(MiniVoiceCode::RecordingAlreadyStarted) => Texts::err_already_recording,
        MiniVoice(MiniVoiceCode::CallNotFound) => Texts::err_unknown_call,
        MiniVoice(MiniVoiceCode::RecordingNotFound) => Texts::err_recording_gone,
        MiniVoice(MiniVoiceCode::CallNotActive) => Texts::err_call_not_active,
        Proxy(ProxyCode::UpstreamTimeout) => Texts::err_timeout,
        Proxy(ProxyCode::UpstreamUnavailable) => Texts::err_unreachable,
        Proxy(ProxyCode::UpstreamInvalidResponse | ProxyCode::UpstreamError) => Texts::err_upstream,
        Proxy(ProxyCode::InvalidCallId) => Texts::err_invalid_call,
        Proxy(ProxyCode::Unauthorized) => Texts::err_unauthorized,
        Proxy(ProxyCode::ForbiddenCall) => Texts::err_forbidden,
        Proxy(ProxyCode::ActionInProgress) => Texts::err_busy,
        Proxy(ProxyCode::CallNotPaused) => Texts::err_not_paused,
        Proxy(ProxyCode::CallAlreadyPaused) => Texts::err_already_paused,
        Client(ClientCode::NetworkError) => Texts::err_network,
        Client(ClientCode::BadResponse) => Texts::err_bad_response,
        _ => return None,
    })
}

/// What an agent reads for an error; the code is shown beside it for support. A code the
/// widget does not explain reads as the proxy's own message.
pub fn human_message(t: &Texts, err: &ApiError) -> String {
    explained(&err.code).map_or_else(|| err.message.clone(), |text| text(t).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minivoice_i18n::{DE, EN, FR};

    /// Stands in for `intl::duration`, which needs a browser.
    fn seconds(s: u64) -> String {
        format!("{s} s")
    }

    fn rec(id: &str, status: &str) -> Recording {
        Recording {
            id: id.into(),
            status: RecordingStatus::from(status.to_owned()),
            duration_seconds: 0,
            size_bytes: 0,
            extra: Extra::new(),
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
            call_state_text(&EN, "completed", true),
            "Call completed · recordings ready for processing"
        );
        assert_eq!(call_state_text(&EN, "ended", true), "Call ended");
        assert_eq!(
            call_state_text(&EN, "in_progress", true),
            "Call in progress"
        );
    }

    #[test]
    fn the_paused_banner_names_who_why_and_when() {
        let mut pause = CallState {
            paused_by: Some("bob".into()),
            reason: Some("payment".into()),
            ..Default::default()
        };
        assert_eq!(
            paused_text(&EN, &pause),
            "Recording paused by bob (payment)"
        );
        pause.reason = None;
        assert_eq!(paused_text(&EN, &pause), "Recording paused by bob");
        assert_eq!(
            resume_countdown(&EN, Some(200_000.0), 20_000.0, seconds),
            "resumes automatically in 180 s"
        );
        assert_eq!(
            resume_countdown(&EN, Some(200_000.0), 20_500.0, seconds),
            "resumes automatically in 180 s",
            "rounded up: zero only when due"
        );
        assert_eq!(
            resume_countdown(&EN, Some(200_000.0), 21_000.0, seconds),
            "resumes automatically in 179 s"
        );
        assert_eq!(
            resume_countdown(&EN, Some(1_000.0), 5_000.0, seconds),
            "resumes automatically in 0 s",
            "an overdue resume never counts below zero"
        );
        assert_eq!(resume_countdown(&EN, None, 0.0, seconds), "until resumed");
        assert_eq!(
            resume_countdown(&EN, Some(f64::NAN), 0.0, seconds),
            "until resumed"
        );
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
    fn sizes_in_si_units() {
        assert_eq!(size_in_units(0), (0, 0));
        assert_eq!(size_in_units(999), (9990, 0));
        assert_eq!(size_in_units(1000), (10, 1), "1.0 kB");
        assert_eq!(size_in_units(1536), (15, 1), "1.5 kB");
        assert_eq!(size_in_units(40_000), (400, 1), "40 kB");
        assert_eq!(size_in_units(999_499), (9990, 1), "999 kB");
        assert_eq!(size_in_units(999_500), (10, 2), "1.0 MB, not 1000 kB");
        assert_eq!(size_in_units(5_000_000), (50, 2), "5.0 MB");
        assert_eq!(
            size_in_units(u64::MAX),
            (184_470, 5),
            "18447 PB: no larger unit"
        );
    }

    #[test]
    fn proxy_names_are_words_and_reasons_follow() {
        assert_eq!(agent_name(&EN, None), "someone");
        assert_eq!(agent_name(&DE, Some("system")), "dem System");
        assert_eq!(agent_name(&EN, Some("alice")), "alice");
        assert_eq!(
            with_reason("Paused".into(), Some("payment")),
            "Paused (payment)"
        );
        assert_eq!(
            announce_success(&FR, Action::Start, "rec_1"),
            "Enregistrement rec_1 démarré."
        );
    }

    #[test]
    fn stop_on_a_paused_call_is_not_an_error() {
        let refused = || Err(ApiError::new(MiniVoiceCode::RecordingNotStarted, "raw"));
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
    fn messages_name_the_problem() {
        let e = |code: &str| ApiError::new(ErrorCode::from(code.to_owned()), "raw");
        assert_eq!(
            human_message(&EN, &e("recording_not_started")),
            "No recording is running on this call."
        );
        assert!(human_message(&EN, &e("upstream_timeout")).contains("in time"));
        // Unknown codes fall back to the server's own message.
        assert_eq!(human_message(&EN, &e("brand_new_code")), "raw");
        assert_eq!(human_message(&EN, &e("upstream_error")), EN.err_upstream());
        assert_eq!(human_message(&EN, &e("network_error")), EN.err_network());
        assert_eq!(
            human_message(&DE, &e("recording_not_started")),
            DE.err_not_recording()
        );
    }
}
