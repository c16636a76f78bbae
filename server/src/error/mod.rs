//! The only place that shapes error responses: every failure becomes a status and the shared
//! `{"error":{"code","message"}}` body. Shaping only: what is counted is counted where it fails
//! (`crate::failures`), and the request ID is added on the way out (`crate::request_id`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use minivoice_shared::{ErrorEnvelope, MiniVoiceCode, ProxyCode};

mod parts;

#[derive(Debug)]
pub enum AppError {
    Unauthorized(String),
    ForbiddenCall,
    InvalidCallId,
    InvalidRecordingId,
    InvalidAction(String),
    InvalidJson(String),
    UnsupportedMediaType,
    PayloadTooLarge,
    NotFound,
    MethodNotAllowed,
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    ActionInProgress,
    CallAlreadyPaused,
    CallNotPaused,
    InvalidReason(String),
    SupervisorRequired,
    InvalidQuery(String),
    /// A report's range: `from` or `to` missing or not RFC 3339.
    InvalidRange(String),
    InvertedRange,
    RangeTooLong,
    HeadersTooLarge,
    InvalidSignature(String),
    WebhookQueueFull,
    EventsUnavailable,
    TooManyStreams,
    ForbiddenHost,
    ForbiddenOrigin,
    /// A request from elsewhere (or through a reverse proxy) where only this machine is
    /// served; the text says what was asked for ("unsigned webhooks are taken").
    ForbiddenRemote(&'static str),
    RequestTimeout,
    /// The proxy's store cannot be reached; nothing was forwarded.
    StoreUnavailable,
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamInvalidResponse(String),
    /// MiniVoice failed without its error shape (a bare 500 from a load balancer, say).
    UpstreamError(StatusCode),
    /// MiniVoice answered 401/403 to our key.
    UpstreamAuthFailed,
    /// MiniVoice's own error: its status and body go to the widget unchanged.
    Upstream {
        status: StatusCode,
        body: Bytes,
    },
    Internal(String),
}

impl AppError {
    /// A recording that is not the path's call's, answered as MiniVoice answers an unknown
    /// one, so the widget tells nothing of other calls.
    pub fn recording_not_found() -> Self {
        let body = ErrorEnvelope::new(
            MiniVoiceCode::RecordingNotFound,
            "this call has no such recording",
        );
        AppError::Upstream {
            status: StatusCode::NOT_FOUND,
            body: serde_json::to_vec(&body).unwrap_or_default().into(),
        }
    }

    /// A call we know has ended, answered as MiniVoice answers an action on one
    /// (`call_not_active`), so the widget branches on one code whoever noticed.
    pub fn call_not_active() -> Self {
        let body = ErrorEnvelope::new(MiniVoiceCode::CallNotActive, "this call has ended");
        AppError::Upstream {
            status: StatusCode::CONFLICT,
            body: serde_json::to_vec(&body).unwrap_or_default().into(),
        }
    }

    /// The code this error answers with, for the audit trail.
    pub fn code(&self) -> String {
        match self {
            AppError::Upstream { body, .. } => {
                error_code(body).unwrap_or_else(|| ProxyCode::UpstreamError.as_str().to_owned())
            }
            other => other.parts().1.as_str().to_owned(),
        }
    }

    /// The status and code this error answers with (the OpenAPI document lists them from here,
    /// so it cannot disagree with the answers).
    pub fn status_and_code(&self) -> (StatusCode, String) {
        (self.parts().0, self.code())
    }
}

/// The `code` of a body in the shared error shape (MiniVoice's or ours).
pub fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error.code.as_str().to_owned())
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Upstream { status, body } = self {
            return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        let (status, code, message) = self.parts();
        if status.is_server_error() {
            tracing::warn!(%status, code = code.as_str(), %message, "request failed");
        } else {
            tracing::debug!(%status, code = code.as_str(), %message, "request refused");
        }
        let body = ErrorEnvelope::new(code, message);
        let mut resp = (status, axum::Json(&body)).into_response();
        resp.extensions_mut().insert(Shaped(body));
        resp
    }
}

/// An answer of ours in the shared error shape, kept beside its rendered body: the request-ID
/// middleware renders it again with the ID among its fields (MiniVoice's own errors, passed
/// through unchanged, carry none).
#[derive(Clone, Debug)]
pub struct Shaped(ErrorEnvelope);

impl Shaped {
    /// The body again, `request_id` after the code and message.
    pub fn with_request_id(mut self, id: &str) -> Vec<u8> {
        self.0.error.extra.insert("request_id".into(), id.into());
        serde_json::to_vec(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_the_shared_shape() {
        let resp = AppError::UpstreamTimeout.into_response();
        assert_eq!(resp.status(), StatusCode::GATEWAY_TIMEOUT);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let env: ErrorEnvelope = serde_json::from_slice(&body).unwrap();
        assert_eq!(env.error.code.as_str(), "upstream_timeout");
    }

    #[tokio::test]
    async fn passes_minivoice_errors_through_unchanged() {
        let raw = Bytes::from_static(br#"{"error":{"code":"x_new","message":"m","hint":1}}"#);
        let resp = AppError::Upstream {
            status: StatusCode::CONFLICT,
            body: raw.clone(),
        }
        .into_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        assert_eq!(body, raw);
    }
}
