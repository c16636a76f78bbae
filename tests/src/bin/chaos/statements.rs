//! What operations cost PostgreSQL: statements from `pg_stat_statements` (the replicas' role
//! only, so the harness's own reads are left out), WAL from `pg_stat_wal`, and CPU time of
//! PostgreSQL's processes and of the replicas from `/proc`.

use std::collections::HashMap;
use std::time::Instant;

use crate::cluster::ROLE;
use crate::Deployment;

/// One statement as `pg_stat_statements` normalises it: calls and total execution time.
#[derive(Clone, Debug, Default)]
pub struct Stat {
    pub calls: f64,
    pub total_ms: f64,
}

pub type Stats = HashMap<String, Stat>;

/// What a stretch of time cost.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub seconds: f64,
    pub stats: Stats,
    /// WAL written (from the insert position, exact at any moment).
    pub wal_bytes: f64,
    /// WAL flushes to disk (`pg_stat_wal`: reported by sessions a second or so late, so
    /// meaningful over long stretches only).
    pub wal_syncs: f64,
    /// CPU seconds of PostgreSQL's processes, and of both replicas.
    pub pg_cpu: f64,
    pub proxy_cpu: f64,
}

impl Sample {
    pub fn statements(&self) -> f64 {
        self.stats.values().map(|s| s.calls).sum()
    }

    pub fn exec_ms(&self) -> f64 {
        self.stats.values().map(|s| s.total_ms).sum()
    }
}

/// Counting from now: statements and WAL statistics reset, CPU noted.
pub struct Meter {
    started: Instant,
    wal_lsn: String,
    pg_cpu: f64,
    proxy_cpu: f64,
}

impl Meter {
    pub fn start(d: &Deployment) -> Meter {
        d.cluster
            .sql("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')");
        Meter {
            started: Instant::now(),
            wal_lsn: d
                .cluster
                .sql("SELECT pg_current_wal_insert_lsn()")
                .trim()
                .to_owned(),
            pg_cpu: d.cluster.cpu_seconds(),
            proxy_cpu: proxy_cpu(d),
        }
    }

    /// Since the start. (PostgreSQL's CPU is meaningful only without a restart between.)
    pub fn read(&self, d: &Deployment) -> Sample {
        let rows = d.cluster.sql(&format!(
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
        let wal = d.cluster.sql(&format!(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '{}'), wal_sync FROM pg_stat_wal",
            self.wal_lsn
        ));
        let wal: Vec<f64> = wal
            .trim()
            .split('\t')
            .map(|v| v.parse().unwrap_or(0.0))
            .collect();
        Sample {
            seconds: self.started.elapsed().as_secs_f64(),
            stats,
            wal_bytes: wal.first().copied().unwrap_or(0.0),
            wal_syncs: wal.get(1).copied().unwrap_or(0.0),
            pg_cpu: d.cluster.cpu_seconds() - self.pg_cpu,
            proxy_cpu: proxy_cpu(d) - self.proxy_cpu,
        }
    }
}

fn proxy_cpu(d: &Deployment) -> f64 {
    d.replicas
        .iter()
        .map(|r| minivoice_e2e::procs::cpu_seconds(r.pid()))
        .sum()
}

/// An operation's cost, per operation, with the idle background taken out.
pub struct Cost {
    pub name: &'static str,
    pub ops: usize,
    pub statements: f64,
    pub exec_ms: f64,
    pub pg_cpu_ms: f64,
    pub proxy_cpu_ms: f64,
    pub wal_bytes: f64,
    /// (statement, calls per operation, mean ms), most frequent first.
    pub each: Vec<(String, f64, f64)>,
}

impl Cost {
    /// `sample`'s cost per one of `ops`, less `idle` (a sample with nothing to do) scaled to
    /// the sample's length.
    pub fn of(name: &'static str, ops: usize, sample: &Sample, idle: &Sample) -> Cost {
        let scale = if idle.seconds > 0.0 {
            sample.seconds / idle.seconds
        } else {
            0.0
        };
        let n = ops as f64;
        let per = |busy: f64, quiet: f64| ((busy - quiet * scale) / n).max(0.0);
        let mut each: Vec<(String, f64, f64)> = sample
            .stats
            .iter()
            .filter_map(|(q, s)| {
                let quiet = idle.stats.get(q).map_or(0.0, |b| b.calls);
                let calls = per(s.calls, quiet);
                let mean = s.total_ms / s.calls.max(1.0);
                (calls >= 0.05).then(|| (q.clone(), calls, mean))
            })
            .collect();
        each.sort_by(|a, b| b.1.total_cmp(&a.1));
        Cost {
            name,
            ops,
            statements: each.iter().map(|s| s.1).sum(),
            exec_ms: each.iter().map(|s| s.1 * s.2).sum(),
            pg_cpu_ms: per(sample.pg_cpu, idle.pg_cpu) * 1000.0,
            proxy_cpu_ms: per(sample.proxy_cpu, idle.proxy_cpu) * 1000.0,
            wal_bytes: per(sample.wal_bytes, idle.wal_bytes),
            each,
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
