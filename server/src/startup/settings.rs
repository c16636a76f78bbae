//! What start-up says about the operator's settings: what it refuses when the proxy is served
//! to others, and what it warns about.

use super::StartError;
use crate::config::ServeConfig;
use crate::local;
use crate::widget::Widget;

/// Served to others (off loopback, or behind a reverse proxy with `PUBLIC_URL`), what would
/// be unsafe in front of real agents needs saying so explicitly. Every missing setting is
/// named at once, so one attempt shows all there is to fix.
pub(super) fn refuse_unsafe_defaults(
    cfg: &ServeConfig,
    has_key: bool,
    has_webhook_secret: bool,
) -> Result<(), StartError> {
    if !local::served_to_others(cfg) {
        return Ok(());
    }
    let at = match &cfg.public_url {
        Some(url) => format!("to serve {url} (PUBLIC_URL)"),
        None => format!("to listen on {}", cfg.listen_addr),
    };
    let mut why = vec![];
    if cfg.token_secret.secret.is_none()
        && cfg.token_secret.secret_file.is_none()
        && !cfg.allow_anonymous
    {
        why.push(format!(
            "refusing {at} without WIDGET_TOKEN_SECRET: anyone who can reach it could record \
             any call. Set WIDGET_TOKEN_SECRET, or pass --allow-anonymous."
        ));
    }
    if !has_key && !cfg.sandbox {
        why.push(format!(
            "refusing {at} without MINIVOICE_API_KEY: the built-in sandbox would answer \
             instead, and agents would see recordings start that are never made. Set \
             MINIVOICE_API_KEY (or MINIVOICE_API_KEY_FILE), or pass --sandbox (SANDBOX=true) \
             for a demonstration."
        ));
    }
    if has_key && !has_webhook_secret && !cfg.allow_unsigned_webhooks {
        why.push(format!(
            "refusing {at} without MINIVOICE_WEBHOOK_SECRET: anyone who can reach \
             /webhooks/minivoice could mark any call completed. Set MINIVOICE_WEBHOOK_SECRET \
             (or MINIVOICE_WEBHOOK_SECRET_FILE), or pass --allow-unsigned-webhooks \
             (ALLOW_UNSIGNED_WEBHOOKS=true) on a closed network."
        ));
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(StartError::Refused(why.join("\n")))
    }
}

pub(super) fn warn_about_settings(cfg: &ServeConfig, unsigned_webhooks: bool) {
    if cfg.token_secret.secret.is_none()
        && cfg.token_secret.secret_file.is_none()
        && cfg.allow_anonymous
        && local::served_to_others(cfg)
    {
        tracing::warn!(
            listen = %cfg.listen_addr,
            public_url = cfg.public_url.as_ref().map(|u| u.as_str()),
            "ANONYMOUS MODE served to others: no agent tokens are checked; \
             anyone who can reach this proxy can start and stop recordings of any call"
        );
    }
    match Widget::new(cfg.widget_dir.as_deref()).source() {
        Some(source) => tracing::info!(%source, "serving the widget"),
        None => tracing::warn!(
            dir = ?cfg.widget_dir,
            "no built widget (index.html) in WIDGET_DIR or in this binary; only the API is served"
        ),
    }
    if cfg.metrics_token.is_none() && local::served_to_others(cfg) {
        tracing::warn!("METRICS_TOKEN is not set: /metrics answers anyone who can reach it");
    }
    if unsigned_webhooks {
        tracing::warn!(
            "MINIVOICE_WEBHOOK_SECRET is not set: webhooks are accepted unsigned, from this \
             machine only unless --allow-unsigned-webhooks"
        );
    }
}
