//! The widget's side of the site: its page (`/`, `/index.html`, `/embed`), the supervisor's
//! page (`/supervisor`, a bundle of its own under `/supervisor/…`, so an agent's widget never
//! downloads the supervisor's view) and their files, the custom element's script and types
//! among them. Not in the OpenAPI document: not the API.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{HeaderValue, Uri};
use axum::response::Redirect;
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

use crate::embed;
use crate::widget::{self, Widget};

/// The page and the files of `widget`, for any state holding the widget and the origins that
/// may frame its page.
pub fn routes<S>(widget: &Widget) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Widget: FromRef<S>,
    Arc<[HeaderValue]>: FromRef<S>,
{
    let assets = Router::new()
        .route(
            "/minivoice-recordings.js",
            get(embed::element_script).layer(CompressionLayer::new()),
        )
        .route("/minivoice-recordings.d.ts", get(embed::element_types))
        .route(
            "/minivoice-recordings.react.d.ts",
            get(embed::element_react_types),
        );
    // The `.br` / `.gz` files `cargo xtask` writes beside each asset, when the browser
    // accepts them (the answer then varies by Accept-Encoding, and says so).
    let assets = match widget {
        Widget::Dir(dir) => assets.fallback_service(
            ServeDir::new(dir.as_ref())
                .precompressed_br()
                .precompressed_gzip(),
        ),
        Widget::Embedded => assets.fallback(widget::serve_embedded),
    }
    .layer(middleware::from_fn(widget::cache_headers))
    .layer(middleware::from_fn(embed::shareable));
    // The page is written per request (its CSP names the loader's hash): compressed likewise.
    let page = get(widget::index).layer(CompressionLayer::new());
    Router::new()
        .route("/", page.clone())
        .route("/index.html", page.clone())
        .route("/embed", page)
        .route(
            "/supervisor",
            get(widget::supervisor).layer(CompressionLayer::new()),
        )
        // The supervisor's page's names in `dist/`: served as files, they would lack its CSP.
        .route("/supervisor/", get(to_supervisor))
        .route("/supervisor/index.html", get(to_supervisor))
        .merge(assets)
}

/// To `/supervisor`, the query kept (the fragment, a token, the browser keeps itself).
async fn to_supervisor(uri: Uri) -> Redirect {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::permanent(&format!("/supervisor{query}"))
}
