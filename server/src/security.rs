//! Response headers every answer carries, request header limits, and CORS.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::AppError;
use crate::local::Trust;

/// What [`LoopbackOnly`] refuses to others, in its error's words.
const REMOTE_API: &str = "without agent tokens (WIDGET_TOKEN_SECRET), the API is served";

/// Far above any browser's real headers, far below what a flood would need.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// For everything that is not the widget's page: nothing may load or frame it.
const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Every request's edge, after its request ID: headers within their limit, then the answer
/// with the headers every answer carries. One middleware rather than two: axum clones each
/// layer's service per request, and on a forwarded list that cost showed in the profile.
pub async fn edge(req: Request, next: Next) -> Response {
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return AppError::HeadersTooLarge.into_response();
    }
    let api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    add_headers(&mut resp, api);
    resp
}

fn add_headers(resp: &mut Response, api: bool) {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(STRICT_CSP),
        );
    }
    if api {
        // Recordings are live state: never serve them from a cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Anonymous mode with a real key: only this machine may drive the API. A request from
/// elsewhere, or through a reverse proxy, is refused (`crate::local`) unless
/// `--allow-anonymous` opened the API to others. A foreign `Host` is DNS rebinding (a site
/// whose name now resolves to 127.0.0.1); a foreign `Origin` is any page the agent has open
/// posting across sites. Origins listed in `ALLOWED_ORIGINS` stay allowed.
pub struct LoopbackOnly {
    allowed: Arc<[HeaderValue]>,
    trust: Trust,
}

impl LoopbackOnly {
    pub fn new(allowed: Arc<[HeaderValue]>, trust: Trust) -> LoopbackOnly {
        LoopbackOnly { allowed, trust }
    }

    /// Why `req` is refused, if it is.
    pub fn refusal(&self, req: &Request) -> Option<AppError> {
        let local = self.trust.is_local(req.headers(), req.extensions());
        if !local && !self.trust.anonymous_from_anywhere {
            return Some(AppError::ForbiddenRemote(REMOTE_API));
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        if !is_loopback_host(host) {
            return Some(AppError::ForbiddenHost);
        }
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let own = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host);
            if !own && !self.allowed.contains(origin) {
                return Some(AppError::ForbiddenOrigin);
            }
        }
        None
    }
}

/// `localhost`, `127.0.0.1`, `[::1]`, each with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Same-origin unless origins are listed; those may call `/api` from their pages.
pub fn cors(allowed: &[HeaderValue]) -> Option<CorsLayer> {
    if allowed.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed.iter().cloned()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.1",
            "",
            "localhost.evil.example",
            "[::2]",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
