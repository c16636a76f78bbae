//! MiniVoice, or the built-in sandbox in its place when there is no key.

use std::net::SocketAddr;

use super::StartError;
use crate::config::ServeConfig;
use crate::secret::Secret;
use crate::upstream::Upstream;
use crate::{sandbox, webhooks};

/// The simulated MiniVoice on its own loopback port, with a fresh key (it checks it, so the
/// auth header path is real) and signed webhooks to us, as a real MiniVoice would send them.
pub(super) async fn spawn_sandbox(
    cfg: &ServeConfig,
    proxy: SocketAddr,
    webhook_secret: Secret,
) -> Result<(SocketAddr, Secret), StartError> {
    let key = Secret::new(format!("sandbox_{:016x}", rand::random::<u64>()));
    let target = sandbox::WebhookTarget {
        url: format!("http://{proxy}/webhooks/minivoice"),
        secret: webhook_secret,
        names: webhooks::HeaderNames::from(cfg),
    };
    let addr = sandbox::spawn_with(cfg.sandbox_listen_addr, Some(key.clone()), Some(target))
        .await
        .map_err(StartError::Sandbox)?;
    tracing::warn!(
        sandbox = %addr,
        "SANDBOX MODE: no MINIVOICE_API_KEY set; forwarding to a simulated MiniVoice, \
         no real call is recorded"
    );
    Ok((addr, key))
}

pub(super) fn connect_upstream(
    cfg: &ServeConfig,
    base_url: &str,
    key: Secret,
) -> Result<Upstream, StartError> {
    Upstream::new(base_url, key, cfg.upstream_timeout()).map_err(StartError::Upstream)
}
