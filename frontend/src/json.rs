//! The proxy's JSON, read with the browser's own parser. serde_json and serde's derived
//! visitors cost the widget about a third of its wasm (measured with twiggy, `BENCHMARKS.md`);
//! `JSON.parse` is already in every browser, and the few types the widget reads are mapped
//! here field by field, keeping the wire types' tolerance: unknown fields, statuses and codes
//! are kept, and a missing optional field is `None`, never an error.

use js_sys::{Array, Object, Reflect, JSON};
use minivoice_shared::{Action, CallState, ProxyInfo, RecordingState, RecordingStatus};
use wasm_bindgen::{JsCast, JsValue};

use crate::recording::Recording;
use crate::timeline::Entry;

/// A type the widget reads from the proxy's JSON.
pub trait FromJson: Sized {
    fn from_json(v: &JsValue) -> Option<Self>;
}

/// The value at `path` (`["data", "recording"]`) in `v`; `undefined` where there is none.
pub fn at(v: &JsValue, path: &[&str]) -> JsValue {
    let mut v = v.clone();
    for key in path {
        v = field(&v, key);
    }
    v
}

/// `{"error": {"code", "message"}}`: the code and the message.
pub fn error(v: &JsValue) -> Option<(String, String)> {
    let e = field(v, "error");
    Some((
        string(&e, "code")?,
        string(&e, "message").unwrap_or_default(),
    ))
}

fn field(v: &JsValue, key: &str) -> JsValue {
    if !v.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(v: &JsValue, key: &str) -> Option<String> {
    field(v, key).as_string()
}

/// A whole, non-negative number (sizes, durations, counts).
fn count(v: &JsValue, key: &str) -> Option<u64> {
    let n = field(v, key).as_f64()?;
    (n >= 0.0 && n.fract() == 0.0).then_some(n as u64)
}

fn flag(v: &JsValue, key: &str) -> bool {
    field(v, key).as_bool().unwrap_or(false)
}

/// The fields of `v` not in `known`, each as the text the widget shows: a string as itself,
/// anything else as its JSON.
fn more(v: &JsValue, known: &[&str]) -> Vec<(String, String)> {
    let Some(object) = v.dyn_ref::<Object>() else {
        return vec![];
    };
    let mut out = vec![];
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        if known.contains(&key.as_str()) {
            continue;
        }
        let value = field(v, &key);
        let text = value.as_string().unwrap_or_else(|| {
            JSON::stringify(&value)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default()
        });
        out.push((key, text));
    }
    out
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &JsValue) -> Option<Self> {
        let array = v.dyn_ref::<Array>()?;
        // A plain loop: `collect::<Option<Vec<_>>>()` costs the wasm more.
        let mut items = Vec::with_capacity(array.length() as usize);
        for item in array.iter() {
            items.push(T::from_json(&item)?);
        }
        Some(items)
    }
}

impl FromJson for Action {
    fn from_json(v: &JsValue) -> Option<Self> {
        match v.as_string()?.as_str() {
            "start" => Some(Action::Start),
            "stop" => Some(Action::Stop),
            "pause" => Some(Action::Pause),
            "resume" => Some(Action::Resume),
            _ => None,
        }
    }
}

impl FromJson for Recording {
    fn from_json(v: &JsValue) -> Option<Self> {
        Some(Recording {
            id: string(v, "id")?,
            status: RecordingStatus::from(string(v, "status")?),
            duration_seconds: count(v, "duration_seconds")?,
            size_bytes: count(v, "size_bytes")?,
            more: more(v, &["id", "status", "duration_seconds", "size_bytes"]),
        })
    }
}

impl FromJson for CallState {
    fn from_json(v: &JsValue) -> Option<Self> {
        Some(CallState {
            call_id: string(v, "call_id")?,
            status: string(v, "status"),
            updated_at: string(v, "updated_at"),
            recording: string(v, "recording").map(RecordingState::from),
            recording_id: string(v, "recording_id"),
            paused_by: string(v, "paused_by"),
            reason: string(v, "reason"),
            paused_at: string(v, "paused_at"),
            resume_at: string(v, "resume_at"),
        })
    }
}

impl FromJson for ProxyInfo {
    fn from_json(v: &JsValue) -> Option<Self> {
        Some(ProxyInfo {
            sandbox: flag(v, "sandbox"),
            version: string(v, "version").unwrap_or_default(),
            event_streams: count(v, "event_streams").unwrap_or(0) as usize,
        })
    }
}

impl FromJson for Entry {
    fn from_json(v: &JsValue) -> Option<Self> {
        let event = field(v, "event");
        Some(Entry {
            at: string(v, "at")?,
            action: string(v, "kind").as_deref() == Some("action"),
            what: string(v, "type")?,
            agent: string(v, "agent"),
            recording_id: string(v, "recording_id"),
            result: string(v, "result"),
            reason: string(v, "reason"),
            // Indented: it is read by a person, in a `<pre>`.
            event: (!event.is_undefined())
                .then(|| JSON::stringify_with_replacer_and_space(&event, &JsValue::NULL, &2.into()))
                .and_then(|s| s.ok()?.as_string()),
        })
    }
}

/// `text` as a JSON string literal, quotes and escapes included.
pub fn quote(text: &str) -> String {
    JSON::stringify(&text.into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}
