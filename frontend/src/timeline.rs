//! The call's story as the activity panel tells it (`GET …/timeline`): agents' actions, the
//! call's end and what MiniVoice reported later, each as one line an agent reads. Free of the
//! DOM so the wording is plain `#[test]`s.
//!
//! Entries are the proxy's own `TimelineEntry`: a kind, an event type or an agent this widget
//! does not know is shown as sent.

use minivoice_shared::minivoice::KnownEvent;
use minivoice_shared::timeline::{RESULT_OK, RESULT_PENDING};
use minivoice_shared::{Action, TimelineEntry, TimelineKind};

use crate::i18n::{fill, Texts};
use crate::state::{agent_name, with_reason};

/// How many entries the panel shows: enough for a pause and its resume with their webhooks.
pub const SHOWN: usize = 8;

/// The panel's entries: the latest [`SHOWN`], newest first like the recordings above them
/// (the proxy sends them oldest first).
pub fn latest(mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    entries.reverse();
    entries.truncate(SHOWN);
    entries
}

/// "Started by alice", "Paused by bob (payment)", "Stop by carol failed (code)", "Call
/// completed", "ai.transcript.ready · rec_1": MiniVoice's event types are names, not words,
/// so they read the same in every language.
pub fn describe(t: &Texts, e: &TimelineEntry) -> String {
    // A kind a newer proxy adds reads like a webhook: by its type.
    if e.kind != TimelineKind::Action {
        if e.what == KnownEvent::CallCompleted.as_str() {
            return t.call_completed().into();
        }
        return match &e.recording_id {
            Some(rec) => format!("{} · {rec}", e.what),
            None => e.what.clone(),
        };
    }
    let agent = agent_name(t, e.agent.as_deref());
    // A newer proxy's action is named as sent.
    let (verb, done) = match Action::from_known(&e.what) {
        Some(Action::Start) => (t.action_start(), Some(t.started_by())),
        Some(Action::Stop) => (t.action_stop(), Some(t.stopped_by())),
        Some(Action::Pause) => (t.action_pause(), Some(t.paused_by_short())),
        Some(Action::Resume) => (t.action_resume(), Some(t.resumed_by())),
        None => (e.what.as_str(), None),
    };
    let done = match e.result.as_deref() {
        Some(RESULT_PENDING) => return fill(t.action_pending(), &[verb, agent]),
        Some(code) if code != RESULT_OK => return fill(t.action_failed(), &[verb, agent, code]),
        _ => match done {
            Some(done) => fill(done, &[agent]),
            None => fill(t.action_by(), &[verb, agent]),
        },
    };
    with_reason(done, e.reason.as_deref())
}

/// What MiniVoice reported about one recording, in the order it arrived: "recording.started,
/// ai.transcript.ready"; empty when nothing did.
pub fn events_for(entries: &[TimelineEntry], recording_id: &str) -> String {
    let mut out = String::new();
    for e in entries {
        if e.kind != TimelineKind::Action && e.recording_id.as_deref() == Some(recording_id) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&e.what);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use minivoice_i18n::{DE, EN};

    fn action(what: &str, agent: &str, result: &str) -> TimelineEntry {
        TimelineEntry {
            at: "2026-05-29T12:10:03.000Z".into(),
            kind: TimelineKind::Action,
            what: what.into(),
            agent: Some(agent.into()),
            recording_id: Some("rec_c".into()),
            result: Some(result.into()),
            reason: None,
            event: None,
            extra: minivoice_shared::Extra::new(),
        }
    }

    fn webhook(what: &str, rec: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            kind: TimelineKind::Webhook,
            what: what.into(),
            agent: None,
            recording_id: rec.map(Into::into),
            result: None,
            event: Some(serde_json::json!({})),
            ..action("", "", "")
        }
    }

    #[test]
    fn actions_name_their_agent_and_reason() {
        assert_eq!(
            describe(&EN, &action("start", "alice", "ok")),
            "Started by alice"
        );
        let mut pause = action("pause", "bob", "ok");
        pause.reason = Some("payment".into());
        assert_eq!(describe(&EN, &pause), "Paused by bob (payment)");
        assert_eq!(
            describe(&EN, &action("resume", "system", "ok")),
            "Resumed by system"
        );
        assert_eq!(
            describe(&EN, &action("stop", "alice", "recording_not_started")),
            "Stop by alice failed (recording_not_started)"
        );
        assert_eq!(
            describe(&EN, &action("stop", "alice", "pending")),
            "Stop by alice awaiting an answer"
        );
        assert_eq!(
            describe(&EN, &action("transfer", "al", "ok")),
            "transfer by al"
        );
    }

    #[test]
    fn webhooks_read_as_their_type_and_recording() {
        assert_eq!(
            describe(&EN, &webhook("call.completed", None)),
            "Call completed"
        );
        assert_eq!(
            describe(&EN, &webhook("ai.transcript.ready", Some("rec_call_123"))),
            "ai.transcript.ready · rec_call_123"
        );
        assert_eq!(describe(&EN, &webhook("brand.new", None)), "brand.new");
        let mut note = webhook("note.added", None);
        note.kind = TimelineKind::Unknown("note".into());
        assert_eq!(
            describe(&EN, &note),
            "note.added",
            "a newer kind reads by its type"
        );
        let mut pause = action("pause", "system", "ok");
        pause.reason = Some("payment".into());
        assert_eq!(describe(&DE, &pause), "Pausiert von dem System (payment)");
    }

    #[test]
    fn the_panel_shows_the_latest_newest_first_and_rows_their_events() {
        let all: Vec<TimelineEntry> = (0..12)
            .map(|i| webhook(&format!("e{i}"), Some("rec_a")))
            .collect();
        let shown: Vec<_> = latest(all.clone()).into_iter().map(|e| e.what).collect();
        assert_eq!(shown.len(), SHOWN);
        assert_eq!((shown[0].as_str(), shown[7].as_str()), ("e11", "e4"));
        let mixed = [
            action("start", "alice", "ok"),
            webhook("recording.started", Some("rec_c")),
            webhook("call.completed", None),
            webhook("ai.transcript.ready", Some("rec_c")),
            webhook("recording.started", Some("rec_other")),
        ];
        assert_eq!(
            events_for(&mixed, "rec_c"),
            "recording.started, ai.transcript.ready"
        );
        assert_eq!(events_for(&mixed, "rec_none"), "");
    }
}
