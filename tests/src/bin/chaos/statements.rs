//! What each operation costs PostgreSQL, from `pg_stat_statements`: reset, run only that
//! operation N times, read the replicas' statements (their role only, so the harness's own
//! reads are left out), less what the idle replicas issue in that time (polls, leases).

use std::collections::HashMap;
use std::time::Instant;

use crate::cluster::{Cluster, ROLE};

/// One statement as `pg_stat_statements` normalises it: calls and total time.
#[derive(Clone, Debug, Default)]
pub struct Stat {
    pub calls: f64,
    pub total_ms: f64,
}

pub type Stats = HashMap<String, Stat>;

pub fn reset(cluster: &Cluster) {
    cluster.sql("SELECT pg_stat_statements_reset()");
}

/// The replicas' statements since the last reset, by normalised text.
pub fn read(cluster: &Cluster) -> Stats {
    let rows = cluster.sql(&format!(
        "SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g')
         FROM pg_stat_statements
         WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = '{ROLE}')"
    ));
    let mut stats = Stats::new();
    for line in rows.lines() {
        let mut f = line.splitn(3, '\t');
        let (Some(calls), Some(ms), Some(query)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let s = stats.entry(query.to_owned()).or_default();
        s.calls += calls.parse::<f64>().unwrap_or(0.0);
        s.total_ms += ms.parse::<f64>().unwrap_or(0.0);
    }
    stats
}

/// An operation's cost: statements and database time per operation, and its statements.
pub struct Cost {
    pub name: &'static str,
    pub ops: usize,
    pub per_op: f64,
    pub ms_per_op: f64,
    /// (statement, calls per operation, mean ms), most frequent first.
    pub statements: Vec<(String, f64, f64)>,
}

/// Background statements per second per statement, measured over an idle stretch.
pub struct Background {
    per_second: Stats,
}

impl Background {
    pub async fn measure(cluster: &Cluster, seconds: u64) -> Background {
        reset(cluster);
        let t = Instant::now();
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        let elapsed = t.elapsed().as_secs_f64();
        let per_second = read(cluster)
            .into_iter()
            .map(|(q, s)| {
                let rate = Stat {
                    calls: s.calls / elapsed,
                    total_ms: s.total_ms / elapsed,
                };
                (q, rate)
            })
            .collect();
        Background { per_second }
    }

    /// Statements per second when idle.
    pub fn rate(&self) -> f64 {
        self.per_second.values().map(|s| s.calls).sum()
    }

    /// `stats` gathered over `elapsed` seconds, less the idle background, per one of `ops`.
    pub fn cost(&self, name: &'static str, ops: usize, stats: Stats, elapsed: f64) -> Cost {
        let mut statements: Vec<(String, f64, f64)> = stats
            .into_iter()
            .filter_map(|(q, s)| {
                let bg = self.per_second.get(&q).cloned().unwrap_or_default();
                let calls = (s.calls - bg.calls * elapsed).max(0.0);
                let mean = if s.calls > 0.0 {
                    s.total_ms / s.calls
                } else {
                    0.0
                };
                (calls / ops as f64 >= 0.05).then(|| (q, calls / ops as f64, mean))
            })
            .collect();
        statements.sort_by(|a, b| b.1.total_cmp(&a.1));
        Cost {
            name,
            ops,
            per_op: statements.iter().map(|s| s.1).sum(),
            ms_per_op: statements.iter().map(|s| s.1 * s.2).sum(),
            statements,
        }
    }
}

/// The statement's text, short enough for a table cell.
pub fn short(query: &str) -> String {
    let q: String = query.chars().take(90).collect();
    let q = q.replace('|', "\\|");
    if query.chars().count() > 90 {
        format!("`{q}…`")
    } else {
        format!("`{q}`")
    }
}
