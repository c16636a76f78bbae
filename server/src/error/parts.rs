//! What each of the proxy's own errors answers: its status, its code and its message.

use axum::http::StatusCode;
use minivoice_shared::ProxyCode;

use super::AppError;

impl AppError {
    pub(super) fn parts(&self) -> (StatusCode, ProxyCode, String) {
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
            InvalidRange(m) => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvalidRange,
                format!("invalid range: {m}"),
            ),
            InvertedRange => (
                StatusCode::BAD_REQUEST,
                ProxyCode::InvertedRange,
                "`to` must be after `from`".into(),
            ),
            RangeTooLong => (
                StatusCode::BAD_REQUEST,
                ProxyCode::RangeTooLong,
                "a report spans at most 31 days".into(),
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
            ForbiddenRemote(what) => (
                StatusCode::FORBIDDEN,
                ProxyCode::ForbiddenRemote,
                format!(
                    "{what} only from this machine; this request came from elsewhere or \
                     through a reverse proxy (Forwarded, X-Forwarded-For or X-Real-IP)"
                ),
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
