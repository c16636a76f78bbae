//! `app(state) -> Router`: the whole HTTP surface in one place, so tests can drive it with
//! `oneshot` or over a real socket.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use minivoice_shared::ProxyInfo;
use tower::util::MapRequestLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::TokenKeys;
use crate::config::ServeConfig;
use crate::error::AppError;
use crate::events::{Hub, Limits};
use crate::local::Trust;
use crate::recordings;
use crate::secret::Secret;
use crate::startup::StartError;
use crate::store::Store;
use crate::upstream::Upstream;
use crate::webhooks::{self, HeaderNames, Webhooks};
use crate::{embed, openapi, request_id, security, telemetry, widget};

/// The recording action body is a few bytes; anything near this is hostile.
pub const MAX_REQUEST_BODY: usize = 16 * 1024;

/// Everything the handlers share. axum hands every handler and middleware its own copy of the
/// state on every request, so it is one `Arc` (a clone is a counter increment): as a plain
/// struct its clones and drops were 5% of a forwarded request in the profile.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

pub struct Parts {
    pub upstream: Upstream,
    pub info: ProxyInfo,
    pub widget: widget::Widget,
    /// Origins other than our own that may call `/api` (CORS); empty means same-origin only.
    pub allowed_origins: Arc<[HeaderValue]>,
    /// Agent-token keys; `None` runs anonymous.
    pub tokens: Option<Arc<TokenKeys>>,
    pub store: Store,
    pub hub: Arc<Hub>,
    pub webhooks: Arc<Webhooks>,
    /// A request body must arrive whole within this, so slow clients cannot hold connections.
    pub body_timeout: Duration,
    /// Bearer token `/metrics` requires; `None` serves it to anyone.
    pub metrics_token: Option<Secret>,
    /// How long a pause lasts before the server resumes by itself; `None`: never.
    pub pause_max: Option<Duration>,
    /// Which requests count as this machine's, and what the operator opened beyond it.
    pub trust: Trust,
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What handlers extract with `State<T>`: each part, cloned out of the shared state.
macro_rules! parts {
    ($($field:ident: $ty:ty,)+) => {
        $(impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> $ty {
                state.0.$field.clone()
            }
        })+
    };
}

parts! {
    upstream: Upstream,
    info: ProxyInfo,
    widget: widget::Widget,
    allowed_origins: Arc<[HeaderValue]>,
    tokens: Option<Arc<TokenKeys>>,
    store: Store,
    hub: Arc<Hub>,
    webhooks: Arc<Webhooks>,
    body_timeout: Duration,
    metrics_token: Option<Secret>,
    pause_max: Option<Duration>,
    trust: Trust,
}

impl AppState {
    /// The one way to assemble the state (`start` and tests alike); starts the webhook worker
    /// and the automatic resume of pauses (which first resumes any overdue one).
    pub async fn new(
        cfg: &ServeConfig,
        store: Store,
        upstream: Upstream,
        sandbox: bool,
        webhook_secret: Option<&Secret>,
    ) -> Result<AppState, StartError> {
        let tokens = match cfg.token_secret.resolve().map_err(StartError::SecretFile)? {
            Some(secret) => Some(Arc::new(
                TokenKeys::with_policy(&secret, cfg.token_policy.clone())
                    .map_err(StartError::Invalid)?,
            )),
            None => None,
        };
        let store = if sandbox { store.in_sandbox() } else { store };
        let hub = Hub::new(
            store.clone(),
            Limits {
                max_streams: cfg.max_event_streams,
                per_agent: cfg.max_streams_per_agent,
                heartbeat: Duration::from_millis(cfg.sse_heartbeat_ms),
            },
        )
        .await
        .map_err(|source| StartError::Store {
            url: "(listening for live events)".into(),
            source,
        })?;
        let webhooks = Webhooks::start(
            webhook_secret.map(Secret::expose),
            HeaderNames::from(cfg),
            store.clone(),
            hub.clone(),
            cfg.webhook_inspect_keep,
        )
        .await
        .map_err(StartError::Invalid)?;
        let state = AppState(Arc::new(Parts {
            upstream,
            info: ProxyInfo {
                sandbox,
                version: env!("CARGO_PKG_VERSION").into(),
                event_streams: 0,
            },
            widget: widget::Widget::new(cfg.widget_dir.as_deref()),
            allowed_origins: cfg.allowed_origins.clone().into(),
            tokens,
            store,
            hub,
            webhooks,
            body_timeout: Duration::from_millis(cfg.body_timeout_ms),
            metrics_token: cfg.metrics_token.clone(),
            pause_max: cfg.pause_max(),
            trust: Trust::new(cfg),
        }));
        recordings::spawn_auto_resume(state.clone());
        Ok(state)
    }
}

pub fn app(state: AppState) -> Router {
    // Every route below but the widget's is added with `routes!`, which puts its description
    // in the OpenAPI document as it adds it to the router: `GET /api/openapi.json` serves what
    // the router is.
    let (document, served) = openapi::route();
    let (api, api_doc) = OpenApiRouter::new()
        .routes(routes!(info))
        .routes(document)
        .merge(openapi::agent_only(
            recordings::routes().merge(webhooks::inspect::routes()),
            &state,
        ))
        .split_for_parts();
    let (root, root_doc) = OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(telemetry::prometheus::metrics))
        .routes(routes!(ready))
        .routes(routes!(webhooks::receiver::receive).map(|r| {
            r.layer(DefaultBodyLimit::max(webhooks::MAX_WEBHOOK_BODY))
                .fallback(|| async { AppError::MethodNotAllowed })
        }))
        .split_for_parts();
    served.set(root_doc.nest("/api", api_doc));
    // In the one error shape, like `/api`'s (before the widget's routes join).
    let root = root.method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    let mut api = api
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .layer(middleware::from_fn_with_state(
            state.store.clone(),
            store_available,
        ));
    if state.tokens.is_none() && !state.info.sandbox {
        api = api.layer(middleware::from_fn_with_state(
            state.clone(),
            security::loopback_only,
        ));
    }
    if let Some(cors) = security::cors(&state.allowed_origins) {
        api = api.layer(cors);
    }
    let assets = Router::new()
        .route(
            "/minivoice-recordings.js",
            get(embed::element_script).layer(CompressionLayer::new()),
        )
        .route("/minivoice-recordings.d.ts", get(embed::element_types));
    // The `.br` / `.gz` files `cargo xtask` writes beside each asset, when the browser
    // accepts them (the answer then varies by Accept-Encoding, and says so).
    let assets = match &state.widget {
        widget::Widget::Dir(dir) => assets.fallback_service(
            ServeDir::new(dir.as_ref())
                .precompressed_br()
                .precompressed_gzip(),
        ),
        widget::Widget::Embedded => assets.fallback(widget::serve_embedded),
    }
    .layer(middleware::from_fn(widget::cache_headers))
    .layer(middleware::from_fn(embed::shareable));
    // The page is written per request (its CSP names the loader's hash): compressed likewise.
    let page = get(widget::index).layer(CompressionLayer::new());
    root.route("/", page.clone())
        .route("/index.html", page.clone())
        .route("/embed", page)
        .nest("/api", api)
        .merge(assets)
        .layer(MapRequestLayer::new(crate::serve::body_deadline(
            state.body_timeout,
        )))
        .layer(middleware::from_fn(every_request))
        .with_state(state)
}

/// What every request passes through, outermost first: its request ID (and answer line and
/// metrics), then the header limit and the security headers. One middleware, not two: axum
/// clones each layer's service per request.
async fn every_request(req: Request, next: Next) -> Response {
    request_id::around(req, |req| security::edge(req, next)).await
}

/// What a `&str` answer is sent as.
const TEXT: &str = "text/plain; charset=utf-8";

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "`ok`", content_type = TEXT, body = String),
    openapi::EdgeRefusals,
))]
async fn healthz() -> &'static str {
    "ok"
}

/// `/readyz`: 200 when the store answers and every migration is applied, else 503 (a load
/// balancer sends no traffic here meanwhile). `/healthz` stays liveness only.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "`ready`", content_type = TEXT, body = String),
    (status = 503, description = "`store_unavailable`: the store does not answer, or a \
        migration is not applied", body = minivoice_shared::ErrorEnvelope),
    openapi::EdgeRefusals,
))]
async fn ready(State(store): State<Store>) -> Response {
    if store.ready().await {
        "ready".into_response()
    } else {
        AppError::StoreUnavailable.into_response()
    }
}

/// While the store is unreachable, `/api` answers 503 at once: nothing can be recorded, so
/// nothing is forwarded, and no request waits out a connection timeout.
async fn store_available(State(store): State<Store>, req: Request, next: Next) -> Response {
    if store.is_healthy() {
        next.run(req).await
    } else {
        AppError::StoreUnavailable.into_response()
    }
}

/// Whether this is the sandbox, the proxy's version, and its open event streams.
#[utoipa::path(get, path = "/info", tag = "proxy", responses(
    (status = 200, description = "About the proxy", body = ProxyInfo),
    openapi::ApiRefusals,
))]
async fn info(State(info): State<ProxyInfo>, State(hub): State<Arc<Hub>>) -> Json<ProxyInfo> {
    Json(ProxyInfo {
        event_streams: hub.open_streams(),
        ..info
    })
}

/// A state for the unit tests that drive `app` with `oneshot`: an in-memory store, no widget,
/// and an upstream on port 9 of loopback, where nothing listens, so any forward fails loudly.
#[cfg(test)]
pub(crate) async fn test_state(sandbox: bool) -> AppState {
    let store = Store::open("sqlite::memory:", Default::default())
        .await
        .unwrap();
    let upstream = Upstream::new(
        "http://127.0.0.1:9",
        Secret::new("k"),
        Duration::from_millis(200),
    )
    .unwrap();
    let cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    AppState::new(&cfg, store, upstream, sandbox, None)
        .await
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn state() -> AppState {
        test_state(false).await
    }

    async fn send(mut req: Request<Body>) -> (StatusCode, serde_json::Value) {
        // Anonymous with a real key: only this machine, and loopback hosts, are served.
        req.headers_mut()
            .insert("host", HeaderValue::from_static("127.0.0.1"));
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let resp = app(state().await).oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn routes_answer_in_the_shared_error_shape() {
        let (status, body) = send(
            Request::get("/api/calls/a%2Fb/recordings")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_call_id");
        assert!(body["error"]["request_id"].is_string());

        let (status, body) = send(
            Request::post("/api/calls/c/recordings")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"action":"rewind"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_action");

        let (status, body) = send(Request::get("/api/info").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["sandbox"], false);
    }
}
