//! Where the widget's files come from: a folder (`WIDGET_DIR`, for development), or the copy
//! built into this binary, so a copied binary serves the whole product from an empty folder.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

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
        match self {
            Widget::Dir(dir) => tokio::fs::read_to_string(dir.join("index.html"))
                .await
                .ok()
                .map(Cow::Owned),
            Widget::Embedded => match Embedded::get("index.html")?.data {
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
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = req.uri().path().trim_start_matches('/');
    let Some(plain) = Embedded::get(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (file, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(accepted, coding))
        .find_map(|(coding, ext)| Some((Embedded::get(&format!("{path}{ext}"))?, Some(coding))))
        .unwrap_or((plain.clone(), None));
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

/// Whether an `Accept-Encoding` value accepts `coding` (named, or by `*`), honouring `q=0`.
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if name.eq_ignore_ascii_case(coding) {
            named = Some(!refused);
        } else if name == "*" {
            any = Some(!refused);
        }
    }
    named.or(any).unwrap_or(false)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip;q=0.5, br;q=1.0", "gzip"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(!accepts("identity", "gzip"));
        assert!(accepts("*", "br"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("", "gzip"));
    }
}
