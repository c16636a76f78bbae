//! Serving the built widget: the page with a Content-Security-Policy that lets its WASM run
//! and nothing else in, hashed assets cached forever, the page never.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

mod files;

pub use files::{serve_embedded, Widget};

/// `GET /`: `index.html`, with its inline loader script allowed by hash.
/// Also `GET /embed`: the same page, which the ALLOWED_ORIGINS may frame.
pub async fn index(
    State(widget): State<Widget>,
    State(framers): State<Arc<[HeaderValue]>>,
) -> Response {
    page(widget.page().await, &framers)
}

/// `GET /supervisor`: the supervisor's page, which loads the supervisor's own bundle from
/// `/supervisor/…` (an agent's widget never downloads it), with the same headers.
pub async fn supervisor(
    State(widget): State<Widget>,
    State(framers): State<Arc<[HeaderValue]>>,
) -> Response {
    page(widget.supervisor_page().await, &framers)
}

fn page(html: Option<Cow<'static, str>>, framers: &[HeaderValue]) -> Response {
    match html {
        Some(html) => {
            let csp = page_csp(&html, framers);
            let mut resp = Html(html).into_response();
            let h = resp.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(v) = HeaderValue::from_str(&csp) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
            resp
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The widget is not built. Run `cargo xtask run`, or build it with `cargo xtask \
             widget` before building this binary.",
        )
            .into_response(),
    }
}

/// Cache headers for the static files: Trunk names them by content hash, so they never change.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut resp = next.run(req).await;
    // A 304 says the same of the copy the browser kept as its 200 did.
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
        // A `.br` or `.gz` variant may have been chosen: caches must key on the encoding.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    resp
}

/// `name-0123456789abcdef.ext`, as Trunk's `filehash` writes them.
fn is_hashed(path: &str) -> bool {
    let file = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let file = file.strip_suffix("_bg").unwrap_or(file);
    // Trunk writes its 64-bit hash in hex without leading zeros: 16 digits, 15 one time in 16,
    // fewer rarely (seen: a 15-digit supervisor bundle served `no-cache`).
    file.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn page_csp(html: &str, framers: &[HeaderValue]) -> String {
    let framers: String = framers
        .iter()
        .filter_map(|o| o.to_str().ok())
        .map(|o| format!(" {o}"))
        .collect();
    let hashes: String = inline_scripts(html)
        .map(|body| {
            let digest = Sha256::digest(body.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'self'{framers}"
    )
}

/// Bodies of `<script>` elements without `src` (Trunk's module loader).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, after) = rest.split_once('>')?;
        if attrs.contains("src=") {
            return None;
        }
        after.split_once("</script>").map(|(body, _)| body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed("/minivoice-widget-479fa88318eed8c8.js"));
        assert!(is_hashed("/minivoice-widget-479fa88318eed8c8_bg.wasm"));
        assert!(is_hashed("/widget-e007aaff289b228f.css"));
        assert!(is_hashed(
            "/supervisor/minivoice-widget-87998e222cb63d0_bg.wasm"
        ));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.ico"));
        assert!(!is_hashed("/a-short.js"));
    }

    #[test]
    fn csp_allows_exactly_the_inline_loader() {
        let html = "<head><script type=\"module\">import x;</script>\
                    <script src=\"/a.js\"></script></head>";
        let csp = page_csp(html, &[HeaderValue::from_static("https://crm.example")]);
        assert!(
            csp.ends_with("frame-ancestors 'self' https://crm.example"),
            "{csp}"
        );
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import x;"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1);
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
