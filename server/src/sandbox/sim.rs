//! The sandbox's state machine, free of HTTP so its rules are tested directly.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use minivoice_shared::{Action, ActionResult, Extra, MiniVoiceCode, Recording, RecordingStatus};
use serde_json::Value;

use super::{Refusal, NEWER_CALL};

/// 8 kHz, 16-bit mono: what a telephone-quality WAV grows by each second.
const BYTES_PER_SECOND: u64 = 16_000;

#[derive(Debug)]
struct SimRecording {
    id: String,
    started: Instant,
    ended: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Sim {
    calls: HashMap<String, Vec<SimRecording>>,
    ended: std::collections::HashSet<String>,
    journal: std::collections::VecDeque<Accepted>,
}

/// One action the sandbox carried out, with the idempotency key it came with: MiniVoice's own
/// record, which a fault run (`cargo xtask chaos`) reconciles the proxy's trail against.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Accepted {
    pub call_id: String,
    pub action: Action,
    pub recording_id: String,
    pub idempotency_key: Option<String>,
}

/// The journal's bound: a sandbox left running for days keeps the latest actions only.
const JOURNAL_KEEP: usize = 100_000;

impl Sim {
    pub fn act(
        &mut self,
        call_id: &str,
        action: Action,
        call_completed: bool,
        now: Instant,
    ) -> Result<ActionResult, Refusal> {
        let call_completed = call_completed || self.ended.contains(call_id);
        let recs = self.calls.entry(call_id.to_owned()).or_default();
        let open = recs.iter_mut().find(|r| r.ended.is_none());
        let rec = match (action, open) {
            // The proxy's own actions: MiniVoice documents only start and stop.
            (Action::Pause | Action::Resume, _) => {
                return Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    minivoice_shared::ErrorCode::Unknown("invalid_request".into()),
                    "MiniVoice takes only start and stop",
                ))
            }
            (Action::Start, _) if call_completed => {
                return Err(Refusal(
                    StatusCode::CONFLICT,
                    MiniVoiceCode::CallNotActive.into(),
                    "call has already completed",
                ))
            }
            (Action::Start, Some(_)) => {
                return Err(Refusal(
                    StatusCode::CONFLICT,
                    MiniVoiceCode::RecordingAlreadyStarted.into(),
                    "a recording is already started for this call",
                ))
            }
            (Action::Stop, None) => {
                return Err(Refusal(
                    StatusCode::CONFLICT,
                    MiniVoiceCode::RecordingNotStarted.into(),
                    "recording is not currently started",
                ))
            }
            (Action::Start, None) => {
                // First `rec_{call_id}` as in MiniVoice's example, then numbered.
                let id = match recs.len() {
                    0 => format!("rec_{call_id}"),
                    n => format!("rec_{call_id}_{}", n + 1),
                };
                recs.push(SimRecording {
                    id,
                    started: now,
                    ended: None,
                });
                recs.last().unwrap()
            }
            (Action::Stop, Some(open)) => {
                open.ended = Some(now);
                open
            }
        };
        Ok(ActionResult {
            call_id: call_id.to_owned(),
            action,
            recording: view(call_id, rec, now),
            extra: Extra::new(),
        })
    }

    /// Notes an action carried out (in the order they were).
    pub fn note(&mut self, accepted: Accepted) {
        if self.journal.len() == JOURNAL_KEEP {
            self.journal.pop_front();
        }
        self.journal.push_back(accepted);
    }

    /// Every action carried out, oldest first (the latest [`JOURNAL_KEEP`]).
    pub fn journal(&self) -> Vec<Accepted> {
        self.journal.iter().cloned().collect()
    }

    /// Ends the call: a running recording stops with it (returned), and no new one may start.
    pub fn hang_up(&mut self, call_id: &str, now: Instant) -> Option<Recording> {
        self.ended.insert(call_id.to_owned());
        let recs = self.calls.get_mut(call_id)?;
        let open = recs.iter_mut().find(|r| r.ended.is_none())?;
        open.ended = Some(now);
        Some(view(call_id, open, now))
    }

    pub fn list(&self, call_id: &str, now: Instant) -> Vec<Recording> {
        self.calls
            .get(call_id)
            .map(|recs| recs.iter().map(|r| view(call_id, r, now)).collect())
            .unwrap_or_default()
    }

    pub fn get(
        &self,
        call_id: &str,
        recording_id: &str,
        now: Instant,
    ) -> Result<Recording, Refusal> {
        self.calls
            .get(call_id)
            .and_then(|recs| recs.iter().find(|r| r.id == recording_id))
            .map(|r| view(call_id, r, now))
            .ok_or(Refusal(
                StatusCode::NOT_FOUND,
                MiniVoiceCode::RecordingNotFound.into(),
                "recording not found",
            ))
    }
}

fn view(call_id: &str, rec: &SimRecording, now: Instant) -> Recording {
    let elapsed: Duration = rec
        .ended
        .unwrap_or(now)
        .saturating_duration_since(rec.started);
    let status = if rec.ended.is_some() {
        RecordingStatus::STOPPED
    } else {
        RecordingStatus::STARTED
    };
    let mut extra = Extra::new();
    // Fields beyond the documented four, as a real API grows them: the widget must show them.
    extra.insert("call_id".into(), Value::from(call_id));
    extra.insert("format".into(), Value::from("audio/wav"));
    let status = if call_id == NEWER_CALL && rec.ended.is_some() {
        extra.insert("retention_days".into(), Value::from(30));
        RecordingStatus::Unknown("archived".into())
    } else {
        status
    };
    Recording {
        id: rec.id.clone(),
        status,
        duration_seconds: elapsed.as_secs(),
        size_bytes: (elapsed.as_millis() as u64) * BYTES_PER_SECOND / 1000,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minivoice_shared::ErrorCode;

    fn code(r: Result<ActionResult, Refusal>) -> MiniVoiceCode {
        match r {
            Err(Refusal(_, ErrorCode::MiniVoice(c), _)) => c,
            Err(Refusal(_, other, _)) => panic!("not a MiniVoice code: {other:?}"),
            Ok(ok) => panic!("expected a refusal, got {ok:?}"),
        }
    }

    #[test]
    fn start_stop_cycle_follows_the_contract() {
        let mut sim = Sim::default();
        let t0 = Instant::now();
        assert_eq!(
            code(sim.act("c1", Action::Stop, false, t0)),
            MiniVoiceCode::RecordingNotStarted
        );
        let started = sim.act("c1", Action::Start, false, t0).unwrap();
        assert_eq!(started.recording.id, "rec_c1");
        assert_eq!(started.recording.status, RecordingStatus::STARTED);
        assert_eq!(
            (
                started.recording.duration_seconds,
                started.recording.size_bytes
            ),
            (0, 0)
        );
        assert_eq!(
            code(sim.act("c1", Action::Start, false, t0)),
            MiniVoiceCode::RecordingAlreadyStarted
        );
        let stopped = sim
            .act("c1", Action::Stop, false, t0 + Duration::from_millis(2500))
            .unwrap();
        assert_eq!(stopped.recording.status, RecordingStatus::STOPPED);
        assert_eq!(stopped.recording.duration_seconds, 2);
        assert_eq!(stopped.recording.size_bytes, 40_000);
        // A stopped recording no longer grows.
        let later = sim.list("c1", t0 + Duration::from_secs(60));
        assert_eq!(later[0].duration_seconds, 2);
        let second = sim
            .act("c1", Action::Start, false, t0 + Duration::from_secs(61))
            .unwrap();
        assert_eq!(second.recording.id, "rec_c1_2");
        assert_eq!(sim.list("c1", t0).len(), 2);
        assert!(sim.list("other", t0).is_empty());
    }

    #[test]
    fn hanging_up_stops_the_recording_and_refuses_new_ones() {
        let mut sim = Sim::default();
        let t0 = Instant::now();
        sim.act("h", Action::Start, false, t0).unwrap();
        let stopped = sim.hang_up("h", t0 + Duration::from_secs(3)).unwrap();
        assert_eq!(
            (stopped.status, stopped.duration_seconds),
            (RecordingStatus::STOPPED, 3)
        );
        assert_eq!(
            code(sim.act("h", Action::Start, false, t0)),
            MiniVoiceCode::CallNotActive
        );
        assert!(sim.hang_up("h", t0).is_none(), "nothing left to stop");
    }

    #[test]
    fn completed_call_refuses_start() {
        let mut sim = Sim::default();
        let r = sim.act("c", Action::Start, true, Instant::now());
        assert_eq!(code(r), MiniVoiceCode::CallNotActive);
    }

    #[test]
    fn the_newer_call_sends_an_unknown_status_and_field_once_stopped() {
        let mut sim = Sim::default();
        let t0 = Instant::now();
        sim.act(NEWER_CALL, Action::Start, false, t0).unwrap();
        assert_eq!(sim.list(NEWER_CALL, t0)[0].status, RecordingStatus::STARTED);
        sim.act(NEWER_CALL, Action::Stop, false, t0).unwrap();
        let rec = &sim.list(NEWER_CALL, t0)[0];
        assert_eq!(rec.status, RecordingStatus::Unknown("archived".into()));
        assert_eq!(rec.extra["retention_days"], 30);
        assert_eq!(
            sim.list("call_other", t0).len(),
            0,
            "other calls are as documented"
        );
    }

    #[test]
    fn metadata_of_unknown_recording_is_not_found() {
        let sim = Sim::default();
        assert!(matches!(
            sim.get("c", "rec_x", Instant::now()),
            Err(Refusal(
                StatusCode::NOT_FOUND,
                ErrorCode::MiniVoice(MiniVoiceCode::RecordingNotFound),
                _
            ))
        ));
    }
}
