//! The MiniVoice recording proxy: the widget's only server. It holds the API key, validates
//! every request, forwards to MiniVoice (or to the built-in sandbox) and serves the widget.

pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod embed;
pub mod error;
pub mod events;
pub mod extract;
pub mod recordings;
pub mod request_id;
pub mod sandbox;
pub mod security;
pub mod serve;
pub mod upstream;
pub mod webhooks;
pub mod widget;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use minivoice_shared::ProxyInfo;
use tokio::net::TcpListener;

pub use app::{app, AppState};
pub use config::{ApiKey, ServeConfig};

/// A proxy that is listening; it serves until the shutdown future given to [`start`] resolves.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the built-in sandbox listens, in sandbox mode.
    pub sandbox_addr: Option<SocketAddr>,
    pub served: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds, starts the sandbox when no key is set, and serves in a background task.
pub async fn start(
    cfg: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Running> {
    let key = cfg.resolved_key()?;
    refuse_unsafe_defaults(&cfg, key.is_some())?;
    let tokens = match cfg.token_secret.resolve()? {
        Some(secret) => Some(Arc::new(
            auth::TokenKeys::with_policy(&secret, cfg.token_policy.clone())
                .map_err(std::io::Error::other)?,
        )),
        None => None,
    };
    if tokens.is_none() && cfg.allow_anonymous && !cfg.listen_addr.ip().is_loopback() {
        tracing::warn!(
            listen = %cfg.listen_addr,
            "ANONYMOUS MODE on a non-loopback address: no agent tokens are checked; \
             anyone who can reach this proxy can start and stop recordings of any call"
        );
    }
    let audit = audit::Audit::open(&cfg.database()?)
        .await
        .map_err(|e| std::io::Error::other(format!("audit database: {e}")))?;
    // Bound first: the sandbox needs our address to send its webhooks to.
    let listener = TcpListener::bind(cfg.listen_addr).await?;
    let addr = listener.local_addr()?;
    let names = webhooks::HeaderNames {
        id: cfg.webhook_id_header.clone(),
        timestamp: cfg.webhook_timestamp_header.clone(),
        signature: cfg.webhook_signature_header.clone(),
    };
    let mut webhook_secret = cfg.webhook_secret.clone();
    let (key, base_url, sandbox_addr) = match key {
        Some(key) => (key, cfg.base_url.clone(), None),
        None => {
            // A fresh key per run: the sandbox checks it, so the auth header path is real.
            let key = ApiKey::new(format!("sandbox_{:016x}", rand::random::<u64>()));
            // Signed webhooks too, as a real MiniVoice would send them.
            let secret = webhook_secret
                .get_or_insert_with(|| ApiKey::new(sandbox::new_webhook_secret()))
                .clone();
            let target = sandbox::WebhookTarget {
                url: format!("http://{addr}/webhooks/minivoice"),
                secret,
                names: names.clone(),
            };
            let addr =
                sandbox::spawn_with(cfg.sandbox_listen_addr, Some(key.clone()), Some(target))
                    .await?;
            tracing::warn!(
                sandbox = %addr,
                "SANDBOX MODE: no MINIVOICE_API_KEY set; forwarding to a simulated MiniVoice, \
                 no real call is recorded"
            );
            (key, format!("http://{addr}"), Some(addr))
        }
    };
    let audit = if sandbox_addr.is_some() {
        audit.in_sandbox()
    } else {
        audit
    };
    let upstream = upstream::Upstream::new(&base_url, key, cfg.upstream_timeout())
        .map_err(std::io::Error::other)?;
    if !cfg.widget_dir.join("index.html").is_file() {
        tracing::warn!(dir = %cfg.widget_dir.display(), "no built widget found (index.html); only the API is served");
    }
    if webhook_secret.is_none() {
        tracing::warn!("MINIVOICE_WEBHOOK_SECRET is not set: webhooks are accepted unsigned");
    }
    let hub = Arc::new(events::Hub::new(events::Limits {
        max_streams: cfg.max_event_streams,
        per_agent: cfg.max_streams_per_agent,
        idle_calls: cfg.live_idle_calls,
        heartbeat: std::time::Duration::from_millis(cfg.sse_heartbeat_ms),
    }));
    let webhooks = webhooks::Webhooks::start(
        webhook_secret.as_ref().map(ApiKey::expose),
        names,
        audit.clone(),
        hub.clone(),
        cfg.webhook_retention,
    )
    .map_err(std::io::Error::other)?;
    let state = AppState {
        upstream,
        gate: Default::default(),
        info: ProxyInfo {
            sandbox: sandbox_addr.is_some(),
            version: env!("CARGO_PKG_VERSION").into(),
            event_streams: 0,
        },
        widget_dir: cfg.widget_dir.clone(),
        allowed_origins: cfg.allowed_origins.clone().into(),
        tokens,
        audit,
        hub,
        webhooks,
        body_timeout: std::time::Duration::from_millis(cfg.body_timeout_ms),
    };
    let hub = state.hub.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    let header_timeout = std::time::Duration::from_millis(cfg.header_read_timeout_ms);
    let served = tokio::spawn(serve::serve(listener, app(state), header_timeout, shutdown));
    Ok(Running {
        addr,
        sandbox_addr,
        served,
    })
}

/// Off loopback, what would be unsafe in front of real agents needs saying so explicitly.
fn refuse_unsafe_defaults(cfg: &ServeConfig, has_key: bool) -> std::io::Result<()> {
    if cfg.listen_addr.ip().is_loopback() {
        return Ok(());
    }
    let refuse = |why: String| Err(std::io::Error::other(why));
    let at = cfg.listen_addr;
    if cfg.token_secret.secret.is_none()
        && cfg.token_secret.secret_file.is_none()
        && !cfg.allow_anonymous
    {
        return refuse(format!(
            "refusing to listen on {at} without WIDGET_TOKEN_SECRET: anyone who can reach it \
             could record any call. Set WIDGET_TOKEN_SECRET, or pass --allow-anonymous."
        ));
    }
    if !has_key && !cfg.sandbox {
        return refuse(format!(
            "refusing to listen on {at} without MINIVOICE_API_KEY: the built-in sandbox would \
             answer instead, and agents would see recordings start that are never made. Set \
             MINIVOICE_API_KEY (or MINIVOICE_API_KEY_FILE), or pass --sandbox (SANDBOX=true) \
             for a demonstration."
        ));
    }
    if has_key && cfg.webhook_secret.is_none() && !cfg.allow_unsigned_webhooks {
        return refuse(format!(
            "refusing to listen on {at} without MINIVOICE_WEBHOOK_SECRET: anyone who can reach \
             /webhooks/minivoice could mark any call completed. Set MINIVOICE_WEBHOOK_SECRET, \
             or pass --allow-unsigned-webhooks (ALLOW_UNSIGNED_WEBHOOKS=true) on a closed network."
        ));
    }
    Ok(())
}
