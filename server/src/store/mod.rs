//! The proxy's own state, in one interface with two engines: SQLite, embedded, for one
//! machine (the default), and PostgreSQL for several replicas acting as one service.
//!
//! The SQL is written once, in the subset both engines speak (`$n` parameters, `ON CONFLICT`,
//! `RETURNING`, times as RFC 3339 text written by us), and compiled for each driver by
//! [`with_pool!`]; the few statements that must differ say so where they are.

mod actions;
mod call_list;
mod calls;
mod deliveries;
mod events;
mod idempotency;
mod inbox;
mod locks;
mod pause_log;
mod pauses;
mod timeline;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use actions::{Attempt, Finished, HISTORY_LIMIT};
pub use call_list::ListPlace;
pub use deliveries::{InspectKeep, Received, REFUSED_KEEP};
pub use events::{StoredEvent, NOTIFY_CHANNEL};
pub use idempotency::{Claim, KeyAnswer};
pub use inbox::{Batch, Delivery, Processed};
pub use locks::CallLock;
pub use pause_log::{Ended, ReportPlace};
pub use pauses::{ClaimedPause, Pause};
pub use timeline::TIMELINE_LIMIT;

/// Runs `$body` with `$pool` bound to whichever pool backs `$store`: one text of SQL, compiled
/// for both drivers.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Connection limits for the store (PostgreSQL; SQLite keeps its own small pool).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: u32,
    /// How long a request waits for a connection before the store counts as unavailable.
    pub acquire_timeout: Duration,
    /// Longest a statement may run (PostgreSQL `statement_timeout`).
    pub statement_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// Every action is made against the built-in sandbox (its rows say so).
    sandbox: bool,
    /// Whether the last health check reached the store; `/api` answers 503 while it is not.
    healthy: Arc<AtomicBool>,
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `url`: `postgres://…` or
    /// `sqlite://…` / `sqlite::memory:`.
    pub async fn open(url: &str, limits: Limits) -> Result<Self, sqlx::Error> {
        let pool = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Pool::Postgres(open_postgres(url, limits).await?)
        } else {
            Pool::Sqlite(open_sqlite(url).await?)
        };
        match &pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(Store {
            pool,
            sandbox: false,
            healthy: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Marks every action recorded from now on as made against the sandbox.
    pub fn in_sandbox(mut self) -> Self {
        self.sandbox = true;
        self
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// The PostgreSQL pool, for `LISTEN` (only PostgreSQL announces events).
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Whether the store answers now and every migration the binary knows is applied.
    pub async fn ready(&self) -> bool {
        let applied: Result<i64, sqlx::Error> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(p)
                .await
        });
        let known = match &self.pool {
            Pool::Sqlite(_) => sqlx::migrate!("./migrations/sqlite").iter().count(),
            Pool::Postgres(_) => sqlx::migrate!("./migrations/postgres").iter().count(),
        };
        applied.is_ok_and(|n| n as usize >= known)
    }

    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Checks the store every `every` in the background, so `/api` can refuse quickly while
    /// it is down and serve again as soon as it is back, without a restart. A check may take
    /// as long as a request may wait for a connection: a busy pool is not a store that is down.
    pub fn watch_health(&self, every: Duration, patience: Duration) {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                let ok = tokio::time::timeout(patience, store.ready())
                    .await
                    .unwrap_or(false);
                crate::telemetry::store_up(ok);
                if ok != store.healthy.swap(ok, Ordering::Relaxed) {
                    if ok {
                        tracing::info!("store reachable again");
                    } else {
                        tracing::error!("store unreachable: /api answers 503 store_unavailable");
                    }
                }
                tokio::time::sleep(every).await;
            }
        });
    }
}

impl Store {
    /// Retention: deletes the rows of `table` matching `condition` (its parameters are the
    /// cut-offs `ages` ago), in batches, so that however much piled up (after downtime, say)
    /// no statement runs into the statement timeout. Returns how many went.
    async fn delete_older(
        &self,
        table: &str,
        condition: &str,
        ages: &[Duration],
    ) -> Result<u64, sqlx::Error> {
        self.delete_in_batches(table, condition, ages, 5_000).await
    }

    async fn delete_in_batches(
        &self,
        table: &str,
        condition: &str,
        ages: &[Duration],
        batch: u64,
    ) -> Result<u64, sqlx::Error> {
        let cutoffs: Vec<String> = ages.iter().map(|a| ago(*a)).collect();
        // Each engine names a row its own way; the rest is the same SQL.
        let row = match self.pool {
            Pool::Sqlite(_) => "rowid",
            Pool::Postgres(_) => "ctid",
        };
        let sql = format!(
            "DELETE FROM {table} WHERE {row} IN
                 (SELECT {row} FROM {table} WHERE {condition} LIMIT {batch})"
        );
        let mut deleted = 0;
        loop {
            let done: u64 = with_pool!(self, p => {
                let mut query = sqlx::query(&sql);
                for cutoff in &cutoffs {
                    query = query.bind(cutoff);
                }
                query.execute(p).await.map(|r| r.rows_affected())
            })?;
            deleted += done;
            if done < batch {
                return Ok(deleted);
            }
        }
    }
}

async fn open_sqlite(url: &str) -> Result<SqlitePool, sqlx::Error> {
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
    SqlitePoolOptions::new()
        // An in-memory database exists per connection: keep exactly one.
        .max_connections(if memory { 1 } else { 4 })
        .min_connections(if memory { 1 } else { 0 })
        .idle_timeout(None::<Duration>)
        .max_lifetime(None::<Duration>)
        .connect_with(options)
        .await
}

async fn open_postgres(url: &str, limits: Limits) -> Result<PgPool, sqlx::Error> {
    let statement_timeout = limits.statement_timeout.as_millis().to_string();
    let options = PgConnectOptions::from_str(url)?
        .options([("statement_timeout", statement_timeout.as_str())])
        .application_name("minivoice-proxy");
    PgPoolOptions::new()
        .max_connections(limits.max_connections)
        .acquire_timeout(limits.acquire_timeout)
        .connect_with(options)
        .await
}

/// Now, as the store writes times: RFC 3339, milliseconds, UTC (sorts as text).
pub fn now() -> String {
    stamp(time::OffsetDateTime::now_utc())
}

/// `after` from now, in the same format, for leases and pause deadlines.
pub fn later(after: Duration) -> String {
    stamp(add_saturating(time::OffsetDateTime::now_utc(), after))
}

/// Now, and `after` from that same instant: a pause's start and its deadline. Two readings of
/// the clock can be a millisecond or more apart, and a pause of 180 s would then last 180.001 s
/// on record (the widget's countdown starting at 3:01).
pub fn now_and_later(after: Duration) -> (String, String) {
    let now = time::OffsetDateTime::now_utc();
    (stamp(now), stamp(add_saturating(now, after)))
}

fn add_saturating(from: time::OffsetDateTime, after: Duration) -> time::OffsetDateTime {
    // Saturating: `+` panicked past year 9999 ("overflow adding duration to date") when a
    // pause lasted u64::MAX seconds. The ranges (config/ranges.rs) keep such values out;
    // this keeps a slip from becoming a panic halfway through an action.
    time::Duration::try_from(after)
        .ok()
        .and_then(|after| from.checked_add(after))
        .unwrap_or(time::macros::datetime!(9999-12-31 23:59:59.999 UTC))
}

/// `age` ago, in the same format, for retention cut-offs.
pub fn ago(age: Duration) -> String {
    // Saturating, as `later`: a retention of 99999999999d panicked the sweep. Before the
    // epoch nothing is stored, so that cut-off keeps everything.
    let cutoff = time::Duration::try_from(age)
        .ok()
        .and_then(|age| time::OffsetDateTime::now_utc().checked_sub(age));
    stamp(cutoff.unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}

/// `t` as the store writes times (a report's bounds are compared with them as text).
pub fn stamp(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// The stores the same tests run against: SQLite in memory, and a fresh PostgreSQL database
/// when `TEST_DATABASE_URL` names a server (`cargo xtask test` starts one and sets it).
#[cfg(test)]
pub async fn test_stores() -> Vec<Store> {
    let mut stores = vec![Store::open("sqlite::memory:", Limits::default())
        .await
        .unwrap()];
    if let Some(server) = testkit::database_server() {
        let url = testkit::test_database(&server).await;
        stores.push(Store::open(&url, Limits::default()).await.unwrap());
    }
    stores
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn times_far_ahead_or_back_saturate_instead_of_panicking() {
        let forever = Duration::from_secs(u64::MAX);
        assert_eq!(super::later(forever), "9999-12-31T23:59:59.999Z");
        assert!(super::later(forever) > super::now());
        assert_eq!(super::ago(forever), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::ago(Duration::from_secs(99_999_999_999 * 86_400)),
            super::ago(forever)
        );
    }

    #[test]
    fn a_pause_s_start_and_deadline_are_read_from_one_instant() {
        // `YYYY-MM-DDTHH:MM:SS.mmmZ`: milliseconds into the day.
        let ms_of_day = |s: &str| {
            let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
            ((n(11..13) * 60 + n(14..16)) * 60 + n(17..19)) * 1000 + n(20..23)
        };
        for _ in 0..1000 {
            let (at, due) = super::now_and_later(Duration::from_secs(180));
            let apart = (ms_of_day(&due) - ms_of_day(&at)).rem_euclid(86_400_000);
            assert_eq!(apart, 180_000, "{at} {due}");
        }
    }

    #[tokio::test]
    async fn retention_deletes_in_batches_until_nothing_is_left() {
        for store in super::test_stores().await {
            for i in 0..5 {
                store.append_event("c", &format!("{i}")).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            let gone = store
                .delete_in_batches("live_events", "at < $1", &[Duration::ZERO], 2)
                .await
                .unwrap();
            assert_eq!(gone, 5);
            assert_eq!(store.event_bounds("c").await.unwrap(), (Some(5), None));
        }
    }
}
