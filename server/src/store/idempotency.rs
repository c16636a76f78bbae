//! Idempotency answers shared by every replica: the first request with a key claims it, the
//! answer MiniVoice gave is kept under it, and a repeat (on any replica) gets that answer.

use std::time::Duration;

use super::{with_pool, Store};

/// What a key holds when a request arrives with it.
#[derive(Debug, PartialEq)]
pub enum Claim {
    /// Nobody had it: this request claimed it and must answer it (or release it).
    Mine,
    /// Another request with the key is in flight, for `action`.
    Pending {
        action: String,
    },
    Answered(KeyAnswer),
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct KeyAnswer {
    pub action: String,
    pub status: i64,
    pub body: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    action: String,
    status: Option<i64>,
    body: Option<Vec<u8>>,
}

impl Store {
    pub async fn claim_key(
        &self,
        call_id: &str,
        key: &str,
        action: &str,
    ) -> Result<Claim, sqlx::Error> {
        loop {
            let now = super::now();
            let claimed = with_pool!(self, p => {
                sqlx::query(
                    "INSERT INTO idempotency (call_id, key, action, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (call_id, key) DO NOTHING",
                )
                .bind(call_id)
                .bind(key)
                .bind(action)
                .bind(&now)
                .execute(p)
                .await
                .map(|r| r.rows_affected() == 1)
            })?;
            if claimed {
                return Ok(Claim::Mine);
            }
            let row: Option<KeyRow> = with_pool!(self, p => {
                sqlx::query_as(
                    "SELECT action, status, body FROM idempotency WHERE call_id = $1 AND key = $2",
                )
                .bind(call_id)
                .bind(key)
                .fetch_optional(p)
                .await
            })?;
            // Released between the two statements: claim again.
            let Some(row) = row else { continue };
            return Ok(match (row.status, row.body) {
                (Some(status), Some(body)) => Claim::Answered(KeyAnswer {
                    action: row.action,
                    status,
                    body,
                }),
                _ => Claim::Pending { action: row.action },
            });
        }
    }

    /// Keeps MiniVoice's answer under the key.
    pub async fn answer_key(
        &self,
        call_id: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE idempotency SET status = $1, body = $2 WHERE call_id = $3 AND key = $4",
            )
            .bind(i64::from(status))
            .bind(body)
            .bind(call_id)
            .bind(key)
            .execute(p)
            .await
            .map(|_| ())
        })
    }

    /// Gives a claimed key up without an answer (no answer came), so it may be tried again.
    pub async fn release_key(&self, call_id: &str, key: &str) -> Result<(), sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query("DELETE FROM idempotency WHERE call_id = $1 AND key = $2 AND status IS NULL")
                .bind(call_id)
                .bind(key)
                .execute(p)
                .await
                .map(|_| ())
        })
    }

    /// Forgets answers older than `answered`, and claims never answered older than `pending`
    /// (their replica died mid-request).
    pub async fn forget_keys(
        &self,
        answered: Duration,
        pending: Duration,
    ) -> Result<u64, sqlx::Error> {
        self.delete_older(
            "idempotency",
            "created_at < $1 OR (status IS NULL AND created_at < $2)",
            &[answered, pending],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_claimed_once_answered_once_and_released_without_an_answer() {
        for store in crate::store::test_stores().await {
            assert_eq!(
                store.claim_key("c", "k", "start").await.unwrap(),
                Claim::Mine
            );
            assert_eq!(
                store.claim_key("c", "k", "start").await.unwrap(),
                Claim::Pending {
                    action: "start".into()
                }
            );
            store.answer_key("c", "k", 200, b"{}").await.unwrap();
            store.release_key("c", "k").await.unwrap();
            let again = store.claim_key("c", "k", "start").await.unwrap();
            assert_eq!(
                again,
                Claim::Answered(KeyAnswer {
                    action: "start".into(),
                    status: 200,
                    body: b"{}".to_vec()
                })
            );
            assert_eq!(
                store.claim_key("c", "k2", "stop").await.unwrap(),
                Claim::Mine
            );
            store.release_key("c", "k2").await.unwrap();
            assert_eq!(
                store.claim_key("c", "k2", "stop").await.unwrap(),
                Claim::Mine
            );
            assert_eq!(
                store.claim_key("other", "k", "stop").await.unwrap(),
                Claim::Mine
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(
                store
                    .forget_keys(Duration::ZERO, Duration::ZERO)
                    .await
                    .unwrap(),
                3
            );
        }
    }
}
