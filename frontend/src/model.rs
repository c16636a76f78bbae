//! What several parts of the widget share of the wire, low in the widget so that everything
//! may import it: its errors are the proxy's own `ErrorBody`, and the values it shows of
//! fields it does not know.

use minivoice_shared::{ClientCode, ErrorBody};
use serde_json::Value;

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
        other => other.to_string(),
    }
}
