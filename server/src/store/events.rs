//! Live events, stored with a per-call sequence so that a stream resumes from them on any
//! replica; on PostgreSQL each is announced with `NOTIFY` for every replica to fan out.

use super::{with_pool, Store};

/// The channel replicas `LISTEN` on; the payload is `{"call_id":…,"seq":…}`.
pub const NOTIFY_CHANNEL: &str = "minivoice_events";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredEvent {
    pub seq: i64,
    pub body: String,
}

impl Store {
    /// Stores an event for `call_id` and returns its sequence number. The call's counter is
    /// bumped in the same transaction, so a call's events commit in sequence order; on
    /// PostgreSQL the `NOTIFY` is part of that transaction too, so replicas hear a call's
    /// events in that order.
    pub async fn append_event(&self, call_id: &str, body: &str) -> Result<i64, sqlx::Error> {
        const BUMP: &str = "INSERT INTO live_calls (call_id, seq) VALUES ($1, 1)
             ON CONFLICT (call_id) DO UPDATE SET seq = live_calls.seq + 1 RETURNING seq";
        const INSERT: &str =
            "INSERT INTO live_events (call_id, seq, at, body) VALUES ($1, $2, $3, $4)";
        let now = super::now();
        let notify = self.is_postgres();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let seq: i64 = sqlx::query_scalar(BUMP).bind(call_id).fetch_one(&mut *tx).await?;
            sqlx::query(INSERT)
                .bind(call_id)
                .bind(seq)
                .bind(&now)
                .bind(body)
                .execute(&mut *tx)
                .await?;
            if notify {
                let payload = serde_json::json!({"call_id": call_id, "seq": seq}).to_string();
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(NOTIFY_CHANNEL)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(seq)
        })
    }

    /// The call's events after `seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        call_id: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query_as(
                "SELECT seq, body FROM live_events WHERE call_id = $1 AND seq > $2
                 ORDER BY seq LIMIT $3",
            )
            .bind(call_id)
            .bind(seq)
            .bind(limit)
            .fetch_all(p)
            .await
        })
    }

    /// The last sequence number issued for the call, and the oldest still kept.
    pub async fn event_bounds(
        &self,
        call_id: &str,
    ) -> Result<(Option<i64>, Option<i64>), sqlx::Error> {
        with_pool!(self, p => {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM live_calls WHERE call_id = $1")
                    .bind(call_id)
                    .fetch_optional(p)
                    .await?;
            let oldest: Option<i64> =
                sqlx::query_scalar("SELECT MIN(seq) FROM live_events WHERE call_id = $1")
                    .bind(call_id)
                    .fetch_one(p)
                    .await?;
            Ok((last, oldest))
        })
    }

    /// Drops events older than `age`; a resume from before them gets `resync`.
    pub async fn forget_events(&self, age: std::time::Duration) -> Result<u64, sqlx::Error> {
        self.delete_older("live_events", "at < $1", &[age]).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn each_call_has_its_own_sequence_and_old_events_go() {
        for store in super::super::test_stores().await {
            assert_eq!(store.event_bounds("a").await.unwrap(), (None, None));
            assert_eq!(store.append_event("a", "1").await.unwrap(), 1);
            assert_eq!(store.append_event("a", "2").await.unwrap(), 2);
            assert_eq!(store.append_event("b", "x").await.unwrap(), 1);
            let after = store.events_after("a", 1, 10).await.unwrap();
            assert_eq!(
                (after.len(), after[0].seq, after[0].body.as_str()),
                (1, 2, "2")
            );
            assert_eq!(store.event_bounds("a").await.unwrap(), (Some(2), Some(1)));
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(store.forget_events(Duration::ZERO).await.unwrap(), 3);
            assert_eq!(store.event_bounds("a").await.unwrap(), (Some(2), None));
            assert_eq!(
                store.append_event("a", "3").await.unwrap(),
                3,
                "sequences go on"
            );
        }
    }
}
