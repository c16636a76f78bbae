//! What a delivery says about itself, read as loosely as MiniVoice may send it: its event
//! type and the call and recording it names, wherever a known or likely shape puts them. Only
//! for the call's timeline and the inspector; what a delivery changes is decided from the
//! shapes we know (`worker.rs`).

use serde_json::Value;

use crate::extract::is_valid_id;

/// Longest event type kept (a type is a short dotted name; anything longer is cut).
const MAX_TYPE_CHARS: usize = 100;

/// Where a call ID may be: the documented `call.id`, then flat and `data`-wrapped shapes.
const CALL_IDS: &[&str] = &[
    "/call/id",
    "/call_id",
    "/data/call_id",
    "/data/call/id",
    "/recording/call_id",
    "/data/recording/call_id",
];
/// Where a recording ID may be.
const RECORDING_IDS: &[&str] = &[
    "/recording/id",
    "/recording_id",
    "/data/recording/id",
    "/data/recording_id",
];
/// Where the event type may be: the documented `event`, or the common `type`.
const TYPES: &[&str] = &["/event", "/type", "/event_type"];

#[derive(Debug, Default, PartialEq)]
pub(super) struct Facts {
    pub call_id: Option<String>,
    pub recording_id: Option<String>,
    pub event_type: Option<String>,
}

/// The facts of a body (none when it is not JSON). IDs are held to the API's rule, since
/// they are looked up and shown; the type is kept printable and short.
pub(super) fn read(body: &[u8]) -> Facts {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Facts::default();
    };
    let id = |paths: &[&str]| {
        paths
            .iter()
            .filter_map(|p| value.pointer(p)?.as_str())
            .find(|id| is_valid_id(id))
            .map(str::to_owned)
    };
    let event_type = TYPES
        .iter()
        .find_map(|p| value.pointer(p)?.as_str())
        .map(|t| {
            t.chars()
                .filter(|c| !c.is_control())
                .take(MAX_TYPE_CHARS)
                .collect::<String>()
        })
        .filter(|t| !t.is_empty());
    Facts {
        call_id: id(CALL_IDS),
        recording_id: id(RECORDING_IDS),
        event_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_in_the_shapes_minivoice_may_use() {
        let ai =
            read(br#"{"type":"ai.transcript.ready","data":{"call_id":"c1","recording_id":"r1"}}"#);
        assert_eq!(
            ai,
            Facts {
                call_id: Some("c1".into()),
                recording_id: Some("r1".into()),
                event_type: Some("ai.transcript.ready".into()),
            }
        );
        let documented = read(br#"{"event":"call.completed","call":{"id":"c2"},"data":{}}"#);
        assert_eq!(documented.call_id.as_deref(), Some("c2"));
        assert_eq!(documented.recording_id, None);
        let nested = read(br#"{"event":"x","data":{"recording":{"id":"r3","call_id":"c3"}}}"#);
        assert_eq!(
            (nested.call_id.as_deref(), nested.recording_id.as_deref()),
            (Some("c3"), Some("r3"))
        );
        let hostile = read(br#"{"event":"a\u0000b","call":{"id":"../x"},"call_id":"ok_1"}"#);
        assert_eq!(hostile.call_id.as_deref(), Some("ok_1"));
        assert_eq!(hostile.event_type.as_deref(), Some("ab"));
        assert_eq!(read(b"not json"), Facts::default());
        assert_eq!(read(b"[1]"), Facts::default());
    }
}
