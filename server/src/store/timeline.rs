//! A call's whole story: its actions (the audit trail) and the webhooks about it (the inbox
//! rows whose IDs name the call, or a recording linked to it), merged in time.

use minivoice_shared::timeline::{RESULT_OK, RESULT_PENDING};
use minivoice_shared::{TimelineEntry, TimelineKind};

use super::{with_pool, Store};

/// Most entries a timeline returns: the latest ones, oldest first.
pub const TIMELINE_LIMIT: i64 = 500;

#[derive(sqlx::FromRow)]
struct ActionRow {
    at: String,
    agent: String,
    action: String,
    recording_id: Option<String>,
    error_code: Option<String>,
    pending: bool,
    reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    received_at: String,
    event_type: Option<String>,
    recording_id: Option<String>,
    body: Vec<u8>,
}

impl Store {
    /// The call's latest [`TIMELINE_LIMIT`] entries, oldest first. A webhook that names only
    /// a recording (an AI result, say) joins the call through our recording ↔ call link.
    pub async fn timeline(&self, call_id: &str) -> Result<Vec<TimelineEntry>, sqlx::Error> {
        let actions: Vec<ActionRow> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT at, agent, action, recording_id, error_code, pending, reason
                 FROM actions WHERE call_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(call_id)
            .bind(TIMELINE_LIMIT)
            .fetch_all(p)
            .await
        })?;
        // Two indexed halves rather than one OR, which would scan the inbox.
        let webhooks: Vec<WebhookRow> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT received_at, event_type, recording_id, body FROM (
                     SELECT id, received_at, event_type, recording_id, body FROM webhook_inbox
                     WHERE call_id = $1 AND processed_at IS NOT NULL
                     UNION ALL
                     SELECT id, received_at, event_type, recording_id, body FROM webhook_inbox
                     WHERE call_id IS NULL AND processed_at IS NOT NULL AND recording_id IN
                         (SELECT recording_id FROM recordings WHERE call_id = $1)
                 ) AS story ORDER BY id DESC LIMIT $2",
            )
            .bind(call_id)
            .bind(TIMELINE_LIMIT)
            .fetch_all(p)
            .await
        })?;
        // Each half oldest first before the merge, so ties keep their own order.
        let mut entries: Vec<TimelineEntry> = actions
            .into_iter()
            .rev()
            .map(ActionRow::entry)
            .chain(webhooks.into_iter().rev().map(WebhookRow::entry))
            .collect();
        // Times are one fixed-width UTC format, so text order is time order; the sort is
        // stable, so at the same millisecond an action stays before the webhook it caused.
        entries.sort_by(|a, b| a.at.cmp(&b.at));
        let excess = entries.len().saturating_sub(TIMELINE_LIMIT as usize);
        entries.drain(..excess);
        Ok(entries)
    }
}

impl ActionRow {
    fn entry(self) -> TimelineEntry {
        let result = if self.pending {
            RESULT_PENDING.to_owned()
        } else {
            self.error_code.unwrap_or_else(|| RESULT_OK.into())
        };
        TimelineEntry {
            at: self.at,
            kind: TimelineKind::Action,
            what: self.action,
            agent: Some(self.agent),
            recording_id: self.recording_id,
            result: Some(result),
            reason: self.reason,
            event: None,
            extra: Default::default(),
        }
    }
}

impl WebhookRow {
    fn entry(self) -> TimelineEntry {
        // Only JSON names a call, so this is JSON; were it not, it is still shown as sent.
        let event = serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&self.body).into_owned())
        });
        TimelineEntry {
            at: self.received_at,
            kind: TimelineKind::Webhook,
            what: self.event_type.unwrap_or_else(|| "unknown".into()),
            agent: None,
            recording_id: self.recording_id,
            result: None,
            reason: None,
            event: Some(event),
            extra: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Attempt, Finished, Processed};
    use minivoice_shared::{Action, Recording, RecordingStatus};

    #[tokio::test]
    async fn actions_and_webhooks_merge_in_time_and_recordings_join_their_call() {
        for store in crate::store::test_stores().await {
            let row = store
                .begin(&Attempt {
                    agent: "alice",
                    call_id: "c",
                    action: Action::Pause,
                    request_id: None,
                    reason: Some("card"),
                })
                .await
                .unwrap();
            let rec = Recording {
                id: "rec_c".into(),
                status: RecordingStatus::STOPPED,
                duration_seconds: 1,
                size_bytes: 2,
                extra: Default::default(),
            };
            store.upsert_recording("c", &rec).await.unwrap();
            let done = Finished {
                recording_id: Some("rec_c"),
                error_code: None,
                replayed: false,
            };
            store.finish(row, &done).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            let bodies: [&[u8]; 3] = [
                br#"{"type":"ai.transcript.ready","data":{"recording_id":"rec_c"}}"#,
                br#"{"event":"call.completed","call":{"id":"c"}}"#,
                br#"{"event":"call.completed","call":{"id":"other"}}"#,
            ];
            for (i, body) in bodies.iter().enumerate() {
                store.accept_delivery(&format!("d{i}"), body).await.unwrap();
            }
            let batch = store.take_batch(10).await.unwrap();
            let ids: Vec<i64> = batch.deliveries.iter().map(|d| d.id).collect();
            let facts = [
                (None, Some("rec_c"), "ai.transcript.ready"),
                (Some("c"), None, "call.completed"),
                (Some("other"), None, "call.completed"),
            ];
            let processed: Vec<Processed> = ids
                .iter()
                .zip(facts)
                .map(|(id, (call, rec, kind))| Processed {
                    id: *id,
                    call_id: call.map(Into::into),
                    recording_id: rec.map(Into::into),
                    event_type: Some(kind.into()),
                    effect: "x".into(),
                })
                .collect();
            store.finish_batch(batch, &processed).await.unwrap();
            let story = store.timeline("c").await.unwrap();
            let kinds: Vec<(&str, &str)> = story
                .iter()
                .map(|e| (e.kind.as_str(), e.what.as_str()))
                .collect();
            assert_eq!(
                kinds,
                [
                    ("action", "pause"),
                    ("webhook", "ai.transcript.ready"),
                    ("webhook", "call.completed")
                ]
            );
            assert_eq!(story[0].result.as_deref(), Some("ok"));
            assert_eq!(story[0].reason.as_deref(), Some("card"));
            assert_eq!(story[1].recording_id.as_deref(), Some("rec_c"));
            assert_eq!(story[2].event.as_ref().unwrap()["call"]["id"], "c");
        }
    }
}
