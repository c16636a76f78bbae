//! One action per call at a time, across every replica: a PostgreSQL advisory lock held by an
//! open transaction (released by commit, rollback, or the connection's end, so a crashed
//! replica cannot keep it), or an in-process set for the single SQLite process.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use sqlx::Postgres;

use super::{Pool, Store};

#[derive(Default)]
pub struct LocalLocks(Mutex<HashSet<String>>);

/// Held while a call's action is forwarded; [`CallLock::release`] gives it back. Dropping it
/// also releases it (a dropped transaction rolls back), though on PostgreSQL only when its
/// connection is next used: release explicitly.
pub enum CallLock {
    Postgres(Option<sqlx::Transaction<'static, Postgres>>),
    Local {
        locks: Arc<LocalLocks>,
        name: String,
    },
}

impl CallLock {
    pub async fn release(mut self) {
        if let CallLock::Postgres(tx) = &mut self {
            if let Some(tx) = tx.take() {
                if let Err(e) = tx.commit().await {
                    tracing::warn!(error = %e, "releasing a call lock");
                }
            }
        }
    }
}

impl Drop for CallLock {
    fn drop(&mut self) {
        if let CallLock::Local { locks, name } = self {
            locks.0.lock().unwrap().remove(name);
        }
    }
}

impl Store {
    /// The call's lock, or `None` while another action on it holds it.
    pub async fn try_lock_call(&self, call_id: &str) -> Result<Option<CallLock>, sqlx::Error> {
        self.try_lock(&format!("call:{call_id}")).await
    }

    /// A scheduled job's lock, so that it runs on one replica at a time.
    pub async fn try_lock_job(&self, job: &str) -> Result<Option<CallLock>, sqlx::Error> {
        self.try_lock(&format!("job:{job}")).await
    }

    async fn try_lock(&self, name: &str) -> Result<Option<CallLock>, sqlx::Error> {
        match &self.pool {
            Pool::Sqlite(_) => {
                let fresh = self.local_locks.0.lock().unwrap().insert(name.to_owned());
                Ok(fresh.then(|| CallLock::Local {
                    locks: self.local_locks.clone(),
                    name: name.to_owned(),
                }))
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                let got: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(name)
                        .fetch_one(&mut *tx)
                        .await?;
                Ok(got.then_some(CallLock::Postgres(Some(tx))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn one_holder_per_call_until_dropped() {
        for store in crate::store::test_stores().await {
            let held = store.try_lock_call("c").await.unwrap();
            assert!(held.is_some());
            assert!(store.try_lock_call("c").await.unwrap().is_none());
            assert!(store.try_lock_call("d").await.unwrap().is_some());
            held.unwrap().release().await;
            assert!(store.try_lock_call("c").await.unwrap().is_some());
        }
    }
}
