//! Opening the store: its pool's limits, its health watch and its retention, and a URL fit to
//! show when it cannot be opened.

use std::time::Duration;

use super::StartError;
use crate::config::ServeConfig;
use crate::schedule;
use crate::store::{self, Store};

pub(super) async fn open_store(cfg: &ServeConfig) -> Result<Store, StartError> {
    let url = cfg.database().map_err(StartError::DataDir)?;
    let store = Store::open(&url, store_limits(cfg))
        .await
        .map_err(|source| StartError::Store {
            url: redact_password(&url),
            source,
        })?;
    store.watch_health(
        HEALTH_CHECK_EVERY,
        store_limits(cfg).acquire_timeout + Duration::from_secs(1),
    );
    schedule::spawn(
        store.clone(),
        schedule::Retention {
            webhooks: cfg.webhook_retention,
            live_events: cfg.live_event_retention,
            // Saturating, should a timeout ever get past the range check.
            abandoned_claims: cfg.upstream_timeout().saturating_mul(2),
            inspect_keep: cfg.webhook_inspect_keep,
        },
    );
    Ok(store)
}

fn store_limits(cfg: &ServeConfig) -> store::Limits {
    store::Limits {
        max_connections: cfg.database_max_connections,
        acquire_timeout: Duration::from_millis(cfg.database_acquire_timeout_ms),
        statement_timeout: Duration::from_millis(cfg.database_statement_timeout_ms),
    }
}

/// How often the store is checked, so `/api` refuses quickly while it is down.
const HEALTH_CHECK_EVERY: Duration = Duration::from_millis(500);

/// A database URL fit for a log line or an error message: no password, in the user part or
/// in the query.
fn redact_password(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return "<the configured DATABASE_URL>".into();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let query: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "password" {
                "***".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !query.is_empty() {
        parsed.query_pairs_mut().clear().extend_pairs(query);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_never_show() {
        for url in [
            "postgres://user:hunter2@db:5432/mv",
            "postgres://user@db/mv?password=hunter2&sslmode=require",
        ] {
            let shown = super::redact_password(url);
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("db"), "{shown}");
        }
        assert!(!super::redact_password("not a url hunter2").contains("hunter2"));
    }
}
