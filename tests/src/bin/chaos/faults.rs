//! The faults, one after another with time to recover between: a replica killed with -9 and
//! restarted, PostgreSQL restarted, the database connection cut for 10 s, MiniVoice failing
//! 10% of requests for 30 s.

use std::time::Duration;

use crate::log::Log;
use crate::Deployment;

/// How long a killed replica stays down before its supervisor restarts it.
const DOWN: Duration = Duration::from_secs(2);
const CUT: Duration = Duration::from_secs(10);
const MINIVOICE_FAILING: Duration = Duration::from_secs(30);
/// The faults' own length, near enough (the restarts take a moment).
pub const FAULT_SECONDS: u64 = 45;
/// Time to recover before, between and after the four faults, at the least.
const LEAST_GAP: u64 = 5;
pub const SHORTEST: u64 = FAULT_SECONDS + 5 * LEAST_GAP;

/// A fault's time, in seconds since the load began.
#[derive(Clone, Debug)]
pub struct Window {
    pub name: &'static str,
    pub start: f64,
    pub end: f64,
}

/// Runs the four faults in `seconds` of load; answers when each was on.
pub async fn run(d: &mut Deployment, log: &Log, seconds: u64) -> Vec<Window> {
    let gap = Duration::from_secs((seconds.saturating_sub(FAULT_SECONDS) / 5).max(LEAST_GAP));
    let mut windows = vec![];
    let mut on = |name, start, log: &Log| {
        let w = Window {
            name,
            start,
            end: log.now(),
        };
        eprintln!("chaos: {name}: {:.1} s – {:.1} s", w.start, w.end);
        windows.push(w);
    };

    tokio::time::sleep(gap).await;
    let start = log.now();
    d.replicas[0].kill_hard();
    tokio::time::sleep(DOWN).await;
    d.restart_replica(0).await;
    on("replica killed (-9) and restarted", start, log);

    tokio::time::sleep(gap).await;
    let start = log.now();
    tokio::task::block_in_place(|| d.cluster.restart());
    on("PostgreSQL restarted", start, log);

    tokio::time::sleep(gap).await;
    let start = log.now();
    d.db_path.cut();
    tokio::time::sleep(CUT).await;
    d.db_path.restore();
    on("database connection cut for 10 s", start, log);

    tokio::time::sleep(gap).await;
    let start = log.now();
    d.minivoice.set_failing(true);
    tokio::time::sleep(MINIVOICE_FAILING).await;
    d.minivoice.set_failing(false);
    on("MiniVoice failing 10% for 30 s", start, log);

    tokio::time::sleep(gap).await;
    windows
}
