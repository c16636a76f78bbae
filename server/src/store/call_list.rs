//! The calls being recorded or paused now, across every replica (they share the store): what
//! a supervisor's list shows, newest first, a page at a time.

use minivoice_shared::{LiveCall, RecordingState, RecordingStatus, CALL_COMPLETED, CALL_ENDED};

use super::{with_pool, Store};

/// Where a page starts: before this call in the list's order (`since` descending, then call
/// ID descending). The first page starts before everything.
#[derive(Clone, Debug, PartialEq)]
pub struct ListPlace {
    pub since: String,
    pub call_id: String,
}

impl Default for ListPlace {
    fn default() -> Self {
        // Every stored time starts with a digit, and `~` sorts after every digit.
        ListPlace {
            since: "~".into(),
            call_id: String::new(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ListedCall {
    call_id: String,
    state: String,
    since: String,
    recording_id: Option<String>,
    started_by: Option<String>,
    started_at: Option<String>,
    paused_by: Option<String>,
    reason: Option<String>,
    paused_at: Option<String>,
    resume_at: Option<String>,
}

/// A call is paused while it has an open pause, and recording while its latest started
/// segment is still `started`; neither once the call is over. `since` orders the list: when
/// the pause began, or when the segment started. Who started a segment is the agent whose
/// start or resume MiniVoice answered with it.
///
/// Every lookup is by an index (`recordings_by_status`, the calls' key), so the list costs
/// what is live, not what the store has kept: `NOT EXISTS`, not `NOT IN (SELECT … FROM
/// calls)`, which both engines answered by reading every call ever stored (17 s on
/// PostgreSQL and 0.9 s on SQLite with a million, docs/supervisor.md).
const LIST: &str = "SELECT x.call_id, x.state, x.since, x.recording_id,
        (SELECT a.agent FROM actions a
          WHERE a.call_id = x.call_id AND a.recording_id = x.recording_id
            AND a.action IN ('start', 'resume') AND a.error_code IS NULL
          ORDER BY a.id LIMIT 1) AS started_by,
        (SELECT r.first_seen FROM recordings r WHERE r.recording_id = x.recording_id)
            AS started_at,
        x.paused_by, x.reason, x.paused_at, x.resume_at
    FROM (
        SELECT p.call_id, CAST('paused' AS TEXT) AS state, p.paused_at AS since,
               p.recording_id, p.paused_by, p.reason, p.paused_at, p.resume_at
        FROM pauses p
        UNION ALL
        SELECT r.call_id, CAST('recording' AS TEXT), r.first_seen, r.recording_id,
               CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
        FROM recordings r
        WHERE r.status = $1
          AND r.updated_at = (SELECT MAX(r2.updated_at) FROM recordings r2
                               WHERE r2.call_id = r.call_id AND r2.status = $1)
          AND r.call_id NOT IN (SELECT call_id FROM pauses)
    ) x
    WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.call_id = x.call_id AND c.status IN ($2, $3))
      AND x.state IN ($4, $5)
      AND (x.since < $6 OR (x.since = $6 AND x.call_id < $7))
    ORDER BY x.since DESC, x.call_id DESC
    LIMIT $8";

impl Store {
    /// Up to `limit` calls in one of `states` (`recording`, `paused`), after `place`, and
    /// the place after the last one (`None` when this page is the last).
    pub async fn calls_in_state(
        &self,
        states: [RecordingState; 2],
        place: &ListPlace,
        limit: i64,
    ) -> Result<(Vec<LiveCall>, Option<ListPlace>), sqlx::Error> {
        let rows: Vec<ListedCall> = with_pool!(self, p => {
            sqlx::query_as(LIST)
                .bind(RecordingStatus::STARTED.as_str())
                .bind(CALL_COMPLETED)
                .bind(CALL_ENDED)
                .bind(states[0].as_str())
                .bind(states[1].as_str())
                .bind(&place.since)
                .bind(&place.call_id)
                // One more than asked: whether there is a next page.
                .bind(limit + 1)
                .fetch_all(p)
                .await
        })?;
        let more = rows.len() as i64 > limit;
        let rows: Vec<ListedCall> = rows.into_iter().take(limit as usize).collect();
        let next = rows.last().filter(|_| more).map(|r| ListPlace {
            since: r.since.clone(),
            call_id: r.call_id.clone(),
        });
        Ok((rows.into_iter().map(ListedCall::call).collect(), next))
    }
}

impl ListedCall {
    fn call(self) -> LiveCall {
        LiveCall {
            call_id: self.call_id,
            state: RecordingState::from(self.state),
            recording_id: self.recording_id,
            started_by: self.started_by,
            started_at: self.started_at,
            paused_by: self.paused_by,
            reason: self.reason,
            paused_at: self.paused_at,
            resume_at: self.resume_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use minivoice_shared::{Action, Recording};

    use super::*;
    use crate::store::{Attempt, Ended, Finished, Pause};

    async fn started(store: &Store, call_id: &str, agent: &str) {
        let row = store
            .begin(&Attempt {
                agent,
                call_id,
                action: Action::Start,
                request_id: None,
                reason: None,
            })
            .await
            .unwrap();
        let rec = Recording {
            id: format!("rec_{call_id}"),
            status: RecordingStatus::STARTED,
            duration_seconds: 0,
            size_bytes: 0,
            extra: Default::default(),
        };
        store.upsert_recording(call_id, &rec).await.unwrap();
        let done = Finished {
            recording_id: Some(&rec.id),
            error_code: None,
            replayed: false,
        };
        store.finish(row, &done).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }

    /// Read by index, every table but the open pauses (one row a paused call): the list's
    /// cost follows the calls live now, not the calls and recordings kept (SQLite's plan, which
    /// assumes large tables; `tests/api/supervisor_scale.rs` times both engines).
    #[tokio::test]
    async fn the_list_reads_by_index_not_every_call_kept() {
        let store = Store::open("sqlite::memory:", Default::default())
            .await
            .unwrap();
        let crate::store::Pool::Sqlite(pool) = &store.pool else {
            unreachable!("a SQLite store")
        };
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {LIST}"))
                .bind(RecordingStatus::STARTED.as_str())
                .bind(CALL_COMPLETED)
                .bind(CALL_ENDED)
                .bind(RecordingState::Recording.as_str())
                .bind(RecordingState::Paused.as_str())
                .bind("~")
                .bind("")
                .bind(51)
                .fetch_all(pool)
                .await
                .unwrap();
        let steps: Vec<&str> = plan.iter().map(|(.., step)| step.as_str()).collect();
        let scans: Vec<&&str> = steps
            .iter()
            .filter(|s| s.starts_with("SCAN") && **s != "SCAN p")
            .collect();
        assert!(scans.is_empty(), "{steps:#?}");
        assert!(
            steps.contains(&"SEARCH r USING INDEX recordings_by_status (status=?)"),
            "{steps:#?}"
        );
    }

    #[tokio::test]
    async fn recording_and_paused_calls_are_listed_newest_first_in_pages() {
        const BOTH: [RecordingState; 2] = [RecordingState::Recording, RecordingState::Paused];
        for store in crate::store::test_stores().await {
            for (call, agent) in [("c1", "ann"), ("c2", "bob"), ("c3", "cy"), ("over", "dee")] {
                started(&store, call, agent).await;
            }
            store.set_call_status("over", CALL_COMPLETED).await.unwrap();
            let pause = Pause {
                call_id: "c1".into(),
                paused_by: "ann".into(),
                reason: Some("card".into()),
                paused_at: crate::store::now(),
                resume_at: None,
                recording_id: Some("rec_c1".into()),
            };
            store.open_pause(&pause).await.unwrap();
            let (first, next) = store
                .calls_in_state(BOTH, &ListPlace::default(), 2)
                .await
                .unwrap();
            let ids: Vec<_> = first.iter().map(|c| c.call_id.as_str()).collect();
            assert_eq!(ids, ["c1", "c3"], "the pause is the newest");
            assert_eq!(first[0].state, RecordingState::Paused);
            assert_eq!(first[0].reason.as_deref(), Some("card"));
            assert_eq!(first[0].started_by.as_deref(), Some("ann"));
            assert_eq!(first[1].started_by.as_deref(), Some("cy"));
            assert!(first[1].started_at.is_some());
            let (rest, end) = store.calls_in_state(BOTH, &next.unwrap(), 2).await.unwrap();
            assert_eq!((rest.len(), rest[0].call_id.as_str(), end), (1, "c2", None));
            let paused = [RecordingState::Paused, RecordingState::Paused];
            let (only, _) = store
                .calls_in_state(paused.clone(), &ListPlace::default(), 9)
                .await
                .unwrap();
            assert_eq!(only.len(), 1);
            store
                .close_pause(
                    "c1",
                    &Ended::without_resume(minivoice_shared::PauseEnd::Stopped),
                )
                .await
                .unwrap();
            let (none, _) = store
                .calls_in_state(paused, &ListPlace::default(), 9)
                .await
                .unwrap();
            assert!(none.is_empty());
        }
    }
}
