//! Any build's binaries as processes (proxies, the sandbox, the passthrough floor), each on a
//! loopback port and stopped when dropped, and what is read from them (RSS, CPU time): for
//! `cargo xtask bench`, `chaos` and `replicas`, which run the release build. The tests' own
//! proxy process, [`Proxy`](crate::Proxy), starts from the same [`command_for`].

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{command_for, listen_var};
use crate::raw::free_port;

/// A child stopped with SIGTERM when dropped: nginx's master only takes its workers down on
/// TERM, and the proxy exits cleanly on it too.
pub struct Process {
    /// `None` once killed.
    child: Option<Child>,
    pub addr: SocketAddr,
    _run_dir: Option<tempfile::TempDir>,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// `kill -9`: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let Some(child) = &mut self.child else { return };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

pub fn loopback() -> SocketAddr {
    format!("127.0.0.1:{}", free_port()).parse().unwrap()
}

impl Process {
    /// `child`, once something accepts connections on `addr` (20 s at most).
    pub async fn listening(child: Child, addr: SocketAddr) -> Process {
        listening(child, addr, None).await
    }
}

async fn listening(child: Child, addr: SocketAddr, run_dir: Option<tempfile::TempDir>) -> Process {
    let process = Process {
        child: Some(child),
        addr,
        _run_dir: run_dir,
    };
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nothing listened on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process
}

/// The proxy binary with only `env` (so the caller's MINIVOICE_* cannot leak in) and its own
/// data directory.
pub async fn proxy(binary: &Path, env: &[(&str, String)]) -> Process {
    proxy_at(binary, &[], loopback(), env, None).await
}

/// The proxy as an operator runs it: the default log level (INFO, a line per request) and its
/// log appended to `log`, as systemd or a container runtime captures stderr.
pub async fn shipped(binary: &Path, env: &[(&str, String)], log: &Path) -> Process {
    let mut cmd = command_for(binary, &[], &[]);
    cmd.env_remove("RUST_LOG");
    start(cmd, &[], loopback(), env, Some(log)).await
}

/// `binary args…` listening on `addr` (LISTEN_ADDR, or SANDBOX_LISTEN_ADDR for `sandbox`),
/// with only `env`, its own data directory, and its log appended to `log` (else on our
/// stderr); returns once it accepts connections. The same `addr` again restarts a replica
/// behind nginx.
pub async fn proxy_at(
    binary: &Path,
    args: &[&str],
    addr: SocketAddr,
    env: &[(&str, String)],
    log: Option<&Path>,
) -> Process {
    start(command_for(binary, args, &[]), args, addr, env, log).await
}

async fn start(
    mut cmd: Command,
    args: &[&str],
    addr: SocketAddr,
    env: &[(&str, String)],
    log: Option<&Path>,
) -> Process {
    let data = tempfile::tempdir().unwrap();
    cmd.env("DATA_DIR", data.path())
        .env(listen_var(args), addr.to_string());
    if let Some(path) = log {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        cmd.stderr(file);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start the proxy");
    listening(child, addr, Some(data)).await
}

/// A passthrough floor (`passthrough LISTEN UPSTREAM CLIENT`, `CLIENT` being `reqwest` or
/// `hyper`), built beside this binary.
pub async fn passthrough(upstream: SocketAddr, client: &str) -> Process {
    let addr = loopback();
    let binary = std::env::current_exe()
        .unwrap()
        .with_file_name("passthrough");
    let child = Command::new(&binary)
        .arg(addr.to_string())
        .arg(format!("http://{upstream}"))
        .arg(client)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    listening(child, addr, None).await
}

/// Resident memory of `pid`, in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS of a running process")
}

/// CPU time `pid` has used (user and system), in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat_cpu_seconds(&stat, false)
}

/// User and system time from a `/proc/<pid>/stat` line, with that of its reaped children
/// too when `children`.
pub fn stat_cpu_seconds(stat: &str, children: bool) -> f64 {
    // The fields after the command (which may hold spaces), from the third on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut ticks = field(14) + field(15);
    if children {
        ticks += field(16) + field(17);
    }
    // SAFETY: a plain system call with no arguments.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second
}
