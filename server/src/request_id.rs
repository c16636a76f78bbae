//! Every request gets an `x-request-id` (the caller's, when it sends a sane one), carried in a
//! tracing span with the call ID, returned in a header and in error bodies (added here, to the
//! answers `crate::error` shaped), so a screenshot of an agent's error leads straight to the
//! log lines. The answer line itself, one per request at
//! INFO, and the HTTP metrics are `crate::telemetry::access`'s.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::error::Shaped;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The ID of the request being handled, when called inside one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub async fn layer(req: Request, next: Next) -> Response {
    around(req, |req| next.run(req)).await
}

/// [`layer`] around `inner`, for a middleware that does more at the same place (`app`'s one
/// outer middleware: each layer is a service axum clones per request).
pub async fn around<F>(req: Request, inner: impl FnOnce(Request) -> F) -> Response
where
    F: std::future::Future<Output = Response>,
{
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map(str::to_owned)
        .unwrap_or_else(generate);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = ?req.uri().path(),
        call_id = tracing::field::Empty,
        agent = tracing::field::Empty,
    );
    let exchange = crate::telemetry::Exchange::begin(&req);
    let mut resp = REQUEST_ID
        .scope(id.clone(), inner(req))
        .instrument(span.clone())
        .await;
    // After the handler, so the span holds the call ID and agent the extractors recorded.
    exchange.finish(&span, resp.status());
    if let Some(shaped) = resp.extensions_mut().remove::<Shaped>() {
        // An encoded body is not ours to rewrite (no error answer is compressed today).
        if !resp.headers().contains_key(header::CONTENT_ENCODING) {
            *resp.body_mut() = Body::from(shaped.with_request_id(&id));
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}

/// Records the call a request is about on its span (called where the call ID is validated).
pub fn record_call(call_id: &str) {
    tracing::Span::current().record("call_id", tracing::field::display(call_id));
}

fn is_sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn generate() -> String {
    format!(
        "req_{:016x}{:08x}",
        rand::random::<u64>(),
        rand::random::<u32>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ID joins the error body as it did when the error read it itself: the same bytes
    /// as inserting it into the envelope before rendering.
    #[tokio::test]
    async fn error_bodies_name_the_request() {
        use crate::error::AppError;
        use axum::response::IntoResponse;
        use minivoice_shared::ErrorEnvelope;
        use tower::ServiceExt;

        let bare = AppError::InvalidCallId.into_response();
        let bare = axum::body::to_bytes(bare.into_body(), 1 << 16)
            .await
            .unwrap();
        let mut expected: ErrorEnvelope = serde_json::from_slice(&bare).unwrap();
        expected
            .error
            .extra
            .insert("request_id".into(), "req-1".into());

        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async { AppError::InvalidCallId }),
            )
            .layer(axum::middleware::from_fn(layer));
        let req = axum::http::Request::get("/")
            .header(HEADER, "req-1")
            .body(Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.headers()[HEADER], "req-1");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        assert_eq!(body, serde_json::to_vec(&expected).unwrap());
    }

    #[test]
    fn only_sane_ids_are_kept() {
        assert!(is_sane("abc-123_x.y:z"));
        assert!(!is_sane(""));
        assert!(!is_sane("a b"));
        assert!(!is_sane("<script>"));
        assert!(!is_sane(&"a".repeat(129)));
        assert!(is_sane(&generate()));
    }
}
