//! Open pauses, one per call at most. MiniVoice documents only start and stop, so a pause is
//! ours: the segment it stopped, who paused and why, and when the server resumes by itself.
//! A due pause is claimed (a lease on the row) before it is resumed, so that however many
//! replicas see it due, one resumes it, and one that died mid-resume is taken over.

use std::time::Duration;

use minivoice_shared::{CALL_COMPLETED, CALL_ENDED};

use super::pause_log::Ended;
use super::{later, with_pool, Store};

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Pause {
    pub call_id: String,
    pub paused_by: String,
    pub reason: Option<String>,
    pub paused_at: String,
    pub resume_at: Option<String>,
    pub recording_id: Option<String>,
}

/// A due pause this replica claimed; `claim` tells its claim from a later one on the call.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ClaimedPause {
    pub call_id: String,
    #[sqlx(rename = "claimed_until")]
    pub claim: String,
}

impl Store {
    /// Records the call's pause (under the call's lock, so no other action races it), and
    /// logs it for the pause report in the same transaction.
    pub async fn open_pause(&self, p: &Pause) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO pauses
                     (call_id, paused_by, reason, paused_at, resume_at, recording_id)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (call_id) DO UPDATE SET paused_by = excluded.paused_by,
                     reason = excluded.reason, paused_at = excluded.paused_at,
                     resume_at = excluded.resume_at, recording_id = excluded.recording_id,
                     claimed_until = NULL",
            )
            .bind(&p.call_id)
            .bind(&p.paused_by)
            .bind(&p.reason)
            .bind(&p.paused_at)
            .bind(&p.resume_at)
            .bind(&p.recording_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(super::pause_log::LOG_OPEN)
                .bind(&p.call_id)
                .bind(&p.paused_by)
                .bind(&p.reason)
                .bind(&p.paused_at)
                .bind(&p.resume_at)
                .bind(&p.recording_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    }

    pub async fn pause_of(&self, call_id: &str) -> Result<Option<Pause>, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query_as(
                "SELECT call_id, paused_by, reason, paused_at, resume_at, recording_id
                 FROM pauses WHERE call_id = $1",
            )
            .bind(call_id)
            .fetch_optional(p)
            .await
        })
    }

    /// Ends the call's pause (resumed, cancelled, or the call ended) and logs how, in one
    /// transaction; whether there was one.
    pub async fn close_pause(&self, call_id: &str, end: &Ended<'_>) -> Result<bool, sqlx::Error> {
        let now = super::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let closed = sqlx::query("DELETE FROM pauses WHERE call_id = $1")
                .bind(call_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if closed {
                sqlx::query(super::pause_log::LOG_END)
                    .bind(&now)
                    .bind(end.how.as_str())
                    .bind(end.by)
                    .bind(end.next_recording_id)
                    .bind(call_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(closed)
        })
    }

    /// Claims up to `limit` pauses whose `resume_at` has come, for `lease`. Pauses of calls
    /// that are over are never claimed (the call's end closes them anyway). The conditions
    /// are repeated outside the sub-select: on PostgreSQL a replica that lost the race
    /// re-checks them against the winner's row and passes it by.
    pub async fn claim_due_pauses(
        &self,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedPause>, sqlx::Error> {
        const DUE: &str = "resume_at IS NOT NULL AND resume_at <= $2
             AND (claimed_until IS NULL OR claimed_until < $2)";
        let sql = format!(
            "UPDATE pauses SET claimed_until = $1
             WHERE call_id IN (SELECT call_id FROM pauses p WHERE {DUE}
                 AND NOT EXISTS (SELECT 1 FROM calls c
                                 WHERE c.call_id = p.call_id AND c.status IN ($4, $5))
                 ORDER BY resume_at LIMIT $3)
               AND {DUE}
             RETURNING call_id, claimed_until"
        );
        let (until, now) = (later(lease), super::now());
        with_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(&until)
                .bind(&now)
                .bind(limit)
                .bind(CALL_COMPLETED)
                .bind(CALL_ENDED)
                .fetch_all(p)
                .await
        })
    }

    /// Gives a claim back with the resume due again `after` from now (it failed in a way
    /// worth retrying); a pause opened since, with no claim of ours, is left alone.
    pub async fn retry_pause(
        &self,
        claimed: &ClaimedPause,
        after: Duration,
    ) -> Result<(), sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE pauses SET claimed_until = NULL, resume_at = $1
                 WHERE call_id = $2 AND claimed_until = $3",
            )
            .bind(later(after))
            .bind(&claimed.call_id)
            .bind(&claimed.claim)
            .execute(p)
            .await
            .map(|_| ())
        })
    }

    /// The earliest `resume_at` of a pause that could be claimed now or later (not one in
    /// flight, nor one of a call that is over), so an idle scheduler only reads.
    pub async fn next_resume(&self) -> Result<Option<String>, sqlx::Error> {
        with_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT MIN(resume_at) FROM pauses
                 WHERE resume_at IS NOT NULL AND (claimed_until IS NULL OR claimed_until < $1)
                   AND NOT EXISTS (SELECT 1 FROM calls c
                                   WHERE c.call_id = pauses.call_id AND c.status IN ($2, $3))",
            )
            .bind(super::now())
            .bind(CALL_COMPLETED)
            .bind(CALL_ENDED)
            .fetch_one(p)
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pause(call_id: &str, resume_at: Option<String>) -> Pause {
        Pause {
            call_id: call_id.into(),
            paused_by: "alice".into(),
            reason: Some("card details".into()),
            paused_at: crate::store::now(),
            resume_at,
            recording_id: Some(format!("rec_{call_id}")),
        }
    }

    #[tokio::test]
    async fn a_due_pause_is_claimed_once_and_retried_when_given_back() {
        const LEASE: Duration = Duration::from_secs(30);
        for store in crate::store::test_stores().await {
            let due = Some(crate::store::ago(Duration::from_secs(1)));
            store.open_pause(&pause("a", due.clone())).await.unwrap();
            store
                .open_pause(&pause("b", Some(later(LEASE))))
                .await
                .unwrap();
            store.open_pause(&pause("c", None)).await.unwrap();
            store.open_pause(&pause("done", due)).await.unwrap();
            store.set_call_status("done", CALL_COMPLETED).await.unwrap();
            let claimed = store.claim_due_pauses(LEASE, 10).await.unwrap();
            assert_eq!(claimed.len(), 1);
            assert_eq!(claimed[0].call_id, "a");
            assert!(store.claim_due_pauses(LEASE, 10).await.unwrap().is_empty());
            store
                .retry_pause(&claimed[0], Duration::ZERO)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            let again = store.claim_due_pauses(LEASE, 10).await.unwrap();
            assert_eq!(again.len(), 1, "due again once given back");
            let resumed = Ended::resumed("alice", Some("rec_2"));
            assert!(store.close_pause("a", &resumed).await.unwrap());
            assert!(!store.close_pause("a", &resumed).await.unwrap());
            let open = store.pause_of("c").await.unwrap().unwrap();
            assert_eq!(
                (open.resume_at, open.reason.as_deref()),
                (None, Some("card details"))
            );
            assert!(store.next_resume().await.unwrap().is_some());
        }
    }
}
