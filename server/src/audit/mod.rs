//! The audit trail: every start/stop attempt and every call ↔ recording link, in SQLite
//! (WAL mode, so concurrent writers queue instead of failing, and nothing is lost on restart).

use std::str::FromStr;
use std::time::Duration;

use minivoice_shared::{Action, ActivityEntry, CallState};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

/// How many entries `history` returns, newest first.
pub const HISTORY_LIMIT: i64 = 50;

#[derive(Clone)]
pub struct Audit {
    pool: SqlitePool,
    /// Every action is made against the built-in sandbox (its rows say so).
    sandbox: bool,
}

/// One attempt, as the recordings route starts it.
pub struct Attempt<'a> {
    pub agent: &'a str,
    pub call_id: &'a str,
    pub action: Action,
    pub request_id: Option<&'a str>,
}

/// How an attempt ended.
pub struct Finished<'a> {
    pub recording_id: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub replayed: bool,
}

/// A webhook delivery waiting in the inbox.
#[derive(sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub body: Vec<u8>,
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

impl Audit {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            // An in-memory database exists per connection: keep exactly one.
            .max_connections(if memory { 1 } else { 4 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Audit {
            pool,
            sandbox: false,
        })
    }

    /// Marks every action recorded from now on as made against the sandbox.
    pub fn in_sandbox(mut self) -> Self {
        self.sandbox = true;
        self
    }

    /// Writes an attempt as pending, before anything is forwarded; returns its row.
    pub async fn begin(&self, a: &Attempt<'_>) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO actions (agent, call_id, action, request_id, pending, sandbox)
             VALUES (?, ?, ?, ?, 1, ?) RETURNING id",
        )
        .bind(a.agent)
        .bind(a.call_id)
        .bind(a.action.as_str())
        .bind(a.request_id)
        .bind(self.sandbox)
        .fetch_one(&self.pool)
        .await
    }

    /// Records how the attempt `row` ended.
    pub async fn finish(&self, row: i64, o: &Finished<'_>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE actions SET recording_id = ?, error_code = ?, replayed = ?, pending = 0
             WHERE id = ?",
        )
        .bind(o.recording_id)
        .bind(o.error_code)
        .bind(o.replayed)
        .bind(row)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The call's latest attempts, newest first.
    pub async fn history(&self, call_id: &str) -> Result<Vec<ActivityEntry>, sqlx::Error> {
        let rows: Vec<ActionRow> = sqlx::query_as(
            "SELECT at, agent, call_id, action, recording_id, error_code, request_id, replayed,
                    pending, sandbox
             FROM actions WHERE call_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(call_id)
        .bind(HISTORY_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let action = match r.action.as_str() {
                    "start" => Action::Start,
                    "stop" => Action::Stop,
                    other => {
                        tracing::warn!(action = other, "unknown action in the audit trail");
                        return None;
                    }
                };
                Some(ActivityEntry {
                    at: r.at,
                    agent: r.agent,
                    call_id: r.call_id,
                    action,
                    recording_id: r.recording_id,
                    error_code: r.error_code,
                    request_id: r.request_id,
                    replayed: r.replayed,
                    pending: r.pending,
                    sandbox: r.sandbox,
                })
            })
            .collect())
    }

    /// A recording's latest known state (from our own actions or a webhook).
    pub async fn upsert_recording(
        &self,
        call_id: &str,
        rec: &minivoice_shared::Recording,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO recordings (recording_id, call_id, status, duration_seconds, size_bytes, updated_at)
             VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ON CONFLICT (recording_id) DO UPDATE SET status = excluded.status,
                 duration_seconds = excluded.duration_seconds, size_bytes = excluded.size_bytes,
                 updated_at = excluded.updated_at",
        )
        .bind(&rec.id)
        .bind(call_id)
        .bind(rec.status.as_str())
        .bind(rec.duration_seconds as i64)
        .bind(rec.size_bytes as i64)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The call a recording is linked to in our records, if we have seen it.
    pub async fn call_of_recording(
        &self,
        recording_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT call_id FROM recordings WHERE recording_id = ?")
            .bind(recording_id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn set_call_status(&self, call_id: &str, status: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO calls (call_id, status) VALUES (?, ?)
             ON CONFLICT (call_id) DO UPDATE SET status = excluded.status,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(call_id)
        .bind(status)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn call_state(&self, call_id: &str) -> Result<CallState, sqlx::Error> {
        let row = sqlx::query("SELECT status, updated_at FROM calls WHERE call_id = ?")
            .bind(call_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(CallState {
            call_id: call_id.to_owned(),
            status: row.as_ref().map(|r| r.try_get("status")).transpose()?,
            updated_at: row.as_ref().map(|r| r.try_get("updated_at")).transpose()?,
        })
    }

    /// Stores a delivery in the inbox; `false` when its ID is there already (a redelivery).
    pub async fn accept_delivery(
        &self,
        delivery_id: &str,
        body: &[u8],
    ) -> Result<bool, sqlx::Error> {
        let done =
            sqlx::query("INSERT OR IGNORE INTO webhook_inbox (delivery_id, body) VALUES (?, ?)")
                .bind(delivery_id)
                .bind(body)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The oldest deliveries not yet processed.
    pub async fn unprocessed(&self, limit: i64) -> Result<Vec<Delivery>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, body FROM webhook_inbox WHERE processed_at IS NULL ORDER BY id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn unprocessed_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_inbox WHERE processed_at IS NULL")
            .fetch_one(&self.pool)
            .await
    }

    /// Marks deliveries processed, in one statement for a whole batch.
    pub async fn mark_processed(&self, ids: &[i64]) -> Result<(), sqlx::Error> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "UPDATE webhook_inbox SET processed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Drops processed deliveries older than `retention`; a redelivery after that is new.
    pub async fn forget_deliveries(&self, retention: Duration) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "DELETE FROM webhook_inbox WHERE processed_at IS NOT NULL
             AND processed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
        )
        .bind(format!("-{} seconds", retention.as_secs()))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Recording IDs linked to a call, oldest first (no route reads the links yet).
    #[cfg(test)]
    pub async fn recordings_of(&self, call_id: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT recording_id FROM recordings WHERE call_id = ? ORDER BY first_seen, recording_id")
            .bind(call_id)
            .fetch_all(&self.pool)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn attempt(audit: &Audit, call_id: &str, rec: Option<&str>, err: Option<&str>) {
        let row = audit
            .begin(&Attempt {
                agent: "alice",
                call_id,
                action: Action::Start,
                request_id: Some("req_1"),
            })
            .await
            .unwrap();
        let outcome = Finished {
            recording_id: rec,
            error_code: err,
            replayed: false,
        };
        audit.finish(row, &outcome).await.unwrap();
    }

    #[tokio::test]
    async fn records_and_reads_back_newest_first() {
        let audit = Audit::open("sqlite::memory:").await.unwrap();
        attempt(&audit, "c1", Some("rec_c1"), None).await;
        attempt(&audit, "c1", None, Some("recording_already_started")).await;
        attempt(&audit, "c2", Some("rec_c2"), None).await;
        let h = audit.history("c1").await.unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0].error_code.as_deref(),
            Some("recording_already_started")
        );
        assert_eq!(h[1].recording_id.as_deref(), Some("rec_c1"));
        assert!(
            h[0].at.ends_with('Z') && h[0].at.contains('T'),
            "{}",
            h[0].at
        );
        let rec = minivoice_shared::Recording {
            id: "rec_c1".into(),
            status: minivoice_shared::RecordingStatus::STARTED,
            duration_seconds: 0,
            size_bytes: 0,
            extra: Default::default(),
        };
        audit.upsert_recording("c1", &rec).await.unwrap();
        audit.upsert_recording("c1", &rec).await.unwrap();
        assert_eq!(audit.recordings_of("c1").await.unwrap(), ["rec_c1"]);
        assert_eq!(
            audit.call_of_recording("rec_c1").await.unwrap().as_deref(),
            Some("c1")
        );
    }

    #[tokio::test]
    async fn the_inbox_keeps_deliveries_until_processed_and_forgets_them_after_retention() {
        let audit = Audit::open("sqlite::memory:").await.unwrap();
        assert!(audit.accept_delivery("d1", b"{}").await.unwrap());
        assert!(!audit.accept_delivery("d1", b"{}").await.unwrap());
        assert!(audit.accept_delivery("d2", b"x").await.unwrap());
        let todo = audit.unprocessed(10).await.unwrap();
        assert_eq!(todo.len(), 2);
        audit.mark_processed(&[todo[0].id]).await.unwrap();
        assert_eq!(audit.unprocessed_count().await.unwrap(), 1);
        assert_eq!(
            audit
                .forget_deliveries(Duration::from_secs(3600))
                .await
                .unwrap(),
            0
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(audit.forget_deliveries(Duration::ZERO).await.unwrap(), 1);
        assert!(
            audit.accept_delivery("d1", b"{}").await.unwrap(),
            "forgotten: new again"
        );
        assert!(
            !audit.accept_delivery("d2", b"x").await.unwrap(),
            "unprocessed: kept"
        );
    }
}
