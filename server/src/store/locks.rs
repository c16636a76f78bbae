//! One holder at a time per call (an action in flight) or per scheduled job, across every
//! replica: a lease row, taken with one upsert that succeeds only when the name is free or its
//! lease has expired (a holder that died frees it by expiring). No connection is held while
//! the guarded work runs, so slow MiniVoice answers cannot drain the pool.

use std::time::Duration;

use super::{later, with_pool, Store};

/// Held while a call's action is forwarded; [`CallLock::release`] gives it back (dropping it
/// releases it too, in the background; failing that, the lease expires).
pub struct CallLock {
    store: Store,
    name: String,
    holder: String,
    released: bool,
}

impl CallLock {
    pub async fn release(mut self) {
        self.released = true;
        if let Err(e) = self.store.drop_lease(&self.name, &self.holder).await {
            tracing::warn!(error = %e, lock = %self.name, "releasing a lease; it will expire");
        }
    }
}

impl Drop for CallLock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, name, holder) =
                (self.store.clone(), self.name.clone(), self.holder.clone());
            rt.spawn(async move { store.drop_lease(&name, &holder).await });
        }
    }
}

impl Store {
    /// The call's lock for at most `lease`, or `None` while another action on it holds it.
    pub async fn try_lock_call(
        &self,
        call_id: &str,
        lease: Duration,
    ) -> Result<Option<CallLock>, sqlx::Error> {
        self.try_lease(&format!("call:{call_id}"), lease).await
    }

    /// A scheduled job's lock, so that it runs on one replica at a time.
    pub async fn try_lock_job(
        &self,
        job: &str,
        lease: Duration,
    ) -> Result<Option<CallLock>, sqlx::Error> {
        self.try_lease(&format!("job:{job}"), lease).await
    }

    async fn try_lease(
        &self,
        name: &str,
        lease: Duration,
    ) -> Result<Option<CallLock>, sqlx::Error> {
        let holder = format!("{:016x}", rand::random::<u64>());
        let (now, until) = (super::now(), later(lease));
        let taken: Option<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                     expires_at = excluded.expires_at
                 WHERE leases.expires_at < $4
                 RETURNING holder",
            )
            .bind(name)
            .bind(&holder)
            .bind(&until)
            .bind(&now)
            .fetch_optional(p)
            .await
        })?;
        Ok(taken.map(|holder| CallLock {
            store: self.clone(),
            name: name.to_owned(),
            holder,
            released: false,
        }))
    }

    async fn drop_lease(&self, name: &str, holder: &str) -> Result<(), sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(p)
                .await
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    const LEASE: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn one_holder_per_call_until_released_or_expired() {
        for store in crate::store::test_stores().await {
            let held = store.try_lock_call("c", LEASE).await.unwrap();
            assert!(held.is_some());
            assert!(store.try_lock_call("c", LEASE).await.unwrap().is_none());
            assert!(store.try_lock_call("d", LEASE).await.unwrap().is_some());
            held.unwrap().release().await;
            let brief = store.try_lock_call("c", Duration::ZERO).await.unwrap();
            assert!(brief.is_some(), "free again once released");
            tokio::time::sleep(Duration::from_millis(5)).await;
            // Its holder "died" (the lease ran out without a release): the call is free.
            std::mem::forget(brief);
            assert!(store.try_lock_call("c", LEASE).await.unwrap().is_some());
        }
    }
}
