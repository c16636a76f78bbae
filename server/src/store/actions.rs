//! The audit trail: every start/stop/pause/resume attempt, written before it is forwarded and
//! finished with its result.

use minivoice_shared::{Action, ActivityEntry};

use super::{with_pool, Store};

/// How many entries `history` returns, newest first.
pub const HISTORY_LIMIT: i64 = 50;

/// One attempt, as the recordings route starts it.
pub struct Attempt<'a> {
    pub agent: &'a str,
    pub call_id: &'a str,
    pub action: Action,
    pub request_id: Option<&'a str>,
    /// A pause's reason, as the agent gave it.
    pub reason: Option<&'a str>,
}

/// How an attempt ended.
pub struct Finished<'a> {
    pub recording_id: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub replayed: bool,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    at: String,
    agent: String,
    call_id: String,
    action: String,
    recording_id: Option<String>,
    error_code: Option<String>,
    request_id: Option<String>,
    replayed: bool,
    pending: bool,
    sandbox: bool,
}

impl Store {
    /// Writes an attempt as pending, before anything is forwarded; returns its row.
    pub async fn begin(&self, a: &Attempt<'_>) -> Result<i64, sqlx::Error> {
        let at = super::now();
        with_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO actions
                     (at, agent, call_id, action, request_id, pending, sandbox, reason)
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id",
            )
            .bind(&at)
            .bind(a.agent)
            .bind(a.call_id)
            .bind(a.action.as_str())
            .bind(a.request_id)
            .bind(self.sandbox)
            .bind(a.reason)
            .fetch_one(p)
            .await
        })
    }

    /// Records how the attempt `row` ended.
    pub async fn finish(&self, row: i64, o: &Finished<'_>) -> Result<(), sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE actions SET recording_id = $1, error_code = $2, replayed = $3,
                     pending = FALSE
                 WHERE id = $4",
            )
            .bind(o.recording_id)
            .bind(o.error_code)
            .bind(o.replayed)
            .bind(row)
            .execute(p)
            .await
            .map(|_| ())
        })
    }

    /// The call's latest attempts, newest first.
    pub async fn history(&self, call_id: &str) -> Result<Vec<ActivityEntry>, sqlx::Error> {
        let rows: Vec<ActionRow> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT at, agent, call_id, action, recording_id, error_code, request_id,
                        replayed, pending, sandbox
                 FROM actions WHERE call_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(call_id)
            .bind(HISTORY_LIMIT)
            .fetch_all(p)
            .await
        })?;
        Ok(rows.into_iter().filter_map(ActionRow::entry).collect())
    }
}

impl ActionRow {
    fn entry(self) -> Option<ActivityEntry> {
        let Some(action) = Action::from_known(&self.action) else {
            // Written by a newer proxy sharing the store: skipped, not fatal.
            tracing::warn!(action = %self.action, "unknown action in the audit trail");
            return None;
        };
        Some(ActivityEntry {
            at: self.at,
            agent: self.agent,
            call_id: self.call_id,
            action,
            recording_id: self.recording_id,
            error_code: self.error_code,
            request_id: self.request_id,
            replayed: self.replayed,
            pending: self.pending,
            sandbox: self.sandbox,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn attempt(store: &Store, call_id: &str, rec: Option<&str>, err: Option<&str>) {
        let row = store
            .begin(&Attempt {
                agent: "alice",
                call_id,
                action: Action::Start,
                request_id: Some("req_1"),
                reason: None,
            })
            .await
            .unwrap();
        let outcome = Finished {
            recording_id: rec,
            error_code: err,
            replayed: false,
        };
        store.finish(row, &outcome).await.unwrap();
    }

    #[tokio::test]
    async fn records_and_reads_back_newest_first() {
        for store in super::super::test_stores().await {
            attempt(&store, "c1", Some("rec_c1"), None).await;
            attempt(&store, "c1", None, Some("recording_already_started")).await;
            attempt(&store, "c2", Some("rec_c2"), None).await;
            let h = store.history("c1").await.unwrap();
            assert_eq!(h.len(), 2);
            assert_eq!(
                h[0].error_code.as_deref(),
                Some("recording_already_started")
            );
            assert_eq!(h[1].recording_id.as_deref(), Some("rec_c1"));
            assert!(!h[0].pending && !h[0].sandbox);
            assert!(
                h[0].at.ends_with('Z') && h[0].at.contains('T'),
                "{}",
                h[0].at
            );
        }
    }
}
