//! Every MiniVoice example in `fixtures/` parses into our types and re-serialises to equal JSON.

use std::path::PathBuf;

use minivoice_shared::*;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn round_trip<T: Serialize + DeserializeOwned>(raw: &Value) -> T {
    let parsed: T = serde_json::from_value(raw.clone()).expect("fixture parses");
    let again = serde_json::to_value(&parsed).unwrap();
    assert_eq!(&again, raw, "re-serialised JSON differs");
    parsed
}

#[test]
fn every_fixture_round_trips() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Each fixture's name says which type it is; an unmapped one fails rather than hides.
        if name.starts_with("error.") {
            round_trip::<ErrorEnvelope>(&raw);
        } else if name.starts_with("webhook.") {
            round_trip::<WebhookEvent>(&raw);
        } else if name.ends_with(".request.json") {
            round_trip::<ActionRequest>(&raw);
        } else if name.starts_with("list_recordings.") {
            round_trip::<Data<Vec<Recording>>>(&raw);
        } else if name.starts_with("get_recording.") {
            round_trip::<Data<Recording>>(&raw);
        } else if name.ends_with("_recording.response.json") {
            round_trip::<Data<ActionResult>>(&raw);
        } else {
            panic!("fixture {name} has no type mapping");
        }
        seen += 1;
    }
    assert!(seen >= 4, "expected the documented fixtures, saw {seen}");
}

#[test]
fn documented_values_are_named() {
    let raw =
        std::fs::read_to_string(fixtures_dir().join("start_recording.response.json")).unwrap();
    let d: Data<ActionResult> = serde_json::from_str(&raw).unwrap();
    assert_eq!(d.data.recording.status, RecordingStatus::STARTED);
    assert_eq!(d.data.action, Action::Start);
    let raw =
        std::fs::read_to_string(fixtures_dir().join("error.recording_not_started.json")).unwrap();
    let e: ErrorEnvelope = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        e.error.code,
        ErrorCode::MiniVoice(MiniVoiceCode::RecordingNotStarted)
    );
    let raw = std::fs::read_to_string(fixtures_dir().join("webhook.call_completed.json")).unwrap();
    let w: WebhookEvent = serde_json::from_str(&raw).unwrap();
    assert_eq!(w.event.as_str(), "call.completed");
    assert!(matches!(w.event, EventType::Known(_)));
    assert_eq!(w.call.unwrap().id, "call_123");
}

#[test]
fn unknown_status_and_extra_fields_survive() {
    let raw = json!({"id": "rec_1", "status": "transcoding_v2", "duration_seconds": 3,
                     "size_bytes": 10, "channels": 2, "labels": {"a": [1, 2]}});
    let r: Recording = round_trip(&raw);
    assert_eq!(r.status, RecordingStatus::Unknown("transcoding_v2".into()));
    assert_eq!(r.extra["channels"], json!(2));
}

#[test]
fn unknown_error_code_survives() {
    let raw = json!({"error": {"code": "quota_exceeded_2027", "message": "m", "doc_url": "x"}});
    let e: ErrorEnvelope = round_trip(&raw);
    assert_eq!(
        e.error.code,
        ErrorCode::Unknown("quota_exceeded_2027".into())
    );
}

#[test]
fn unknown_event_type_survives() {
    let raw = json!({"event": "call.transferred", "created_at": "2026-05-29T12:10:00Z",
                     "call": {"id": "c", "status": "in_progress", "to": "+1"}, "extra": true});
    let w: WebhookEvent = round_trip(&raw);
    assert_eq!(w.event, EventType::Unknown("call.transferred".into()));
}

#[test]
fn every_known_string_maps_back() {
    for c in ProxyCode::ALL {
        assert_eq!(ErrorCode::from(c.as_str().to_owned()), ErrorCode::Proxy(*c));
    }
    for c in MiniVoiceCode::ALL {
        assert_eq!(
            ErrorCode::from(c.as_str().to_owned()),
            ErrorCode::MiniVoice(*c)
        );
    }
}

#[test]
fn action_request_is_strict() {
    assert!(serde_json::from_str::<ActionRequest>(r#"{"action":"pause"}"#).is_err());
    assert!(serde_json::from_str::<ActionRequest>(r#"{"action":1}"#).is_err());
    assert!(serde_json::from_str::<ActionRequest>(r#"{"action":"start","x":1}"#).is_err());
    let ok: ActionRequest = serde_json::from_str(r#"{"action":"stop"}"#).unwrap();
    assert_eq!(ok.action, Action::Stop);
}

#[test]
fn upstream_paths() {
    assert_eq!(
        minivoice::recordings_path("call_1"),
        "/v1/calls/call_1/recordings"
    );
    assert_eq!(
        minivoice::recording_path("c", "r"),
        "/v1/calls/c/recordings/r"
    );
}
