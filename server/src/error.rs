//! The only place that shapes error responses: every failure becomes a status and the shared
//! `{"error":{"code","message"}}` body.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use minivoice_shared::{ErrorEnvelope, MiniVoiceCode, ProxyCode};

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
    HeadersTooLarge,
    InvalidSignature(String),
    WebhookQueueFull,
    EventsUnavailable,
    TooManyStreams,
    ForbiddenHost,
    ForbiddenOrigin,
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
    /// The store failed during `op`: counted and logged with its detail, answered 503 without
    /// it (a database error can name users, tables or hosts).
    pub fn store(op: &'static str, e: sqlx::Error) -> Self {
        crate::telemetry::store_error(op);
        tracing::error!(op, error = %e, "store error");
        AppError::StoreUnavailable
    }

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
        match self {
            AppError::Upstream { status, .. } => (*status, self.code()),
            other => (other.parts().0, self.code()),
        }
    }

    fn parts(&self) -> (StatusCode, ProxyCode, String) {
        use AppError::*;
        match self {
            Unauthorized(m) => (
                StatusCode::UNAUTHORIZED,
                ProxyCode::Unauthorized,
                format!("a valid agent token is required: {m}"),
            ),
            ForbiddenCall => (
                StatusCode::FORBIDDEN,
                ProxyCode::ForbiddenCall,
                "this token does not allow acting on this call".into(),
            ),
            InvalidCallId => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidCallId,
                "call ID must be 1-64 letters, digits, '_' or '-'".into(),
            ),
            InvalidRecordingId => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidRecordingId,
                "recording ID must be 1-64 letters, digits, '_' or '-'".into(),
            ),
            InvalidAction(m) => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidAction,
                format!("body must be {{\"action\":\"start\"}} or {{\"action\":\"stop\"}}: {m}"),
            ),
            InvalidJson(m) => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidJson,
                format!("body is not valid JSON: {m}"),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ProxyCode::UnsupportedMediaType,
                "send the body as Content-Type: application/json".into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ProxyCode::PayloadTooLarge,
                "request body is too large".into(),
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                ProxyCode::NotFound,
                "no such route".into(),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                ProxyCode::MethodNotAllowed,
                "method not allowed on this route".into(),
            ),
            InvalidIdempotencyKey => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1-128 visible ASCII characters".into(),
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ProxyCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for a different action".into(),
            ),
            ActionInProgress => (
                StatusCode::CONFLICT,
                ProxyCode::ActionInProgress,
                "another start or stop for this call is in progress; try again".into(),
            ),
            CallAlreadyPaused => (
                StatusCode::CONFLICT,
                ProxyCode::CallAlreadyPaused,
                "recording on this call is already paused".into(),
            ),
            CallNotPaused => (
                StatusCode::CONFLICT,
                ProxyCode::CallNotPaused,
                "recording on this call is not paused, so there is nothing to resume".into(),
            ),
            InvalidReason(m) => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidReason,
                format!("body must be empty or {{\"reason\":\"…\"}}, short and printable: {m}"),
            ),
            SupervisorRequired => (
                StatusCode::FORBIDDEN,
                ProxyCode::SupervisorRequired,
                "needs a supervisor token (calls [\"*\"]), or this machine without tokens".into(),
            ),
            InvalidQuery(m) => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidQuery,
                format!("invalid query: {m}"),
            ),
            HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ProxyCode::HeadersTooLarge,
                "request headers are too large".into(),
            ),
            InvalidSignature(m) => (
                StatusCode::UNAUTHORIZED,
                ProxyCode::InvalidSignature,
                format!("webhook signature rejected: {m}"),
            ),
            WebhookQueueFull => (
                StatusCode::SERVICE_UNAVAILABLE,
                ProxyCode::WebhookQueueFull,
                "too many webhooks waiting; deliver again later".into(),
            ),
            EventsUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ProxyCode::EventsUnavailable,
                "live events are not available right now; poll instead".into(),
            ),
            TooManyStreams => (
                StatusCode::TOO_MANY_REQUESTS,
                ProxyCode::TooManyStreams,
                "this agent has as many live streams open as allowed; close one or poll".into(),
            ),
            ForbiddenHost => (
                StatusCode::FORBIDDEN,
                ProxyCode::ForbiddenHost,
                "without agent tokens only a loopback Host (127.0.0.1, localhost) is served".into(),
            ),
            ForbiddenOrigin => (
                StatusCode::FORBIDDEN,
                ProxyCode::ForbiddenOrigin,
                "without agent tokens only same-origin pages may call the API".into(),
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                ProxyCode::RequestTimeout,
                "the request body did not arrive in time".into(),
            ),
            StoreUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ProxyCode::StoreUnavailable,
                "the proxy's store is unavailable, so nothing was sent; try again shortly".into(),
            ),
            UpstreamTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                ProxyCode::UpstreamTimeout,
                "MiniVoice did not answer in time".into(),
            ),
            UpstreamUnavailable => (
                StatusCode::BAD_GATEWAY,
                ProxyCode::UpstreamUnavailable,
                "MiniVoice could not be reached".into(),
            ),
            UpstreamInvalidResponse(m) => (
                StatusCode::BAD_GATEWAY,
                ProxyCode::UpstreamInvalidResponse,
                format!("MiniVoice sent an answer we cannot read: {m}"),
            ),
            UpstreamError(status) => (
                StatusCode::BAD_GATEWAY,
                ProxyCode::UpstreamError,
                format!("MiniVoice failed with HTTP {}", status.as_u16()),
            ),
            UpstreamAuthFailed => (
                StatusCode::BAD_GATEWAY,
                ProxyCode::UpstreamAuthFailed,
                "MiniVoice refused the proxy's API key".into(),
            ),
            Internal(m) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ProxyCode::Internal,
                format!("internal error: {m}"),
            ),
            Upstream { status, .. } => (*status, ProxyCode::UpstreamError, String::new()),
        }
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
        let mut body = ErrorEnvelope::new(code, message);
        if let Some(id) = crate::request_id::current() {
            body.error.extra.insert("request_id".into(), id.into());
        }
        (status, axum::Json(body)).into_response()
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
