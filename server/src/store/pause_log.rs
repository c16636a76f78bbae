//! Every pause, kept after it ends (the `pauses` table holds only the open ones): who paused
//! and why, when and how it ended, the segments on either side. The pause report reads it in
//! pages by `(paused_at, id)`, so a report of any length is read in constant memory and no
//! statement runs long (PostgreSQL's `statement_timeout` would end one that did).

use minivoice_shared::{PauseEnd, PauseReportRow};

use super::{with_pool, Store};
use crate::auth::SYSTEM_AGENT;

/// A pause opened: logged with the `pauses` row, in its transaction (`open_pause`).
pub(super) const LOG_OPEN: &str = "INSERT INTO pause_log
         (call_id, paused_by, reason, paused_at, resume_at, recording_id)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// A pause ended: its open log row is closed, in `close_pause`'s transaction.
pub(super) const LOG_END: &str = "UPDATE pause_log
     SET ended_at = $1, ended_by = $2, resumed_by = $3, next_recording_id = $4
     WHERE call_id = $5 AND ended_at IS NULL";

/// How a pause ended, as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct Ended<'a> {
    pub how: PauseEnd,
    /// Who resumed (`system` for the automatic resume); `None` when nobody did.
    pub by: Option<&'a str>,
    /// The segment that followed the pause.
    pub next_recording_id: Option<&'a str>,
}

impl<'a> Ended<'a> {
    /// Resumed (or recording again) by `agent`: `auto_resumed` when that is the server.
    pub fn resumed(agent: &'a str, next_recording_id: Option<&'a str>) -> Self {
        let how = if agent == SYSTEM_AGENT {
            PauseEnd::AutoResumed
        } else {
            PauseEnd::Resumed
        };
        Ended {
            how,
            by: Some(agent),
            next_recording_id,
        }
    }

    /// Ended without a new segment: `stopped` or `call_completed`.
    pub fn without_resume(how: PauseEnd) -> Self {
        Ended {
            how,
            by: None,
            next_recording_id: None,
        }
    }
}

/// Where a page of the report starts: after this pause.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportPlace {
    pub paused_at: String,
    pub id: i64,
}

#[derive(sqlx::FromRow)]
struct LoggedPause {
    id: i64,
    call_id: String,
    paused_by: String,
    reason: Option<String>,
    paused_at: String,
    resume_at: Option<String>,
    recording_id: Option<String>,
    next_recording_id: Option<String>,
    ended_at: Option<String>,
    ended_by: Option<String>,
    resumed_by: Option<String>,
}

impl Store {
    /// Up to `limit` pauses begun in `[from, to)` (store times), after `place`, oldest first,
    /// and the place after the last one. `now` decides whether an open pause has reached its
    /// deadline.
    pub async fn pauses_between(
        &self,
        from: &str,
        to: &str,
        place: &ReportPlace,
        limit: i64,
    ) -> Result<(Vec<PauseReportRow>, ReportPlace), sqlx::Error> {
        let rows: Vec<LoggedPause> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, call_id, paused_by, reason, paused_at, resume_at, recording_id,
                        next_recording_id, ended_at, ended_by, resumed_by
                 FROM pause_log
                 WHERE paused_at >= $1 AND paused_at < $2 AND (paused_at, id) > ($3, $4)
                 ORDER BY paused_at, id LIMIT $5",
            )
            .bind(from)
            .bind(to)
            .bind(&place.paused_at)
            .bind(place.id)
            .bind(limit)
            .fetch_all(p)
            .await
        })?;
        let next = rows
            .last()
            .map_or_else(ReportPlace::default, |r| ReportPlace {
                paused_at: r.paused_at.clone(),
                id: r.id,
            });
        let now = super::now();
        Ok((rows.into_iter().map(|r| r.row(&now)).collect(), next))
    }
}

impl LoggedPause {
    fn row(self, now: &str) -> PauseReportRow {
        // Times are one fixed-width UTC format: text order is time order.
        let until = self.ended_at.as_deref().unwrap_or(now);
        let reached_pause_max = self.resume_at.as_deref().is_some_and(|due| until >= due);
        let duration_s = self
            .ended_at
            .as_deref()
            .and_then(|end| seconds_between(&self.paused_at, end));
        let resumed_at = self
            .resumed_by
            .is_some()
            .then(|| self.ended_at.clone())
            .flatten();
        PauseReportRow {
            call_id: self.call_id,
            recording_id: self.recording_id,
            next_recording_id: self.next_recording_id,
            paused_by: self.paused_by,
            reason: self.reason,
            paused_at: self.paused_at,
            resumed_at,
            resumed_by: self.resumed_by,
            duration_s,
            ended_by: self.ended_by.map_or(PauseEnd::Open, PauseEnd::from),
            reached_pause_max,
        }
    }
}

/// Seconds from `start` to `end` (RFC 3339), to the millisecond.
fn seconds_between(start: &str, end: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let at = |s: &str| time::OffsetDateTime::parse(s, &Rfc3339).ok();
    let ms = (at(end)? - at(start)?).whole_milliseconds();
    Some(ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Pause;

    fn pause(call_id: &str, at: &str, due: Option<&str>) -> Pause {
        Pause {
            call_id: call_id.into(),
            paused_by: "alice".into(),
            reason: Some("card, \"details\"".into()),
            paused_at: at.into(),
            resume_at: due.map(str::to_owned),
            recording_id: Some(format!("rec_{call_id}_1")),
        }
    }

    #[tokio::test]
    async fn each_pause_is_logged_with_how_it_ended_and_read_in_pages() {
        use crate::store::{ago, later};
        use std::time::Duration;
        let secs = Duration::from_secs;
        for store in crate::store::test_stores().await {
            let (at_a, at_b, at_c) = (ago(secs(30)), ago(secs(20)), ago(secs(10)));
            let open = pause("a", &at_a, Some(&later(secs(150))));
            store.open_pause(&open).await.unwrap();
            let resumed = Ended::resumed("bob", Some("rec_a_2"));
            assert!(store.close_pause("a", &resumed).await.unwrap());
            let overdue = pause("b", &at_b, Some(&ago(secs(1))));
            store.open_pause(&overdue).await.unwrap();
            let auto = Ended::resumed(SYSTEM_AGENT, Some("rec_b_2"));
            assert!(store.close_pause("b", &auto).await.unwrap());
            store.open_pause(&pause("c", &at_c, None)).await.unwrap();
            let (from, to) = (ago(secs(3600)), later(secs(60)));
            let start = ReportPlace::default();
            let (first, place) = store.pauses_between(&from, &to, &start, 2).await.unwrap();
            assert_eq!(first.len(), 2);
            assert_eq!(first[0].ended_by, PauseEnd::Resumed);
            assert_eq!(first[0].resumed_by.as_deref(), Some("bob"));
            assert_eq!(first[0].next_recording_id.as_deref(), Some("rec_a_2"));
            assert_eq!(first[0].reason.as_deref(), Some("card, \"details\""));
            let lasted = first[0].duration_s.unwrap();
            assert!((30.0..150.0).contains(&lasted), "{lasted}");
            assert!(!first[0].reached_pause_max);
            assert!(first[0].resumed_at.is_some());
            assert_eq!(first[1].ended_by, PauseEnd::AutoResumed);
            assert!(first[1].reached_pause_max);
            let (rest, _) = store.pauses_between(&from, &to, &place, 2).await.unwrap();
            assert_eq!(rest.len(), 1);
            assert_eq!(rest[0].ended_by, PauseEnd::Open);
            assert_eq!(
                (rest[0].duration_s, rest[0].resumed_at.as_deref()),
                (None, None)
            );
            let later_on = store.pauses_between(&ago(secs(5)), &to, &start, 9).await;
            assert!(later_on.unwrap().0.is_empty(), "paused before the range");
        }
    }

    #[test]
    fn durations_are_read_to_the_millisecond() {
        let d = seconds_between("2026-03-01T10:00:00.000Z", "2026-03-01T10:03:00.250Z");
        assert_eq!(d, Some(180.25));
    }
}
