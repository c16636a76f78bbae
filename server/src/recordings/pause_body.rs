//! What a pause request may carry: nothing, or a reason that is bounded and printable.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use minivoice_shared::PauseRequest;

use crate::error::AppError;
use crate::extract::{body_error, is_json};

/// Longest reason an agent may give, in characters: a few words, not a note field.
pub const MAX_REASON_CHARS: usize = 200;

/// A pause's body: empty, or `{"reason":"…"}` (JSON, nothing else in it): the shared
/// [`PauseRequest`], which the widget sends.
pub(crate) struct PauseBody(pub Option<String>);

impl<S: Send + Sync> FromRequest<S> for PauseBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let json = is_json(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        // A button that just pauses sends nothing; that is a pause without a reason.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(PauseBody(None));
        }
        if !json {
            return Err(AppError::UnsupportedMediaType);
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
            .map_err(|e| AppError::InvalidJson(e.to_string()))?;
        let body: PauseRequest =
            serde_json::from_slice(&bytes).map_err(|e| AppError::InvalidReason(e.to_string()))?;
        valid_reason(body.reason).map(PauseBody)
    }
}

/// A reason is kept as the agent wrote it, trimmed; blank is none. It ends up in the trail,
/// the timeline and every widget on the call, so it is bounded and printable.
fn valid_reason(reason: Option<String>) -> Result<Option<String>, AppError> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    // Checked as sent, before trimming, as the OpenAPI document states it (at most 200
    // characters, none of them control characters): a trailing newline is refused, not hidden.
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(AppError::InvalidReason(format!(
            "the reason has {chars} characters (at most {MAX_REASON_CHARS})"
        )));
    }
    if reason.chars().any(char::is_control) {
        return Err(AppError::InvalidReason(
            "the reason holds control characters".into(),
        ));
    }
    let reason = reason.trim();
    Ok((!reason.is_empty()).then(|| reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_bounded_and_printable() {
        assert_eq!(valid_reason(None).unwrap(), None);
        assert_eq!(valid_reason(Some("  ".into())).unwrap(), None);
        assert_eq!(
            valid_reason(Some(" card details ".into()))
                .unwrap()
                .as_deref(),
            Some("card details")
        );
        assert!(valid_reason(Some("é".repeat(MAX_REASON_CHARS))).is_ok());
        assert!(valid_reason(Some("x".repeat(MAX_REASON_CHARS + 1))).is_err());
        assert!(valid_reason(Some("a\u{0}b".into())).is_err());
        assert!(valid_reason(Some("a\nb".into())).is_err());
        assert!(valid_reason(Some("card\n".into())).is_err());
        assert!(valid_reason(Some(format!("{} ", "x".repeat(MAX_REASON_CHARS)))).is_err());
    }
}
