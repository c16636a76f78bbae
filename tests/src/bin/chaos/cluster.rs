//! A PostgreSQL cluster of the run's own (initdb into a temporary directory, its own port), so
//! restarting it or cutting its connections disturbs no other test on the machine's cluster.
//! `pg_stat_statements` is loaded for the statement counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The role the replicas connect as; the harness reads as `postgres`, so its own queries can
/// be told apart in `pg_stat_statements`.
pub const ROLE: &str = "chaos";
pub const DATABASE: &str = "chaos";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Cluster {
    pub fn start() -> Cluster {
        let bin = server_bin();
        let dir = tempfile::tempdir().unwrap();
        // PostgreSQL refuses to run as root: the cluster belongs to `postgres` then.
        if is_root() {
            chown_to_postgres(dir.path());
        }
        let port = minivoice_e2e::free_port();
        let data = dir.path().join("data");
        let cluster = Cluster { dir, bin, port };
        // Trust on loopback only: a throw-away cluster, reachable from this machine alone.
        cluster.as_owner(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n\
             max_connections = 100\n",
            cluster.dir.path().display()
        );
        let conf_path = data.join("postgresql.conf");
        let mut all = std::fs::read_to_string(&conf_path).unwrap();
        all.push_str(&conf);
        std::fs::write(&conf_path, all).unwrap();
        cluster.pg_ctl(&["start"]);
        cluster.sql_on("postgres", &format!("CREATE ROLE {ROLE} LOGIN"));
        cluster.sql_on(
            "postgres",
            &format!("CREATE DATABASE {DATABASE} OWNER {ROLE}"),
        );
        cluster.sql("CREATE EXTENSION pg_stat_statements");
        cluster
    }

    /// `pg_ctl restart -m fast`, as an operator's restart or a failover does: every session
    /// ends. Returns once it accepts connections again.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.try_sql_on(DATABASE, "SELECT 1").is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL did not come back");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// CPU seconds PostgreSQL has used since it (last) started: the postmaster with its
    /// reaped children, and its running processes (sessions, checkpointer, WAL writer, …).
    pub fn cpu_seconds(&self) -> f64 {
        let pid_file = self.dir.path().join("data/postmaster.pid");
        let Some(postmaster) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
        else {
            return 0.0;
        };
        let stat = |pid: &str| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let mut total = stat(&postmaster.to_string())
            .map_or(0.0, |s| minivoice_e2e::procs::stat_cpu_seconds(&s, true));
        let procs = std::fs::read_dir("/proc").into_iter().flatten().flatten();
        for entry in procs {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let Some(s) = stat(pid) else { continue };
            let ppid = s
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(postmaster) {
                total += minivoice_e2e::procs::stat_cpu_seconds(&s, false);
            }
        }
        total
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        format!("127.0.0.1:{}", self.port).parse().unwrap()
    }

    /// Runs `sql` on the run's database as `postgres`; its rows, tab-separated.
    pub fn sql(&self, sql: &str) -> String {
        self.sql_on(DATABASE, sql)
    }

    fn sql_on(&self, db: &str, sql: &str) -> String {
        self.try_sql_on(db, sql)
            .unwrap_or_else(|e| panic!("psql failed on {sql}: {e}"))
    }

    fn try_sql_on(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-U", "postgres", "-qAtX", "-F", "\t"])
            .args([
                "-p",
                &self.port.to_string(),
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["-c", sql])
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data").display().to_string();
        let log = self.dir.path().join("postgres.log").display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.as_owner("pg_ctl", &all);
    }

    /// Runs one of PostgreSQL's programs as the cluster's owner.
    fn as_owner(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir("/")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .current_dir("/")
            .output();
    }
}

/// The server's programs: `pg_config --bindir`, else Debian's newest `/usr/lib/postgresql/*/bin`.
fn server_bin() -> PathBuf {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("initdb").exists());
    if let Some(bin) = from_pg_config {
        return bin;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.join("initdb").exists());
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions
        .pop()
        .expect("PostgreSQL's server programs (cargo xtask chaos installs them)")
}

fn is_root() -> bool {
    // SAFETY: a plain system call with no arguments.
    unsafe { libc::geteuid() == 0 }
}

fn chown_to_postgres(dir: &Path) {
    let ok = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cannot give {} to the postgres user", dir.display());
}
