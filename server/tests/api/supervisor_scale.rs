//! The supervisor's list beside a contact centre's history: what it costs should follow the
//! calls live now, not the calls the store has kept. A measurement, run by hand, on SQLite and
//! on PostgreSQL when `TEST_DATABASE_URL` is set; `store::call_list`'s tests hold its plan to
//! indexes on every run.

use std::time::{Duration, Instant};

use minivoice_proxy::store::Store;
use testkit::*;

/// Calls recording now, and of those, how many are paused.
const LIVE: usize = 300;
const PAUSED: usize = 20;

/// `GET /api/calls` (the first page) with `KEPT` calls over (default 1,000,000, each with a
/// stopped recording and the start that made it) beside 300 calls recording, 20 of them
/// paused, and the same with nothing kept: the median and slowest of `READS` (20) reads,
/// through a proxy process. PostgreSQL's statistics are brought up to date after seeding, as
/// its autovacuum would; SQLite has none, as the proxy runs it.
#[tokio::test]
#[ignore = "a measurement: cargo test -p minivoice-proxy --test api supervisor_list -- --ignored --nocapture"]
async fn supervisor_list_beside_a_million_calls_kept() {
    let kept: i64 = std::env::var("KEPT").map_or(1_000_000, |n| n.parse().unwrap());
    // Reads of the first page timed per store.
    let reads: usize = std::env::var("READS").map_or(20, |n| n.parse().unwrap());
    let upstream = sandbox_upstream().await;
    // The sandbox is shared, and remembers every call: each store's live calls are new to it.
    let mut round = 0;
    for history in [0, kept] {
        let stores = databases().await;
        for url in &stores.urls {
            round += 1;
            drop(Store::open(url, Default::default()).await.unwrap());
            seed_calls_over(url, history).await;
            let proxy = Proxy::launch(&[], &replica_env(url, &upstream)).await;
            let app = proxy.app();
            for i in 0..LIVE {
                let call = format!("live_{round}_{i}");
                assert_eq!(app.post_action(&call, "start").await.status, 200);
                if i < PAUSED {
                    let paused = app.pause(&call, Some(r#"{"reason":"card"}"#), None).await;
                    assert_eq!(paused.status, 200, "{}", paused.text);
                }
            }
            let mut took = Vec::with_capacity(reads);
            for _ in 0..reads {
                let started = Instant::now();
                let page = app.live_calls("", None).await;
                took.push(started.elapsed());
                assert_eq!(page.status, 200, "{}", page.text);
                let listed = page.json()["data"].as_array().unwrap().clone();
                assert_eq!(listed.len(), 50, "a full first page");
                assert!(listed
                    .iter()
                    .all(|c| c["call_id"].as_str().unwrap().starts_with("live_")));
            }
            took.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{}: {history} calls kept, {LIVE} live: first page median {:.1} ms, slowest {:.1} ms",
                url.split(':').next().unwrap(),
                ms(took[reads / 2]),
                ms(took[reads - 1]),
            );
        }
    }
}

/// `n` calls that are over, each with a stopped recording and the start that made it, in
/// January 2026: one statement per table.
async fn seed_calls_over(url: &str, n: i64) {
    const TABLES: [&str; 3] = [
        "INSERT INTO calls (call_id, status, updated_at)
         SELECT 'kept_' || i, 'completed', '2026-01-01T00:10:00.000Z' FROM n",
        "INSERT INTO recordings (recording_id, call_id, first_seen, status, updated_at)
         SELECT 'krec_' || i, 'kept_' || i, '2026-01-01T00:00:00.000Z', 'stopped',
                '2026-01-01T00:10:00.000Z' FROM n",
        "INSERT INTO actions (agent, call_id, action, recording_id)
         SELECT 'agent_' || (i % 500), 'kept_' || i, 'start', 'krec_' || i FROM n",
    ];
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for insert in TABLES {
            let sql = format!("WITH n AS (SELECT generate_series(1, $1::bigint) AS i) {insert}");
            sqlx::query(&sql).bind(n).execute(&pool).await.unwrap();
        }
        sqlx::query("ANALYZE calls, recordings, actions")
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for insert in TABLES {
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 WHERE $1 > 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
                 {insert}"
            );
            sqlx::query(&sql).bind(n).execute(&pool).await.unwrap();
        }
    }
}
