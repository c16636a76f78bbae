//! Names that client generators turn into types. utoipa names an instance of the generic
//! envelope `Data<T>` after its type (`Data_Vec_Recording`) and inlines `T` in it, so a
//! generator makes `DataVecRecording` and never uses `Recording`; and the live events'
//! variants have no names at all. Here each envelope is named for what it holds
//! (`RecordingList`, `ActionResultResponse`) with `T` referenced, and each live event is a
//! component named for its `type` (`PauseEvent`).

use utoipa::openapi::schema::{ArrayBuilder, Discriminator, Schema, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

use super::operations;

/// What utoipa calls `Data<T>` instances: `Data_` then `T`'s name.
const ENVELOPE: &str = "Data_";
/// …and `Data<Vec<T>>` instances.
const LIST_ENVELOPE: &str = "Data_Vec_";
/// The live events' union, whose variants are named here.
const LIVE_EVENT: &str = "LiveEvent";

/// `Data_Vec_X` is `XList`, `Data_X` is `XResponse`; `data` refers to `X` where `X` is a
/// component.
pub fn name_envelopes(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let generic: Vec<String> = components
        .schemas
        .keys()
        .filter(|k| k.starts_with(ENVELOPE))
        .cloned()
        .collect();
    let mut renamed = Vec::new();
    for old in generic {
        let (inner, name) = match old.strip_prefix(LIST_ENVELOPE) {
            Some(inner) => (inner.to_owned(), format!("{inner}List")),
            None => {
                let inner = &old[ENVELOPE.len()..];
                (inner.to_owned(), format!("{inner}Response"))
            }
        };
        let Some(mut schema) = components.schemas.remove(&old) else {
            continue;
        };
        if components.schemas.contains_key(&inner) {
            if let RefOr::T(Schema::Object(envelope)) = &mut schema {
                let one = Ref::from_schema_name(&inner);
                let data: RefOr<Schema> = if old.starts_with(LIST_ENVELOPE) {
                    ArrayBuilder::new().items(one).into()
                } else {
                    one.into()
                };
                envelope.properties.insert("data".into(), data);
            }
        }
        components.schemas.insert(name.clone(), schema);
        renamed.push((Ref::from_schema_name(&old), Ref::from_schema_name(&name)));
    }
    // Only answers name an envelope.
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for content in response.content.values_mut() {
                    if let Some(RefOr::Ref(r)) = &mut content.schema {
                        if let Some((_, new)) = renamed.iter().find(|(old, _)| old == r) {
                            *r = new.clone();
                        }
                    }
                }
            }
        }
    }
}

/// Each variant of `LiveEvent` becomes a component named for its `type` (`recording` →
/// `RecordingEvent`), and the union says that `type` tells them apart.
pub fn name_live_events(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::OneOf(mut union))) = components.schemas.remove(LIVE_EVENT) else {
        return;
    };
    let mut discriminator = Discriminator::new("type");
    let mut named = Vec::new();
    for variant in union.items.drain(..) {
        let Some(tag) = type_tag(&variant) else {
            // Not a tagged object: left as it is.
            named.push(variant);
            continue;
        };
        let name = format!("{}Event", pascal(&tag));
        let one = Ref::from_schema_name(&name);
        discriminator.mapping.insert(tag, one.ref_location.clone());
        components.schemas.insert(name, variant);
        named.push(one.into());
    }
    union.items = named;
    union.discriminator = Some(discriminator);
    components
        .schemas
        .insert(LIVE_EVENT.into(), Schema::OneOf(union).into());
}

/// The one value an object's `type` property may have.
fn type_tag(variant: &RefOr<Schema>) -> Option<String> {
    let RefOr::T(Schema::Object(o)) = variant else {
        return None;
    };
    let RefOr::T(Schema::Object(tag)) = o.properties.get("type")? else {
        return None;
    };
    if tag.schema_type != Type::String.into() {
        return None;
    }
    match tag.enum_values.as_deref()? {
        [serde_json::Value::String(one)] => Some(one.clone()),
        _ => None,
    }
}

/// `snake_case` → `PascalCase`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
