//! The delivery inspector's log: every delivery to the webhook endpoint as it arrived,
//! refused ones included, bounded in rows and in age. An accepted delivery's effect is read
//! from its inbox row (the worker writes it there), so this best-effort log never races the
//! worker and never holds up an acknowledgement.

use std::collections::BTreeMap;

use minivoice_shared::WebhookDelivery;

use super::{with_pool, Store};

/// One delivery, as the receiver saw it and decided.
pub struct Received<'a> {
    pub delivery_id: Option<&'a str>,
    /// The inbox's de-duplication key, for an accepted delivery.
    pub inbox_key: Option<&'a str>,
    pub verdict: &'a str,
    pub status: u16,
    pub detail: Option<&'a str>,
    pub verified: bool,
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
    /// Logs a delivery and drops what falls beyond the newest `keep` (IDs only grow, so the
    /// newest `keep` rows are those within `keep` of this one).
    pub async fn log_delivery(&self, d: &Received<'_>, keep: i64) -> Result<(), sqlx::Error> {
        let now = super::now();
        let id: i64 = with_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO webhook_log (received_at, delivery_id, inbox_key, verdict, status,
                     detail, verified, headers, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&now)
            .bind(d.delivery_id)
            .bind(d.inbox_key)
            .bind(d.verdict)
            .bind(i64::from(d.status))
            .bind(d.detail)
            .bind(d.verified)
            .bind(d.headers)
            .bind(d.body)
            .fetch_one(p)
            .await
        })?;
        with_pool!(self, p => {
            sqlx::query("DELETE FROM webhook_log WHERE id <= $1")
                .bind(id - keep)
                .execute(p)
                .await
                .map(|_| ())
        })
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

    /// Retention for the log: rows older than `age`, and beyond the newest `keep`.
    pub async fn forget_logged_deliveries(
        &self,
        age: std::time::Duration,
        keep: i64,
    ) -> Result<u64, sqlx::Error> {
        let old = self
            .delete_older("webhook_log", "received_at < $1", &[age])
            .await?;
        let excess = with_pool!(self, p => {
            sqlx::query(
                "DELETE FROM webhook_log
                 WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM webhook_log) - $1",
            )
            .bind(keep)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(old + excess)
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

    fn received<'a>(id: &'a str, verdict: &'a str) -> Received<'a> {
        Received {
            delivery_id: Some(id),
            inbox_key: Some(id),
            verdict,
            status: 202,
            detail: None,
            verified: true,
            headers: r#"{"webhook-id":"x"}"#,
            body: "{}",
        }
    }

    #[tokio::test]
    async fn keeps_the_newest_and_joins_the_effect_of_accepted_ones() {
        for store in crate::store::test_stores().await {
            for i in 0..5 {
                let id = format!("m{i}");
                store
                    .log_delivery(&received(&id, "accepted"), 3)
                    .await
                    .unwrap();
            }
            store
                .log_delivery(&received("m5", "invalid_signature"), 3)
                .await
                .unwrap();
            let all = store.deliveries(10, None).await.unwrap();
            let ids: Vec<_> = all.iter().map(|d| d.delivery_id.clone().unwrap()).collect();
            assert_eq!(ids, ["m5", "m4", "m3"]);
            assert_eq!(all[1].headers["webhook-id"], "x");
            let refused = store
                .deliveries(10, Some("invalid_signature"))
                .await
                .unwrap();
            assert_eq!(refused.len(), 1);
            store.accept_delivery("m4", b"{}").await.unwrap();
            let batch = store.take_batch(1).await.unwrap();
            let done = crate::store::Processed {
                id: batch.deliveries[0].id,
                effect: "call completed".into(),
                ..Default::default()
            };
            store.finish_batch(batch, &[done]).await.unwrap();
            let m4 = &store.deliveries(2, None).await.unwrap()[1];
            assert_eq!(m4.effect.as_deref(), Some("call completed"));
            assert!(m4.processed_at.is_some());
            assert_eq!(
                store
                    .forget_logged_deliveries(std::time::Duration::from_secs(60), 1)
                    .await
                    .unwrap(),
                2
            );
        }
    }
}
