//! What we know of calls and recordings: each recording linked to its call (MiniVoice's
//! advice), its latest state, and each call's status from webhooks.

use minivoice_shared::{call_is_over, CallState, Recording, RecordingState, CALL_COMPLETED};

use super::{with_pool, Store};

#[derive(sqlx::FromRow)]
struct CallRow {
    status: String,
    updated_at: String,
}

impl Store {
    /// A recording's latest known state (from our own actions or a webhook), and the call it
    /// belongs to: `call_id` for a recording seen first now, else the call it was linked to
    /// when first seen (a link never moves; one statement, so no other writer slips in
    /// between reading the link and writing the state).
    pub async fn upsert_recording(
        &self,
        call_id: &str,
        rec: &Recording,
    ) -> Result<String, sqlx::Error> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO recordings
                     (recording_id, call_id, status, duration_seconds, size_bytes, first_seen, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (recording_id) DO UPDATE SET status = excluded.status,
                     duration_seconds = excluded.duration_seconds,
                     size_bytes = excluded.size_bytes, updated_at = excluded.updated_at
                 RETURNING call_id",
            )
            .bind(&rec.id)
            .bind(call_id)
            .bind(rec.status.as_str())
            .bind(rec.duration_seconds as i64)
            .bind(rec.size_bytes as i64)
            .bind(&now)
            .fetch_one(p)
            .await
        })
    }

    /// The call a recording is linked to in our records, if we have seen it.
    pub async fn call_of_recording(
        &self,
        recording_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query_scalar("SELECT call_id FROM recordings WHERE recording_id = $1")
                .bind(recording_id)
                .fetch_optional(p)
                .await
        })
    }

    pub async fn set_call_status(&self, call_id: &str, status: &str) -> Result<(), sqlx::Error> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query(
                "INSERT INTO calls (call_id, status, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (call_id) DO UPDATE SET status = excluded.status,
                     updated_at = excluded.updated_at",
            )
            .bind(call_id)
            .bind(status)
            .bind(&now)
            .execute(p)
            .await
            .map(|_| ())
        })
    }

    /// Marks a call MiniVoice called no longer active (`call_not_active`), unless a webhook
    /// already said how it ended. Whether that changed anything (so it is announced once).
    pub async fn mark_call_ended(&self, call_id: &str) -> Result<bool, sqlx::Error> {
        let now = super::now();
        let changed: Option<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO calls (call_id, status, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (call_id) DO UPDATE SET status = excluded.status,
                     updated_at = excluded.updated_at
                 WHERE calls.status <> $4 AND calls.status <> excluded.status
                 RETURNING call_id",
            )
            .bind(call_id)
            .bind(minivoice_shared::CALL_ENDED)
            .bind(&now)
            .bind(CALL_COMPLETED)
            .fetch_optional(p)
            .await
        })?;
        Ok(changed.is_some())
    }

    /// What the status route answers: the call's status from webhooks, and whether it is
    /// being recorded (a recording we last knew as started), paused, or neither.
    pub async fn call_state(&self, call_id: &str) -> Result<CallState, sqlx::Error> {
        let row: Option<CallRow> = with_pool!(self, p => {
            sqlx::query_as("SELECT status, updated_at FROM calls WHERE call_id = $1")
                .bind(call_id)
                .fetch_optional(p)
                .await
        })?;
        let mut state = CallState {
            call_id: call_id.to_owned(),
            status: row.as_ref().map(|r| r.status.clone()),
            updated_at: row.map(|r| r.updated_at),
            recording: Some(RecordingState::Idle),
            ..CallState::default()
        };
        // Nothing is recorded on a call that is over, whatever a stale row says.
        if state.status.as_deref().is_some_and(call_is_over) {
            return Ok(state);
        }
        if let Some(pause) = self.pause_of(call_id).await? {
            state.recording = Some(RecordingState::Paused);
            state.recording_id = pause.recording_id;
            state.paused_by = Some(pause.paused_by);
            state.reason = pause.reason;
            state.paused_at = Some(pause.paused_at);
            state.resume_at = pause.resume_at;
            return Ok(state);
        }
        let started: Option<String> = with_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT recording_id FROM recordings WHERE call_id = $1 AND status = $2
                 ORDER BY updated_at DESC LIMIT 1",
            )
            .bind(call_id)
            .bind(minivoice_shared::RecordingStatus::STARTED.as_str())
            .fetch_optional(p)
            .await
        })?;
        if started.is_some() {
            state.recording = Some(RecordingState::Recording);
            state.recording_id = started;
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use minivoice_shared::{RecordingState, RecordingStatus};

    #[tokio::test]
    async fn links_recordings_and_keeps_call_states() {
        for store in super::super::test_stores().await {
            let rec = minivoice_shared::Recording {
                id: "rec_c1".into(),
                status: RecordingStatus::STARTED,
                duration_seconds: 0,
                size_bytes: 0,
                extra: Default::default(),
            };
            assert_eq!(store.upsert_recording("c1", &rec).await.unwrap(), "c1");
            assert_eq!(store.upsert_recording("c1", &rec).await.unwrap(), "c1");
            // A link never moves: the recording stays c1's, and says so.
            let stopped = minivoice_shared::Recording {
                status: RecordingStatus::STOPPED,
                ..rec.clone()
            };
            assert_eq!(store.upsert_recording("c2", &stopped).await.unwrap(), "c1");
            assert_eq!(store.call_state("c2").await.unwrap().recording_id, None);
            store.upsert_recording("c1", &rec).await.unwrap();
            assert_eq!(
                store.call_of_recording("rec_c1").await.unwrap().as_deref(),
                Some("c1")
            );
            assert_eq!(store.call_of_recording("rec_x").await.unwrap(), None);
            let state = store.call_state("c1").await.unwrap();
            assert_eq!(state.status, None);
            assert_eq!(state.recording, Some(RecordingState::Recording));
            assert_eq!(state.recording_id.as_deref(), Some("rec_c1"));
            assert!(store.mark_call_ended("c1").await.unwrap());
            assert!(!store.mark_call_ended("c1").await.unwrap(), "once");
            store.set_call_status("c1", "completed").await.unwrap();
            assert!(
                !store.mark_call_ended("c1").await.unwrap(),
                "completed stays"
            );
            let state = store.call_state("c1").await.unwrap();
            assert_eq!(state.status.as_deref(), Some("completed"));
            assert_eq!(state.recording, Some(RecordingState::Idle));
            assert!(state.updated_at.unwrap().ends_with('Z'));
        }
    }
}
