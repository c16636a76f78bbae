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
    tokio::spawn(every(EVERY, "retention", move || {
        let store = store.clone();
        async move { sweep(&store, retention).await }
    }));
}

/// Runs `job` now and then every `period`, each run in a task of its own, so a run that
/// panics is logged at error and the next one still comes. (A sweep that panicked used to end
/// retention for good, with nothing but a line on stderr, while `/readyz` said 200.)
async fn every<F, Run>(period: Duration, name: &'static str, mut job: F)
where
    F: FnMut() -> Run,
    Run: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        if let Err(failed) = tokio::spawn(job()).await {
            tracing::error!(job = name, error = %failed, "a scheduled run failed; the next runs as planned");
        }
        tokio::time::sleep(period).await;
    }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_run_that_panics_does_not_end_the_schedule() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let schedule = tokio::spawn(super::every(Duration::from_millis(1), "test", move || {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move { assert!(run > 0, "the first run panics") }
        }));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while runs.load(Ordering::SeqCst) < 3 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no run after the panic"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!schedule.is_finished());
        schedule.abort();
    }
}
