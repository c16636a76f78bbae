//! The delivery inspector's log: every delivery to the webhook endpoint as it arrived,
//! refused ones included, bounded in rows and in age. An accepted delivery's effect is read
//! from its inbox row (the worker writes it there), so this best-effort log never races the
//! worker and never holds up an acknowledgement.
//!
//! Two kinds are bounded apart ([`InspectKeep`]): deliveries that passed the signature check, and
//! those refused before it, which anyone can send. Each insert trims only its own kind, so no
//! burst of refused deliveries pushes a verified one out, between sweeps or not.

use std::collections::BTreeMap;

use minivoice_shared::WebhookDelivery;

use super::{with_pool, Store};

/// Most refused deliveries the inspector keeps (fewer when `WEBHOOK_INSPECT_KEEP` is lower):
/// enough to see why a sender is refused, too few to be worth flooding.
pub const REFUSED_KEEP: i64 = 100;

/// How many deliveries the inspector keeps of each kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InspectKeep {
    /// Those that passed the signature check (or had none to pass): `WEBHOOK_INSPECT_KEEP`.
    pub passed: i64,
    /// Those refused before it: at most [`REFUSED_KEEP`].
    pub refused: i64,
}

impl InspectKeep {
    /// The bounds for `WEBHOOK_INSPECT_KEEP` = `setting` (0 keeps none of either).
    pub fn new(setting: usize) -> InspectKeep {
        let passed = i64::try_from(setting).unwrap_or(i64::MAX);
        InspectKeep {
            passed,
            refused: passed.min(REFUSED_KEEP),
        }
    }

    fn of(self, passed: bool) -> i64 {
        if passed {
            self.passed
        } else {
            self.refused
        }
    }
}

/// One delivery, as the receiver saw it and decided.
pub struct Received<'a> {
    pub delivery_id: Option<&'a str>,
    /// The inbox's de-duplication key, for an accepted delivery.
    pub inbox_key: Option<&'a str>,
    pub verdict: &'a str,
    pub status: u16,
    pub detail: Option<&'a str>,
    pub verified: bool,
    /// It passed the signature check (or there was none): bounded by [`InspectKeep::passed`];
    /// otherwise by [`InspectKeep::refused`].
    pub passed: bool,
    /// A JSON object of header name → value.
    pub headers: &'a str,
    pub body: &'a str,
}

#[derive(sqlx::FromRow)]
struct LogRow {
    received_at: String,
    delivery_id: Option<String>,
    verdict: String,
    status: i64,
    detail: Option<String>,
    verified: bool,
    headers: String,
    body: String,
    effect: Option<String>,
    processed_at: Option<String>,
}

impl Store {
    /// Logs a delivery and drops those of its kind beyond the newest `keep` of that kind.
    pub async fn log_delivery(
        &self,
        d: &Received<'_>,
        keep: InspectKeep,
    ) -> Result<(), sqlx::Error> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query(
                "INSERT INTO webhook_log (received_at, delivery_id, inbox_key, verdict, status,
                     detail, verified, passed, headers, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&now)
            .bind(d.delivery_id)
            .bind(d.inbox_key)
            .bind(d.verdict)
            .bind(i64::from(d.status))
            .bind(d.detail)
            .bind(d.verified)
            .bind(d.passed)
            .bind(d.headers)
            .bind(d.body)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        self.trim_logged(d.passed, keep.of(d.passed))
            .await
            .map(|_| ())
    }

    /// The newest `limit` deliveries, newest first, of one verdict when `verdict` is given.
    pub async fn deliveries(
        &self,
        limit: i64,
        verdict: Option<&str>,
    ) -> Result<Vec<WebhookDelivery>, sqlx::Error> {
        let rows: Vec<LogRow> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT l.received_at, l.delivery_id, l.verdict, l.status, l.detail,
                        l.verified, l.headers, l.body, i.effect, i.processed_at
                 FROM webhook_log l LEFT JOIN webhook_inbox i
                     ON l.verdict = 'accepted' AND i.delivery_id = l.inbox_key
                 WHERE $2 IS NULL OR l.verdict = $2
                 ORDER BY l.id DESC LIMIT $1",
            )
            .bind(limit)
            .bind(verdict)
            .fetch_all(p)
            .await
        })?;
        Ok(rows.into_iter().map(LogRow::delivery).collect())
    }

    /// Retention for the log: rows older than `age`, and of each kind beyond its bound.
    pub async fn forget_logged_deliveries(
        &self,
        age: std::time::Duration,
        keep: InspectKeep,
    ) -> Result<u64, sqlx::Error> {
        let old = self
            .delete_older("webhook_log", "received_at < $1", &[age])
            .await?;
        let passed = self.trim_logged(true, keep.passed).await?;
        let refused = self.trim_logged(false, keep.refused).await?;
        Ok(old + passed + refused)
    }

    /// Drops the rows of one kind beyond its newest `keep` (an index on the kind and ID finds
    /// the cut without reading the rows).
    async fn trim_logged(&self, passed: bool, keep: i64) -> Result<u64, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query(
                "DELETE FROM webhook_log WHERE passed = $1 AND id <= (
                     SELECT id FROM webhook_log WHERE passed = $1
                     ORDER BY id DESC LIMIT 1 OFFSET $2)",
            )
            .bind(passed)
            .bind(keep)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })
    }
}

impl LogRow {
    fn delivery(self) -> WebhookDelivery {
        let headers: BTreeMap<String, String> =
            serde_json::from_str(&self.headers).unwrap_or_default();
        WebhookDelivery {
            received_at: self.received_at,
            delivery_id: self.delivery_id,
            verdict: self.verdict.into(),
            status: u16::try_from(self.status).unwrap_or_default(),
            verified: self.verified,
            detail: self.detail,
            headers,
            body: self.body,
            effect: self.effect,
            processed_at: self.processed_at,
            extra: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received<'a>(id: &'a str, verdict: &'a str, passed: bool) -> Received<'a> {
        Received {
            delivery_id: Some(id),
            inbox_key: Some(id),
            verdict,
            status: 202,
            detail: None,
            verified: passed,
            passed,
            headers: r#"{"webhook-id":"x"}"#,
            body: "{}",
        }
    }

    #[test]
    fn refused_ones_get_the_smaller_bound() {
        assert_eq!(
            InspectKeep::new(500),
            InspectKeep {
                passed: 500,
                refused: REFUSED_KEEP
            }
        );
        assert_eq!(
            InspectKeep::new(20),
            InspectKeep {
                passed: 20,
                refused: 20
            }
        );
        assert_eq!(
            InspectKeep::new(0),
            InspectKeep {
                passed: 0,
                refused: 0
            }
        );
    }

    #[tokio::test]
    async fn keeps_the_newest_of_each_kind_and_joins_the_effect_of_accepted_ones() {
        let keep = InspectKeep {
            passed: 3,
            refused: 2,
        };
        for store in crate::store::test_stores().await {
            for i in 0..5 {
                let id = format!("m{i}");
                let d = received(&id, "accepted", true);
                store.log_delivery(&d, keep).await.unwrap();
            }
            // Refused ones push out only refused ones.
            for i in 0..4 {
                let id = format!("r{i}");
                let d = received(&id, "invalid_signature", false);
                store.log_delivery(&d, keep).await.unwrap();
            }
            let all = store.deliveries(10, None).await.unwrap();
            let ids: Vec<_> = all.iter().map(|d| d.delivery_id.clone().unwrap()).collect();
            assert_eq!(ids, ["r3", "r2", "m4", "m3", "m2"]);
            assert_eq!(all[2].headers["webhook-id"], "x");
            let refused = store
                .deliveries(10, Some("invalid_signature"))
                .await
                .unwrap();
            assert_eq!(refused.len(), 2);
            store.accept_delivery("m4", b"{}").await.unwrap();
            let batch = store.take_batch(1).await.unwrap();
            let done = crate::store::Processed {
                id: batch.deliveries[0].id,
                effect: "call completed".into(),
                ..Default::default()
            };
            store.finish_batch(batch, &[done]).await.unwrap();
            let m4 = &store.deliveries(3, None).await.unwrap()[2];
            assert_eq!(m4.effect.as_deref(), Some("call completed"));
            assert!(m4.processed_at.is_some());
            let one_each = InspectKeep {
                passed: 1,
                refused: 1,
            };
            let age = std::time::Duration::from_secs(60);
            assert_eq!(
                store.forget_logged_deliveries(age, one_each).await.unwrap(),
                3
            );
            let left = store.deliveries(10, None).await.unwrap();
            let ids: Vec<_> = left
                .iter()
                .map(|d| d.delivery_id.clone().unwrap())
                .collect();
            assert_eq!(ids, ["r3", "m4"]);
        }
    }
}
