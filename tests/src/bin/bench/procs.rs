//! The processes a bench run starts (proxies, the passthrough floor, nginx), each on a fresh
//! loopback port and stopped when dropped, and what is read from them (RSS).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use minivoice_e2e::free_port;

/// A child stopped with SIGTERM when dropped: nginx's master only takes its workers down on
/// TERM, and the proxy exits cleanly on it too.
pub struct Process {
    child: Child,
    pub addr: SocketAddr,
    _run_dir: Option<tempfile::TempDir>,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn loopback() -> SocketAddr {
    format!("127.0.0.1:{}", free_port()).parse().unwrap()
}

async fn listening(child: Child, addr: SocketAddr, run_dir: Option<tempfile::TempDir>) -> Process {
    let process = Process {
        child,
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
    let addr = loopback();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("RUST_LOG", "warn")
        .env("WIDGET_DIR", "/nonexistent")
        .env("DATA_DIR", data.path())
        .env("LISTEN_ADDR", addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start the proxy");
    listening(child, addr, Some(data)).await
}

/// The passthrough floor (`passthrough LISTEN UPSTREAM`), built beside this binary.
pub async fn passthrough(upstream: SocketAddr) -> Process {
    let addr = loopback();
    let binary = std::env::current_exe()
        .unwrap()
        .with_file_name("passthrough");
    let child = Command::new(&binary)
        .arg(addr.to_string())
        .arg(format!("http://{upstream}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    listening(child, addr, None).await
}

/// Resident memory of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS of a running process")
}
