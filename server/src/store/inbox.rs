//! The webhook inbox: each accepted delivery (its de-duplication key and raw body in one row)
//! stored before it is acknowledged, processed later by whichever worker claims it.

use sqlx::Postgres;

use super::{with_pool, Pool, Store};

#[derive(sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub body: Vec<u8>,
}

/// What processing a delivery found in it and did, kept on its row for the call's timeline
/// and the delivery inspector.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Processed {
    pub id: i64,
    pub call_id: Option<String>,
    pub recording_id: Option<String>,
    pub event_type: Option<String>,
    pub effect: String,
}

/// Deliveries taken for processing. On PostgreSQL their rows stay locked (`FOR UPDATE SKIP
/// LOCKED`) until [`Store::finish_batch`], so another replica's worker passes them by.
pub struct Batch {
    pub deliveries: Vec<Delivery>,
    claim: Option<sqlx::Transaction<'static, Postgres>>,
}

impl Store {
    /// Stores a delivery; `false` when its ID is there already (a redelivery).
    pub async fn accept_delivery(
        &self,
        delivery_id: &str,
        body: &[u8],
    ) -> Result<bool, sqlx::Error> {
        let now = super::now();
        let done = with_pool!(self, p => {
            sqlx::query(
                "INSERT INTO webhook_inbox (delivery_id, body, received_at) VALUES ($1, $2, $3)
                 ON CONFLICT (delivery_id) DO NOTHING",
            )
            .bind(delivery_id)
            .bind(body)
            .bind(&now)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// The oldest deliveries nobody has processed or claimed.
    pub async fn take_batch(&self, limit: i64) -> Result<Batch, sqlx::Error> {
        const OLDEST: &str =
            "SELECT id, body FROM webhook_inbox WHERE processed_at IS NULL ORDER BY id LIMIT $1";
        match &self.pool {
            Pool::Sqlite(p) => Ok(Batch {
                deliveries: sqlx::query_as(OLDEST).bind(limit).fetch_all(p).await?,
                claim: None,
            }),
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                let deliveries = sqlx::query_as(&format!("{OLDEST} FOR UPDATE SKIP LOCKED"))
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                Ok(Batch {
                    deliveries,
                    claim: Some(tx),
                })
            }
        }
    }

    /// Marks a batch processed with what was found in each delivery (and releases its
    /// claim). One statement for the batch: the facts travel as one JSON list.
    pub async fn finish_batch(
        &self,
        batch: Batch,
        processed: &[Processed],
    ) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = batch.deliveries.iter().map(|d| d.id).collect();
        let facts = serde_json::to_string(processed).unwrap_or_else(|_| "[]".into());
        let now = super::now();
        match (&self.pool, batch.claim) {
            (Pool::Postgres(_), Some(mut tx)) => {
                sqlx::query("UPDATE webhook_inbox SET processed_at = $1 WHERE id = ANY($2)")
                    .bind(&now)
                    .bind(&ids)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE webhook_inbox SET call_id = f.call_id,
                         recording_id = f.recording_id, event_type = f.event_type,
                         effect = f.effect
                     FROM jsonb_to_recordset($1::jsonb) AS f(id BIGINT, call_id TEXT,
                         recording_id TEXT, event_type TEXT, effect TEXT)
                     WHERE webhook_inbox.id = f.id",
                )
                .bind(&facts)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            (Pool::Sqlite(p), _) => {
                // SQLite has no arrays: the IDs travel as one JSON list too.
                let mut tx = p.begin().await?;
                sqlx::query(
                    "UPDATE webhook_inbox SET processed_at = $1
                     WHERE id IN (SELECT value FROM json_each($2))",
                )
                .bind(&now)
                .bind(serde_json::to_string(&ids).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE webhook_inbox SET call_id = f.call_id,
                         recording_id = f.recording_id, event_type = f.event_type,
                         effect = f.effect
                     FROM (SELECT value ->> 'id' AS id, value ->> 'call_id' AS call_id,
                               value ->> 'recording_id' AS recording_id,
                               value ->> 'event_type' AS event_type,
                               value ->> 'effect' AS effect
                           FROM json_each($1)) AS f
                     WHERE webhook_inbox.id = f.id",
                )
                .bind(&facts)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            (Pool::Postgres(_), None) => Ok(()),
        }
    }

    pub async fn unprocessed_count(&self) -> Result<i64, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL")
                .fetch_one(p)
                .await
        })
    }

    /// Drops processed deliveries older than `retention`; a redelivery after that is new.
    pub async fn forget_deliveries(
        &self,
        retention: std::time::Duration,
    ) -> Result<u64, sqlx::Error> {
        self.delete_older(
            "webhook_inbox",
            "processed_at IS NOT NULL AND processed_at < $1",
            &[retention],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn keeps_deliveries_until_processed_and_forgets_them_after_retention() {
        for store in super::super::test_stores().await {
            assert!(store.accept_delivery("d1", b"{}").await.unwrap());
            assert!(!store.accept_delivery("d1", b"{}").await.unwrap());
            assert!(store.accept_delivery("d2", b"x").await.unwrap());
            let mut batch = store.take_batch(10).await.unwrap();
            assert_eq!(batch.deliveries.len(), 2);
            batch.deliveries.truncate(1);
            let done = super::Processed {
                id: batch.deliveries[0].id,
                call_id: Some("c1".into()),
                event_type: Some("call.completed".into()),
                effect: "call completed".into(),
                ..Default::default()
            };
            store.finish_batch(batch, &[done]).await.unwrap();
            assert_eq!(store.unprocessed_count().await.unwrap(), 1);
            let kept: (Option<String>, Option<String>) = crate::store::with_pool!(store, p => {
                sqlx::query_as("SELECT call_id, effect FROM webhook_inbox WHERE delivery_id = 'd1'")
                    .fetch_one(p)
                    .await
                    .unwrap()
            });
            assert_eq!(kept, (Some("c1".into()), Some("call completed".into())));
            let left = store.take_batch(10).await.unwrap();
            assert_eq!(left.deliveries[0].body, b"x");
            drop(left);
            assert_eq!(
                store
                    .forget_deliveries(Duration::from_secs(3600))
                    .await
                    .unwrap(),
                0
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(store.forget_deliveries(Duration::ZERO).await.unwrap(), 1);
            assert!(
                store.accept_delivery("d1", b"{}").await.unwrap(),
                "forgotten: new again"
            );
            assert!(
                !store.accept_delivery("d2", b"x").await.unwrap(),
                "unprocessed: kept"
            );
        }
    }

    #[tokio::test]
    async fn a_claimed_batch_is_passed_by_on_postgres() {
        for store in super::super::test_stores().await {
            if !store.is_postgres() {
                continue;
            }
            store.accept_delivery("a", b"1").await.unwrap();
            store.accept_delivery("b", b"2").await.unwrap();
            let mut first = store.take_batch(1).await.unwrap();
            let second = store.take_batch(10).await.unwrap();
            assert_eq!(first.deliveries.len(), 1);
            assert_eq!(second.deliveries.len(), 1, "the claimed row is skipped");
            assert_ne!(first.deliveries[0].id, second.deliveries[0].id);
            first.deliveries.truncate(1);
            store.finish_batch(first, &[]).await.unwrap();
            store.finish_batch(second, &[]).await.unwrap();
            assert_eq!(store.unprocessed_count().await.unwrap(), 0);
        }
    }
}
