//! Schemas for the proxy's OpenAPI document (feature `openapi`; the widget builds without it).
//! Open enums serialise any string, a newer value included, so they are described as strings
//! with the known values as examples: a closed `enum` would call a new value invalid.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// A string schema listing `known` values without closing the set.
pub(crate) fn open_string<'a>(known: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    let known: Vec<&str> = known.into_iter().collect();
    let listed = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "Known values: {listed}. Open: another value (from a newer MiniVoice or proxy) is \
             passed on as sent."
        )))
        .examples(known)
        .into()
}

/// `ActionRequest.action`: what `POST …/recordings` takes, a closed set (pause and resume have
/// routes of their own).
pub(crate) fn minivoice_action() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["start", "stop"]))
        .into()
}
