//! What several parts of the widget share of the wire, low in the widget so that everything
//! may import it: its errors are the proxy's own `ErrorBody`, and the values it shows of
//! fields it does not know.

use minivoice_shared::{ClientCode, ErrorBody};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

/// An error as the widget holds it: the proxy's (or MiniVoice's) as sent, or one of the
/// widget's own [`ClientCode`]s when no answer could be read.
pub type ApiError = ErrorBody;

/// One of the widget's own errors.
pub fn client_error(code: ClientCode, message: impl Into<String>) -> ApiError {
    ErrorBody::new(code, message)
}

/// A value of a field the widget does not know, as an agent reads it: a string as itself,
/// anything else as its JSON.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => json_text(other, false),
    }
}

/// `value` as JSON text (`indented` for a person to read), written by the browser's
/// `JSON.stringify`: serde_json's writer would bring its float formatting into the wasm.
pub fn json_text(value: &(impl Serialize + ?Sized), indented: bool) -> String {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let Ok(value) = value.serialize(&serializer) else {
        return String::new();
    };
    let text = if indented {
        js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &2.into())
    } else {
        js_sys::JSON::stringify(&value)
    };
    text.ok().and_then(|t| t.as_string()).unwrap_or_default()
}
