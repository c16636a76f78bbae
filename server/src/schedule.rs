//! Due work, run on one replica at a time (a job lock in the store): dropping processed
//! webhook deliveries (and with them the timeline's webhooks), the inspector's old or excess
//! deliveries, old live events, and expired idempotency answers.

use std::time::Duration;

use crate::store::{InspectKeep, Store};

/// How often the sweep runs, and how long one may hold the job.
const EVERY: Duration = Duration::from_secs(60);
const LEASE: Duration = Duration::from_secs(5 * 60);
/// How long an idempotency answer is replayed: longer than any agent's retry.
pub const ANSWER_TTL: Duration = Duration::from_secs(10 * 60);

#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub webhooks: Duration,
    pub live_events: Duration,
    /// A claimed key never answered after this was abandoned (its replica died).
    pub abandoned_claims: Duration,
    /// Most verified deliveries the inspector keeps (refused ones: see [`InspectKeep`]).
    pub inspect_keep: usize,
}

pub fn spawn(store: Store, retention: Retention) {
    tokio::spawn(async move {
        loop {
            sweep(&store, retention).await;
            tokio::time::sleep(EVERY).await;
        }
    });
}

async fn sweep(store: &Store, r: Retention) {
    let lock = match store.try_lock_job("retention", LEASE).await {
        Ok(Some(lock)) => lock,
        Ok(None) => return, // another replica is sweeping
        Err(e) => {
            tracing::warn!(error = %e, "retention: store unavailable");
            return;
        }
    };
    let results = [
        (
            "webhook deliveries",
            store.forget_deliveries(r.webhooks).await,
        ),
        (
            "inspected deliveries",
            store
                .forget_logged_deliveries(r.webhooks, InspectKeep::new(r.inspect_keep))
                .await,
        ),
        ("live events", store.forget_events(r.live_events).await),
        (
            "idempotency answers",
            store.forget_keys(ANSWER_TTL, r.abandoned_claims).await,
        ),
    ];
    for (what, result) in results {
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, what, "retention: dropped"),
            Err(e) => tracing::warn!(error = %e, what, "retention"),
        }
    }
    lock.release().await;
}
