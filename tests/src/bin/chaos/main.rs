//! `cargo xtask chaos [--seconds N]`: the reference deployment (two replicas of the proxy on
//! PostgreSQL behind nginx with `deploy/nginx.conf`, every secret set, the sandbox as
//! MiniVoice) under steady load — agents acting with idempotency keys and watching their
//! calls' event streams, MiniVoice's webhooks — while faults come one after another: a
//! replica killed with -9 and restarted, PostgreSQL restarted, the database connection cut for
//! 10 s, MiniVoice failing 10% of requests for 30 s. Prints what each fault cost and what it
//! cost PostgreSQL per operation, then reconciles what the load was told with the store and
//! MiniVoice's own record: nothing lost, no duplicate start, or it exits non-zero.
//!
//! `chaos PROXY_BINARY [--seconds N]` (the xtask builds the binaries and installs nginx and
//! PostgreSQL; the run makes its own PostgreSQL cluster, so it disturbs no other test).

mod agents;
mod calibrate;
mod check;
mod cluster;
mod faults;
mod flaky;
mod log;
mod relay;
mod report;
mod statements;
mod streams;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minivoice_e2e::deployment::Nginx;
use minivoice_e2e::procs::{self, Process};
use testkit::WEBHOOK_SECRET;

use cluster::Cluster;
use flaky::Flaky;
use log::Log;
use relay::Relay;

const KEY: &str = "sk_chaos";
const TOKEN_SECRET: &str = "chaos-run-token-secret-of-at-least-32-bytes";
/// Calls with an agent acting on each (and two widgets watching it).
const CALLS: usize = 6;
const WEBHOOKS_PER_SECOND: u64 = 5;
/// What the calibration repeats each operation.
const CALIBRATION_OPS: usize = 40;
/// Call IDs of the run start with it (the store and the journal hold nothing else).
const PREFIX: &str = "chaos";

/// The deployment under test and the handles on its faults. Stopped front to back (fields
/// drop in order): nginx, the replicas, MiniVoice, then PostgreSQL.
pub struct Deployment {
    pub nginx: Nginx,
    pub replicas: Vec<Process>,
    pub minivoice: Flaky,
    pub sandbox: Process,
    pub db_path: Relay,
    pub cluster: Cluster,
    pub binary: PathBuf,
    pub replica_env: Vec<(&'static str, String)>,
    /// The processes' logs (kept when the run fails).
    pub logs: tempfile::TempDir,
}

impl Deployment {
    async fn start(binary: &Path) -> Deployment {
        let logs = tempfile::Builder::new()
            .prefix("chaos-logs-")
            .tempdir()
            .unwrap();
        let cluster = Cluster::start();
        let db_path = Relay::start(cluster.addr()).await;
        let sandbox = procs::proxy_at(
            binary,
            &["sandbox"],
            procs::loopback(),
            &[("SANDBOX_API_KEY", KEY.into())],
            Some(&logs.path().join("sandbox.log")),
        )
        .await;
        let minivoice = Flaky::start(sandbox.addr).await;
        // What a deployment behind a reverse proxy sets: where it is served, the key, the
        // webhook secret and the token secret (agents carry tokens), the shared store.
        let replica_env = vec![
            ("PUBLIC_URL", "https://recordings.example.test".to_owned()),
            ("MINIVOICE_API_KEY", KEY.to_owned()),
            ("MINIVOICE_BASE_URL", format!("http://{}", minivoice.addr)),
            ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("WIDGET_TOKEN_SECRET", TOKEN_SECRET.to_owned()),
            (
                "DATABASE_URL",
                format!(
                    "postgres://{}@{}/{}",
                    cluster::ROLE,
                    db_path.addr,
                    cluster::DATABASE
                ),
            ),
        ];
        let mut replicas = vec![];
        for i in 0..2 {
            let log = logs.path().join(format!("replica-{i}.log"));
            let replica =
                procs::proxy_at(binary, &[], procs::loopback(), &replica_env, Some(&log)).await;
            ready(replica.addr).await;
            replicas.push(replica);
        }
        let backends: Vec<_> = replicas.iter().map(|r| r.addr).collect();
        let nginx = Nginx::start(&backends).await;
        Deployment {
            nginx,
            replicas,
            minivoice,
            sandbox,
            db_path,
            cluster,
            binary: binary.to_owned(),
            replica_env,
            logs,
        }
    }

    /// Replica `i` started again where it listened before (nginx knows it there).
    pub async fn restart_replica(&mut self, i: usize) {
        let addr = self.replicas[i].addr;
        let log = self.logs.path().join(format!("replica-{i}.log"));
        self.replicas[i] =
            procs::proxy_at(&self.binary, &[], addr, &self.replica_env, Some(&log)).await;
        ready(addr).await;
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.nginx.addr)
    }

    /// A signed agent token from the binary's own `token` command.
    fn token(&self, agent: &str, call: Option<&str>) -> String {
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("WIDGET_TOKEN_SECRET", TOKEN_SECRET)
            .args(["token", "--agent", agent, "--ttl", "2h"]);
        match call {
            Some(c) => cmd.args(["--call", c]),
            None => cmd.arg("--all-calls"),
        };
        let out = cmd.output().expect("minivoice-proxy token");
        assert!(
            out.status.success(),
            "token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// MiniVoice's own record (the sandbox's journal), straight from the sandbox.
    async fn journal(&self, client: &reqwest::Client) -> serde_json::Value {
        client
            .get(format!("http://{}/v1/sandbox/actions", self.sandbox.addr))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("the sandbox's journal")
            .json()
            .await
            .expect("the journal is JSON")
    }
}

/// Until the replica at `addr` says it is ready (`/readyz`: its store answers, migrated).
async fn ready(addr: std::net::SocketAddr) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = client.get(format!("http://{addr}/readyz")).send().await;
        if answer.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica at {addr} never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let binary = PathBuf::from(
        args.first()
            .expect("usage: chaos PROXY_BINARY [--seconds N]"),
    );
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .map_or(240, |v| v.parse::<u64>().expect("--seconds takes a number"));
    assert!(
        seconds >= faults::SHORTEST,
        "--seconds must be at least {} (the faults last {} s in all)",
        faults::SHORTEST,
        faults::FAULT_SECONDS
    );

    let begun = Instant::now();
    let mut d = Deployment::start(&binary).await;
    let client = reqwest::Client::new();
    eprintln!(
        "chaos: deployment up (nginx {}, 2 replicas, own PostgreSQL on {})",
        d.nginx.addr, d.cluster.port
    );

    let costs = calibrate::run(&d, &client, CALIBRATION_OPS).await;

    // The load: agents on their calls, two widgets watching each, MiniVoice's webhooks.
    let log = Arc::new(Log::new());
    let (stop_load, load_stopped) = tokio::sync::watch::channel(false);
    let (stop_streams, streams_stopped) = tokio::sync::watch::channel(false);
    let (give_up, gave_up) = tokio::sync::watch::channel(false);
    let calls: Vec<String> = (0..CALLS).map(|i| format!("{PREFIX}_a_{i}")).collect();
    let supervisor = d.token("chaos-supervisor", None);
    let mut watched = vec![];
    let mut watchers = vec![];
    let webhook_calls = (0..2).map(|k| format!("{PREFIX}_wh_{k}"));
    for call in calls
        .iter()
        .chain(calls.iter())
        .cloned()
        .chain(webhook_calls)
    {
        let seen = Arc::new(Mutex::new(vec![]));
        watched.push((call.clone(), seen.clone()));
        let w = streams::Watcher {
            url: format!(
                "{}/api/calls/{call}/events?access_token={supervisor}",
                d.base()
            ),
            client: client.clone(),
            log: log.clone(),
            seen,
        };
        watchers.push(tokio::spawn(w.run(streams_stopped.clone())));
    }
    report::wait_for("every stream to open", Duration::from_secs(20), || {
        let open = log
            .attempts()
            .iter()
            .filter(|a| a.kind == log::Kind::Stream && a.ok)
            .count();
        open >= watched.len()
    })
    .await;

    let meter = statements::Meter::start(&d);
    let load_began = Instant::now();
    let mut agents = vec![];
    for (i, call) in calls.iter().enumerate() {
        let agent = agents::Agent {
            base: d.base(),
            call_id: call.clone(),
            token: d.token(&format!("chaos-agent-{i}"), Some(call)),
            client: client.clone(),
            log: log.clone(),
        };
        agents.push(tokio::spawn(agent.run(i as u64 + 1, load_stopped.clone())));
    }
    let sender = webhooks::Sender {
        nginx: d.nginx.addr,
        secret: WEBHOOK_SECRET.into(),
        client: client.clone(),
        log: log.clone(),
        run: PREFIX.into(),
    };
    let sending = tokio::spawn(sender.run(WEBHOOKS_PER_SECOND, load_stopped.clone(), gave_up));

    let windows = faults::run(&mut d, &log, seconds).await;

    // The load stops; what is in flight finishes; the webhooks' sender retries until every
    // delivery is acknowledged (or a minute passes).
    let load_seconds = load_began.elapsed().as_secs_f64();
    stop_load.send(true).unwrap();
    let mut intents = vec![];
    for a in agents {
        intents.extend(a.await.unwrap());
    }
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let _ = give_up.send(true);
    });
    let deliveries = sending.await.unwrap();
    let run_sample = meter.read(&d);

    // Settled: every delivery processed, every stream caught up with its call (or given the
    // time to).
    let cluster = &d.cluster;
    report::wait_for("the inbox to drain", Duration::from_secs(30), || {
        cluster
            .sql("SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL")
            .trim()
            == "0"
    })
    .await;
    let caught_up = || {
        let last = cluster.sql("SELECT call_id, max(seq) FROM live_events GROUP BY call_id");
        watched.iter().all(|(call, seen)| {
            let want = last
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{call}\t")))
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            streams::last_event(&seen.lock().unwrap()) >= want
        })
    };
    report::wait_for(
        "every stream to catch up",
        Duration::from_secs(20),
        caught_up,
    )
    .await;
    stop_streams.send(true).unwrap();
    for w in watchers {
        let _ = w.await;
    }

    let journal = d.journal(&client).await;
    let totals = check::reconcile(check::Inputs {
        cluster: &d.cluster,
        journal,
        intents: &intents,
        deliveries: &deliveries,
        streams: watched
            .iter()
            .map(|(c, s)| (c.clone(), s.lock().unwrap().clone()))
            .collect(),
        prefix: PREFIX,
    });
    let injected = d.minivoice.failed();
    report::print(&report::Run {
        seconds,
        load_seconds,
        windows: &windows,
        attempts: &log.attempts(),
        totals: &totals,
        costs: &costs,
        run: &run_sample,
        injected_minivoice_failures: injected,
        wall: begun.elapsed(),
    });
    let violations = totals.violations();
    // Stopped in order before exiting (`exit` runs no destructors); the logs outlive them.
    let Deployment {
        nginx,
        replicas,
        minivoice,
        sandbox,
        db_path,
        cluster,
        logs,
        ..
    } = d;
    drop((nginx, replicas, minivoice, sandbox, db_path, cluster));
    if violations.is_empty() {
        eprintln!("chaos: nothing lost, no duplicate start");
    } else {
        for v in &violations {
            eprintln!("chaos: VIOLATION: {v}");
        }
        eprintln!(
            "chaos: the processes' logs are in {}",
            logs.keep().display()
        );
        std::process::exit(1);
    }
}
