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
}

/// One attempt, as the recordings route saw it end.
pub struct Attempt<'a> {
    pub agent: &'a str,
    pub call_id: &'a str,
    pub action: Action,
    pub recording_id: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub replayed: bool,
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
        Ok(Audit { pool })
    }

    /// One attempt. The call ↔ recording link is written by [`Audit::upsert_recording`],
    /// which the recordings route calls for every accepted action.
    pub async fn record(&self, a: &Attempt<'_>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO actions (agent, call_id, action, recording_id, error_code, request_id, replayed)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.agent)
        .bind(a.call_id)
        .bind(a.action.as_str())
        .bind(a.recording_id)
        .bind(a.error_code)
        .bind(a.request_id)
        .bind(a.replayed)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The call's latest attempts, newest first.
    pub async fn history(&self, call_id: &str) -> Result<Vec<ActivityEntry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT at, agent, call_id, action, recording_id, error_code, request_id, replayed
             FROM actions WHERE call_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(call_id)
        .bind(HISTORY_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                Ok(ActivityEntry {
                    at: r.try_get("at")?,
                    agent: r.try_get("agent")?,
                    call_id: r.try_get("call_id")?,
                    action: if action == "stop" {
                        Action::Stop
                    } else {
                        Action::Start
                    },
                    recording_id: r.try_get("recording_id")?,
                    error_code: r.try_get("error_code")?,
                    request_id: r.try_get("request_id")?,
                    replayed: r.try_get("replayed")?,
                })
            })
            .collect()
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

    /// Marks a webhook delivery as seen; `false` when it was seen before (a redelivery).
    pub async fn first_delivery(&self, delivery_id: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("INSERT OR IGNORE INTO webhook_deliveries (delivery_id) VALUES (?)")
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
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

    fn attempt<'a>(call_id: &'a str, rec: Option<&'a str>, err: Option<&'a str>) -> Attempt<'a> {
        Attempt {
            agent: "alice",
            call_id,
            action: Action::Start,
            recording_id: rec,
            error_code: err,
            request_id: Some("req_1"),
            replayed: false,
        }
    }

    #[tokio::test]
    async fn records_and_reads_back_newest_first() {
        let audit = Audit::open("sqlite::memory:").await.unwrap();
        audit
            .record(&attempt("c1", Some("rec_c1"), None))
            .await
            .unwrap();
        audit
            .record(&attempt("c1", None, Some("recording_already_started")))
            .await
            .unwrap();
        audit
            .record(&attempt("c2", Some("rec_c2"), None))
            .await
            .unwrap();
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
    }
}
