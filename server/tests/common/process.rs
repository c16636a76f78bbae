//! The proxy binary as its own process: started with an environment, waited on until it
//! listens, measured (RSS) and killed, for crash and memory tests.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub child: Child,
}

impl Proxy {
    /// Starts `minivoice-proxy [args]` with only `env` (plus a quiet log) and waits until it
    /// accepts connections.
    pub async fn spawn(args: &[&str], env: &[(&str, String)]) -> Proxy {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_minivoice-proxy"));
        cmd.args(args)
            .env_clear()
            .env("RUST_LOG", "warn")
            .env("WIDGET_DIR", "/nonexistent")
            // `sandbox` listens where SANDBOX_LISTEN_ADDR says, the proxy at LISTEN_ADDR.
            .env(
                if args.first() == Some(&"sandbox") {
                    "SANDBOX_LISTEN_ADDR"
                } else {
                    "LISTEN_ADDR"
                },
                format!("127.0.0.1:{port}"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_until("the proxy to listen", Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await;
        Proxy { addr, child }
    }

    /// Resident memory, from /proc.
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// `kill -9`: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill_hard(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it holds, failing the test after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
