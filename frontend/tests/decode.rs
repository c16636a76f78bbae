//! Every answer the widget reads goes through `fetch::decode`, the very function these tests
//! call, into `minivoice_shared`'s types through their own `Deserialize` impls. In the browser
//! its deserializer is serde-wasm-bindgen over the value `Response.json()` parsed; here it is
//! serde_json over the same text: `decode` is generic over the deserializer, so what is tested
//! is the widget's decision (success, the proxy's error envelope, or a bad response) and the
//! shared types' impls, with only the JSON parser standing in. Each of MiniVoice's documented
//! examples in `fixtures/` and each answer shape the proxy sends is decoded, with what a newer
//! proxy or MiniVoice may add: unknown fields, an unknown status, event type, kind and error
//! code, which must be kept (and so can be shown), never refused.

use minivoice_i18n::{Texts, DE};
use minivoice_shared::minivoice::KnownEvent;
use minivoice_shared::{
    Action, ActionRequest, ActionResult, CallState, ClientCode, Data, ErrorCode, EventType,
    LiveEvent, MiniVoiceCode, ProxyCode, ProxyInfo, Recording, RecordingState, RecordingStatus,
    TimelineEntry, TimelineKind, WebhookEvent,
};
use minivoice_widget::fetch;
use minivoice_widget::model::ApiError;
use serde_json::json;

/// `fetch::decode` on an answer with `status` and body `text`, the browser's parser played by
/// serde_json (`None` when the body is not JSON, as `Response.json()` rejects it).
fn decode<T: serde::de::DeserializeOwned>(status: u16, text: &str) -> Result<T, ApiError> {
    let json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    let mut parsed = serde_json::Deserializer::from_str(text);
    fetch::decode(status, json.then_some(&mut parsed))
}

fn ok<T: serde::de::DeserializeOwned>(text: &str) -> T {
    decode(200, text).unwrap_or_else(|e| panic!("{text} did not decode: {e:?}"))
}

fn refused(status: u16, text: &str) -> ApiError {
    match decode::<serde::de::IgnoredAny>(status, text) {
        Err(e) => e,
        Ok(_) => panic!("HTTP {status} decoded as a success"),
    }
}

#[test]
fn every_fixture_decodes_into_the_shared_types() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
    let mut seen = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        match name.as_str() {
            "error.recording_not_started.json" => {
                let e = refused(409, &text);
                assert_eq!(
                    e.code,
                    ErrorCode::MiniVoice(MiniVoiceCode::RecordingNotStarted)
                );
                assert_eq!(e.message, "recording is not currently started");
            }
            "start_recording.request.json" => {
                let body: ActionRequest = ok(&text);
                assert_eq!(body.action, Action::Start);
            }
            "start_recording.response.json" => {
                let answer: Data<ActionResult> = ok(&text);
                let r = answer.data.recording;
                assert_eq!(
                    (r.id.as_str(), r.status),
                    ("rec_call_123", RecordingStatus::STARTED)
                );
            }
            "webhook.call_completed.json" => {
                let event: WebhookEvent = ok(&text);
                assert_eq!(event.event, EventType::Known(KnownEvent::CallCompleted));
                let call = event.call.unwrap();
                assert_eq!(
                    call.extra["customer_id"], "cust_123",
                    "unknown fields are kept"
                );
                assert!(event.extra.contains_key("variables"));
            }
            other => panic!("fixtures/{other} has no decoding test: add it here"),
        }
        seen.push(name);
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}

/// A recording as the sandbox (and a newer MiniVoice) sends it: a status nobody named yet,
/// and fields beyond the documented four.
fn newer_recording() -> serde_json::Value {
    json!({"id": "rec_1", "status": "archived", "duration_seconds": 42, "size_bytes": 672000,
           "format": "audio/wav", "retention_days": 30, "labels": {"team": "a"}})
}

#[test]
fn lists_and_one_recording_keep_unknown_statuses_and_fields() {
    let list = json!({"data": [newer_recording(),
        {"id": "rec_2", "status": "started", "duration_seconds": 0, "size_bytes": 0}],
        "next_cursor": null});
    let recs: Data<Vec<Recording>> = ok(&list.to_string());
    assert_eq!(recs.data.len(), 2);
    let r = &recs.data[0];
    assert_eq!(r.status, RecordingStatus::Unknown("archived".into()));
    assert_eq!(r.status.as_str(), "archived");
    assert_eq!(
        serde_json::Value::Object(r.extra.clone()),
        json!({"format": "audio/wav", "retention_days": 30, "labels": {"team": "a"}}),
        "the fields the widget does not know, kept for the details panel"
    );
    assert!(recs.extra.contains_key("next_cursor"), "the envelope's too");
    let one: Data<Recording> = ok(&json!({"data": newer_recording()}).to_string());
    assert_eq!(&one.data, r);
}

#[test]
fn actions_status_info_and_timeline_decode() {
    let action = json!({"data": {"call_id": "c", "action": "stop", "recording": newer_recording(),
                                 "replayed": true}});
    let answer: Data<ActionResult> = ok(&action.to_string());
    assert_eq!(answer.data.action, Action::Stop);
    assert!(answer.data.extra.contains_key("replayed"));

    let status = json!({"data": {"call_id": "c", "status": "on_hold", "recording": "held",
        "recording_id": "rec_1", "paused_by": "bob", "reason": "card", "paused_at": "t0",
        "resume_at": "t1", "queue": 3}});
    let state: Data<CallState> = ok(&status.to_string());
    assert_eq!(
        state.data.recording,
        Some(RecordingState::Unknown("held".into()))
    );
    assert_eq!(state.data.status.as_deref(), Some("on_hold"));
    let old: Data<CallState> = ok(r#"{"data":{"call_id":"c"}}"#);
    assert_eq!(old.data.recording, None, "an older proxy's status");

    let info: ProxyInfo = ok(r#"{"sandbox":true,"version":"9.9.9","region":"eu"}"#);
    assert!(info.sandbox);

    let timeline = json!({"data": [
        {"at": "t0", "kind": "action", "type": "pause", "agent": "bob", "recording_id": "rec_1",
         "result": "ok", "reason": "card"},
        {"at": "t1", "kind": "webhook", "type": "ai.summary.ready", "recording_id": "rec_1",
         "event": {"event": "ai.summary.ready", "anything": [1, 2]}},
        {"at": "t2", "kind": "note", "type": "supervisor.note", "by": "carol"}]});
    let entries: Data<Vec<TimelineEntry>> = ok(&timeline.to_string());
    let [pause, hook, note] = &entries.data[..] else {
        panic!("three entries")
    };
    assert_eq!(
        (pause.kind.clone(), pause.reason.as_deref()),
        (TimelineKind::Action, Some("card"))
    );
    assert_eq!(
        hook.what, "ai.summary.ready",
        "an event type nobody named is kept"
    );
    assert_eq!(hook.event.as_ref().unwrap()["anything"], json!([1, 2]));
    assert_eq!(note.kind, TimelineKind::Unknown("note".into()));
    assert_eq!(note.extra["by"], "carol");
}

#[test]
fn error_envelopes_keep_unknown_codes_and_anything_else_is_a_bad_response() {
    let proxy = refused(
        403,
        r#"{"error":{"code":"forbidden_call","message":"no","request_id":"r1"}}"#,
    );
    assert_eq!(proxy.code, ErrorCode::Proxy(ProxyCode::ForbiddenCall));
    assert_eq!(proxy.extra["request_id"], "r1");
    let newer = refused(
        429,
        r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
    );
    assert_eq!(newer.code, ErrorCode::Unknown("rate_limited".into()));
    assert_eq!(newer.message, "slow down");
    let html = refused(502, "<html>Bad gateway</html>");
    assert_eq!(html.code, ErrorCode::Client(ClientCode::BadResponse));
    assert!(html.message.contains("502"), "{}", html.message);
    let garbled = decode::<Data<Vec<Recording>>>(200, r#"{"data":[{"id":1}]}"#).unwrap_err();
    assert_eq!(garbled.code, ErrorCode::Client(ClientCode::BadResponse));
}

#[test]
fn live_events_and_catalogs_decode() {
    for (name, data) in [
        (
            "recording",
            json!({"type": "recording", "call_id": "c", "recording": newer_recording()}),
        ),
        (
            "call",
            json!({"type": "call", "call_id": "c", "status": "on_hold"}),
        ),
        ("resync", json!({"type": "resync", "call_id": "c"})),
        (
            "pause",
            json!({"type": "pause", "call_id": "c", "paused_by": "bob", "reason": "card",
                         "resume_at": "t1"}),
        ),
        (
            "resume",
            json!({"type": "resume", "call_id": "c", "resumed_by": "system"}),
        ),
    ] {
        let event: LiveEvent = ok(&data.to_string());
        assert_eq!(event.name(), name);
        assert!(
            LiveEvent::NAMES.contains(&name),
            "the widget listens for {name}"
        );
    }
    // A language's catalog, as `cargo xtask widget` writes it: its texts as a JSON array.
    let words: Vec<&str> = DE.entries().iter().map(|(_, text)| *text).collect();
    let texts: Vec<String> = ok(&serde_json::to_string(&words).unwrap());
    assert_eq!((texts.len(), texts[0].as_str()), (Texts::LEN, words[0]));
}
