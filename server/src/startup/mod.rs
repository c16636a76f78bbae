//! Start-up, one step at a time: refuse what is unsafe, open the store, bind, reach MiniVoice
//! (or start the sandbox in its place), assemble the state and start the background tasks
//! (retention, the webhook worker, the automatic resume of pauses), serve.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minivoice_shared::ProxyInfo;
use tokio::net::TcpListener;

use crate::app::app;
use crate::auth::TokenKeys;
use crate::config::ServeConfig;
use crate::events::{self, Hub};
use crate::local::Trust;
use crate::secret::Secret;
use crate::state::{AppState, Parts};
use crate::store::Store;
use crate::upstream::Upstream;
use crate::webhooks::{HeaderNames, Webhooks};
use crate::widget::Widget;
use crate::{recordings, sandbox, serve};

mod listen;
mod settings;
mod store_open;
mod upstream;

use listen::bind;
use settings::{refuse_unsafe_defaults, warn_about_settings};
use store_open::open_store;
use upstream::{connect_upstream, spawn_sandbox};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting that would be unsafe here; the message says how to proceed.
    #[error("{0}")]
    Refused(String),
    /// A value that cannot be used (a short secret, a malformed one).
    #[error("{0}")]
    Invalid(String),
    #[error("reading a secret file: {0}")]
    SecretFile(#[source] std::io::Error),
    #[error("creating the data directory: {0}")]
    DataDir(#[source] std::io::Error),
    #[error("opening the store at {url}: {source}")]
    Store {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the sandbox: {0}")]
    Sandbox(#[source] std::io::Error),
    #[error("building the MiniVoice client: {0}")]
    Upstream(#[source] reqwest::Error),
}

/// A proxy that is listening; it serves until the shutdown future given to [`start`] resolves.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the built-in sandbox listens, in sandbox mode.
    pub sandbox_addr: Option<SocketAddr>,
    pub served: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `cfg.listen_addr`, then as [`start_on`].
pub async fn start(
    cfg: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let listener = bind(cfg.listen_addr).map_err(|source| StartError::Bind {
        addr: cfg.listen_addr,
        source,
    })?;
    start_on(listener, cfg, shutdown).await
}

/// Serves on a listener the caller already holds (tests bind port 0 and keep it, so no other
/// process can take the port between two binds).
pub async fn start_on(
    listener: TcpListener,
    mut cfg: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    // First: a configuration built in code never went through clap's range checks.
    cfg.check()
        .map_err(|out_of_range| StartError::Invalid(out_of_range.to_string()))?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: cfg.listen_addr,
        source,
    })?;
    cfg.listen_addr = addr;
    // The secrets, each read once (from its variable or its file).
    let key = cfg.resolved_key().map_err(StartError::SecretFile)?;
    let mut webhook_secret = cfg
        .resolved_webhook_secret()
        .map_err(StartError::SecretFile)?;
    refuse_unsafe_defaults(&cfg, key.is_some(), webhook_secret.is_some())?;
    serve::fit_file_limit(&cfg).map_err(StartError::Refused)?;
    let store = open_store(&cfg).await?;
    let (upstream, sandbox_addr) = match key {
        Some(key) => (connect_upstream(&cfg, &cfg.base_url, key)?, None),
        None => {
            let secret = webhook_secret
                .get_or_insert_with(|| Secret::new(sandbox::new_webhook_secret()))
                .clone();
            let (sandbox_addr, key) = spawn_sandbox(&cfg, addr, secret).await?;
            let upstream = connect_upstream(&cfg, &format!("http://{sandbox_addr}"), key)?;
            (upstream, Some(sandbox_addr))
        }
    };
    let state = assemble(
        &cfg,
        store,
        upstream,
        sandbox_addr.is_some(),
        webhook_secret.as_ref(),
    )
    .await?;
    warn_about_settings(&cfg, webhook_secret.is_none());
    let hub = state.hub.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    let limits = serve::Limits::from_config(&cfg);
    let served = tokio::spawn(serve::serve(listener, app(state), limits, shutdown));
    Ok(Running {
        addr,
        sandbox_addr,
        served,
    })
}

/// The one way to assemble the state (`start_on` and the unit tests alike); starts the
/// webhook worker and the automatic resume of pauses (which first resumes any overdue one).
async fn assemble(
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
        events::Limits {
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
    let state = AppState::new(Parts {
        upstream,
        info: ProxyInfo {
            sandbox,
            version: env!("CARGO_PKG_VERSION").into(),
            event_streams: 0,
        },
        widget: Widget::new(cfg.widget_dir.as_deref()),
        allowed_origins: cfg.allowed_origins.clone().into(),
        tokens,
        store,
        hub,
        webhooks,
        body_timeout: Duration::from_millis(cfg.body_timeout_ms),
        metrics_token: cfg.metrics_token.clone(),
        pause_max: cfg.pause_max(),
        trust: Trust::new(cfg),
    });
    recordings::spawn_auto_resume(recordings::Actions::from_state(&state));
    Ok(state)
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
    assemble(&cfg, store, upstream, sandbox, None)
        .await
        .unwrap()
}
