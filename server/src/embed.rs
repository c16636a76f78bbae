//! Embedding: `<script type="module" src="…/minivoice-recordings.js">` defines the
//! `<minivoice-recordings>` element for any page (typed by `/minivoice-recordings.d.ts`, and
//! for React's JSX by `/minivoice-recordings.react.d.ts`), and `/embed?call_id=…` serves the
//! widget alone for an iframe.
//!
//! The element script is written per request from the built `index.html`, so it always names
//! the current content-hashed bundle.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::widget::Widget;

/// The custom element, around the bundle's `mount_widget`. Placeholders: `__JS__`, `__WASM__`,
/// `__CSS__`, and `__SUPERVISOR_JS__`, `__SUPERVISOR_WASM__`: the supervisor's own bundle,
/// which only a `<minivoice-supervisor>` loads.
const ELEMENT_JS: &str = include_str!("embed/minivoice-recordings.js");

/// The element's TypeScript declarations: its attributes, methods and events.
const ELEMENT_TYPES: &str = include_str!("embed/minivoice-recordings.d.ts");

/// React's JSX entry for the element; it imports the declarations above from beside it.
const ELEMENT_REACT_TYPES: &str = include_str!("embed/minivoice-recordings.react.d.ts");

/// `GET /minivoice-recordings.d.ts`, for a CRM's build to fetch beside the script (e.g. into
/// its `types/`); the same for every build of the widget.
pub async fn element_types() -> Response {
    typescript(ELEMENT_TYPES)
}

/// `GET /minivoice-recordings.react.d.ts`, saved beside `minivoice-recordings.d.ts`.
pub async fn element_react_types() -> Response {
    typescript(ELEMENT_REACT_TYPES)
}

fn typescript(source: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/typescript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        source,
    )
        .into_response()
}

/// `GET /minivoice-recordings.js`
pub async fn element_script(State(widget): State<Widget>) -> Response {
    let Some(index) = widget.page().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the widget is not built").into_response();
    };
    let Some(bundle) = Bundle::find(&index) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the built widget names no bundle",
        )
            .into_response();
    };
    // Not built (a `dist/` from before it existed): a `<minivoice-supervisor>` fails to load,
    // the recordings element works.
    let supervisor = widget.supervisor_page().await;
    let supervisor = supervisor.as_deref().and_then(Bundle::find);
    let (supervisor_js, supervisor_wasm) = supervisor.map(|b| (b.js, b.wasm)).unwrap_or_default();
    let script = ELEMENT_JS
        .replace("__SUPERVISOR_JS__", &supervisor_js)
        .replace("__SUPERVISOR_WASM__", &supervisor_wasm)
        .replace("__JS__", &bundle.js)
        .replace("__WASM__", &bundle.wasm)
        .replace("__CSS__", &bundle.css);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Its name is stable, its content changes with each build.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        script,
    )
        .into_response()
}

/// The bundle files `index.html` loads.
#[derive(Debug, PartialEq)]
struct Bundle {
    js: String,
    wasm: String,
    css: String,
}

impl Bundle {
    fn find(index: &str) -> Option<Bundle> {
        let between = |from: &str, to: char| -> Option<String> {
            let start = index.find(from)? + from.len();
            let len = index[start..].find(to)?;
            Some(index[start..start + len].to_owned())
        };
        let js = between("from '", '\'')?;
        let wasm = between("module_or_path: '", '\'')?;
        // The page is minified: the stylesheet's `href` may be unquoted and come before `rel`.
        let css = index.split("href=").skip(1).find_map(|rest| {
            let value = match rest.strip_prefix(['"', '\'']) {
                Some(quoted) => &quoted[..quoted.find(&rest[..1])?],
                None => &rest[..rest.find([' ', '>'])?],
            };
            value.ends_with(".css").then(|| value.to_owned())
        })?;
        let safe = |s: &str| {
            s.starts_with('/')
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
        };
        (safe(&js) && safe(&wasm) && safe(&css)).then_some(Bundle { js, wasm, css })
    }
}

/// Static widget files may be loaded by any page that embeds the element (they are public
/// and carry no data): module scripts, WASM and the stylesheet are fetched with CORS.
pub async fn shareable(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bundle_in_trunks_index() {
        let index = r#"<link rel="stylesheet" href="/widget-e007aaff289b228f.css" integrity="x"/>
<script type="module">
import init, * as bindings from '/minivoice-widget-479fa88318eed8c8.js';
const wasm = await init({ module_or_path: '/minivoice-widget-479fa88318eed8c8_bg.wasm' });
</script>"#;
        assert_eq!(
            Bundle::find(index),
            Some(Bundle {
                js: "/minivoice-widget-479fa88318eed8c8.js".into(),
                wasm: "/minivoice-widget-479fa88318eed8c8_bg.wasm".into(),
                css: "/widget-e007aaff289b228f.css".into(),
            })
        );
        let minified = index.replace(
            r#"<link rel="stylesheet" href="/widget-e007aaff289b228f.css" integrity="x"/>"#,
            "<link href=/widget-e007aaff289b228f.css integrity=sha384-x rel=stylesheet>",
        );
        assert_eq!(Bundle::find(&minified), Bundle::find(index));
        assert_eq!(Bundle::find("<html></html>"), None);
        let hostile = index.replace("/widget-e007aaff289b228f.css", "/x.css';alert(1)//");
        assert_eq!(Bundle::find(&hostile), None);
    }
}
