//! Extractors whose rejections use the shared error shape, so a bad request never gets
//! axum's plain-text answer.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use minivoice_shared::ActionRequest;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// What [`is_valid_id`] accepts, as the OpenAPI document states it (its tests hold the two
/// together).
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// IDs we forward into MiniVoice's URL paths: bounded and free of anything a path or query
/// could interpret.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A body type and the code its shape errors carry.
pub trait ApiBody: DeserializeOwned {
    fn invalid(message: String) -> AppError;
}

impl ApiBody for ActionRequest {
    fn invalid(message: String) -> AppError {
        AppError::InvalidAction(message)
    }
}

/// A JSON body, with every failure rendered as [`AppError`]. Hand-written rather than derived
/// via axum's `Json`: that classifies errors by serde's category, which calls the well-formed
/// `{"action":1}` a syntax error. So syntax is checked first (IgnoredAny accepts any JSON),
/// then the shape straight from the bytes, so a duplicated key is seen rather than collapsed.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: ApiBody> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
            .map_err(|e| AppError::InvalidJson(e.to_string()))?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| T::invalid(e.to_string()))
    }
}

/// A list's `limit` query parameter: `default` when absent, else a whole number 1–`max` (400
/// `invalid_query` otherwise).
pub fn page_limit(
    query: &std::collections::HashMap<String, String>,
    default: i64,
    max: i64,
) -> Result<i64, AppError> {
    match query.get("limit") {
        None => Ok(default),
        Some(n) => n
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| AppError::InvalidQuery(format!("limit must be 1-{max}"))),
    }
}

/// Too large, or too slow (its deadline, `BODY_TIMEOUT_MS`, passed while it was being read).
pub fn body_error(rejection: axum::extract::rejection::BytesRejection) -> AppError {
    use std::error::Error;
    let mut source: Option<&(dyn Error + 'static)> = Some(&rejection);
    while let Some(e) = source {
        if e.is::<crate::serve::BodyDeadlinePassed>() {
            return AppError::RequestTimeout;
        }
        source = e.source();
    }
    AppError::PayloadTooLarge
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// `{call_id}` from the path, validated.
pub struct CallId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CallId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::InvalidCallId)?;
        if !is_valid_id(&id) {
            return Err(AppError::InvalidCallId);
        }
        crate::request_id::record_call(&id);
        Ok(CallId(id))
    }
}

/// `{call_id}/…/{recording_id}` from the path, both validated.
pub struct RecordingRef {
    pub call_id: String,
    pub recording_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for RecordingRef {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path((call_id, recording_id)) =
            Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::InvalidCallId)?;
        if !is_valid_id(&call_id) {
            return Err(AppError::InvalidCallId);
        }
        crate::request_id::record_call(&call_id);
        if !is_valid_id(&recording_id) {
            return Err(AppError::InvalidRecordingId);
        }
        Ok(RecordingRef {
            call_id,
            recording_id,
        })
    }
}

/// The optional `Idempotency-Key` header, validated: the same key means the same intent.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .map_err(|_| AppError::InvalidIdempotencyKey)?;
        let valid = (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        valid
            .then(|| IdempotencyKey(Some(key.to_owned())))
            .ok_or(AppError::InvalidIdempotencyKey)
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_id;

    #[test]
    fn id_pattern() {
        for ok in ["call_123", "a", "A-b_9", &"x".repeat(64)] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "a/b",
            "a b",
            "a%2F",
            "é",
            "a\0",
            "a.b",
            "a?x=1",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_id(bad), "{bad:?}");
        }
    }
}
