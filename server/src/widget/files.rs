//! Where the widget's files come from: a folder (`WIDGET_DIR`, for development), or the copy
//! built into this binary, so a copied binary serves the whole product from an empty folder.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::AppError;

/// `dist/` as `cargo xtask widget` left it when this binary was compiled (`build.rs` recompiles
/// when it changes): the page, the hashed assets, and their `.br` / `.gz` variants, not the
/// build's stamp (`.built`). Empty when the widget was not built first.
#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../dist"]
#[allow_missing = true]
#[exclude = ".*"]
struct Embedded;

#[derive(Clone)]
pub enum Widget {
    Dir(Arc<Path>),
    Embedded,
}

impl Widget {
    pub fn new(dir: Option<&Path>) -> Widget {
        match dir {
            Some(dir) => Widget::Dir(dir.into()),
            None => Widget::Embedded,
        }
    }

    /// `index.html`, read per request from a folder so a rebuilt widget is served without a
    /// restart.
    pub async fn page(&self) -> Option<Cow<'static, str>> {
        self.html("index.html").await
    }

    /// The supervisor's page, its own bundle's (`cargo xtask widget` builds it into
    /// `supervisor/`), read like [`Widget::page`].
    pub async fn supervisor_page(&self) -> Option<Cow<'static, str>> {
        self.html("supervisor/index.html").await
    }

    async fn html(&self, name: &str) -> Option<Cow<'static, str>> {
        match self {
            Widget::Dir(dir) => tokio::fs::read_to_string(dir.join(name))
                .await
                .ok()
                .map(Cow::Owned),
            Widget::Embedded => match Embedded::get(name)?.data {
                Cow::Borrowed(bytes) => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
                Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
            },
        }
    }

    /// Where the files come from, for the startup log; `None` when there is no widget to serve.
    pub fn source(&self) -> Option<String> {
        match self {
            Widget::Dir(dir) if dir.join("index.html").is_file() => Some(dir.display().to_string()),
            Widget::Dir(_) => None,
            Widget::Embedded => Embedded::get("index.html").map(|_| "built into the binary".into()),
        }
    }
}

/// An embedded file, as `ServeDir::precompressed_br().precompressed_gzip()` serves one from a
/// folder: the `.br` or `.gz` variant when the browser accepts it (and `Vary` says so, see
/// `cache_headers`), an ETag from its hash, and 304 when the browser has it. Written here
/// because tower-http serves only folders and the embed crates for axum target axum 0.7.
pub async fn serve_embedded(req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut refused = AppError::MethodNotAllowed.into_response();
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return refused;
    }
    // Trunk's names are plain ASCII, so the path is looked up as sent (no percent-decoding);
    // rust-embed matches whole names only, so `..` reaches nothing outside `dist/`.
    let path = req.uri().path().trim_start_matches('/');
    let Some(plain) = Embedded::get(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The most wanted of the variants there are; brotli on a tie (it is smaller).
    let mut variants: Vec<_> = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter_map(|(coding, ext)| Some((weight(accepted, coding)?, coding, ext)))
        .filter_map(|(q, coding, ext)| Some((q, coding, Embedded::get(&format!("{path}{ext}"))?)))
        .collect();
    variants.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (file, encoding) = match variants.into_iter().next() {
        Some((_, coding, file)) => (file, Some(coding)),
        None => (plain.clone(), None),
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut headers = HeaderMap::new();
    if let Ok(mime) = HeaderValue::from_str(plain.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    if let Some(coding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, file.data).into_response()
}

/// How much an `Accept-Encoding` value wants `coding` (named, or by `*`): its `q`, 1 when
/// unweighted; `None` when it does not accept it (absent, or `q=0`).
fn weight(accept_encoding: &str, coding: &str) -> Option<f32> {
    let mut named = None;
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(1.0f32);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(q);
        } else if name == "*" {
            any = Some(q);
        }
    }
    named.or(any).filter(|q| *q > 0.0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert_eq!(weight("gzip, deflate, br, zstd", "br"), Some(1.0));
        assert_eq!(weight("gzip;q=0.5, br;q=1.0", "gzip"), Some(0.5));
        assert_eq!(weight("gzip, br;q=0", "br"), None);
        assert_eq!(weight("gzip, br;Q=0", "br"), None);
        assert_eq!(weight("identity", "gzip"), None);
        assert_eq!(weight("*", "br"), Some(1.0));
        assert_eq!(weight("*, br;q=0", "br"), None);
        assert_eq!(weight("", "gzip"), None);
    }
}
