//! The proxy binary as its own process: started with an environment, waited on until it
//! listens, measured (RSS), terminated or killed, for crash, memory and shutdown tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use super::app::TestApp;
use super::procs::rss_kib;
use super::raw::free_port;
use super::wait::wait_until;
use super::webhook::WEBHOOK_SECRET;
use super::KEY;

/// The `minivoice-proxy` binary of this build. Cargo builds a package's binaries next to its
/// integration tests' (`target/<profile>/`, the tests in `deps/` below it) and names them
/// only to those tests (`CARGO_BIN_EXE_…`), so a harness in another crate looks there.
pub fn proxy_binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let binary = test
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join("minivoice-proxy"))
        .expect("the test binary lies in target/<profile>/deps");
    assert!(
        binary.exists(),
        "{} is missing: build it (`cargo test -p minivoice-proxy` does)",
        binary.display()
    );
    binary
}

/// `minivoice-proxy [args]` with only `env` (after a quiet log and no widget, so `env` can
/// change those), its stdout discarded and its stderr the test's.
pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    command_for(&proxy_binary(), args, env)
}

/// [`command`] for the proxy binary at `binary` (a release build, say).
pub fn command_for(binary: &Path, args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .env_clear()
        .env("RUST_LOG", "warn")
        .env("WIDGET_DIR", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `minivoice-proxy [args]` with `env` to its end (a subcommand such as `token`): what it
/// printed, or the test fails with what it said on stderr.
pub fn stdout_of(args: &[&str], env: &[(&str, String)]) -> String {
    let out = command(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Makes `cmd` start with at most `n` open files (soft and hard RLIMIT_NOFILE, `ulimit -n`).
pub fn with_file_limit(cmd: &mut Command, n: u64) {
    use rustix::process::{setrlimit, Resource, Rlimit};
    use std::os::unix::process::CommandExt;
    let limit = Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    // SAFETY: between fork and exec the child runs only `setrlimit`, one system call that
    // neither allocates nor takes a lock.
    unsafe {
        cmd.pre_exec(move || setrlimit(Resource::Nofile, limit).map_err(Into::into));
    }
}

/// The environment of a replica, as several share one service: [`KEY`], `upstream` as
/// MiniVoice, [`WEBHOOK_SECRET`], and the database they all use.
pub fn replica_env(database_url: &str, upstream: &str) -> Vec<(&'static str, String)> {
    vec![
        ("MINIVOICE_API_KEY", KEY.into()),
        ("MINIVOICE_BASE_URL", upstream.into()),
        ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ("DATABASE_URL", database_url.into()),
    ]
}

/// Where `minivoice-proxy [args]` is told its address: `sandbox` listens where
/// SANDBOX_LISTEN_ADDR says, the proxy at LISTEN_ADDR.
pub fn listen_var(args: &[&str]) -> &'static str {
    if args.first() == Some(&"sandbox") {
        "SANDBOX_LISTEN_ADDR"
    } else {
        "LISTEN_ADDR"
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// `None` once waited for.
    child: Option<Child>,
}

impl Proxy {
    /// Starts `minivoice-proxy [args]` with `env` on a free loopback port and waits (20 s at
    /// most) until it accepts connections.
    pub async fn launch(args: &[&str], env: &[(&str, String)]) -> Proxy {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cmd = command(args, env);
        cmd.env(listen_var(args), addr.to_string());
        Proxy::run(cmd, addr, Duration::from_secs(20)).await
    }

    /// Starts `cmd` and waits, `limit` at most, until `addr` accepts connections.
    pub async fn run(mut cmd: Command, addr: SocketAddr, limit: Duration) -> Proxy {
        let child = spawn(&mut cmd, limit).await;
        wait_until("the proxy to listen", limit, || async move {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await;
        Proxy {
            addr,
            child: Some(child),
        }
    }

    /// A client for it.
    pub fn app(&self) -> TestApp {
        TestApp::at(self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("still running").id()
    }

    /// Its open file descriptors, from /proc.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    /// Resident memory, from /proc.
    pub fn rss_kb(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// `kill -9`: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill_hard(mut self) {
        let mut child = self.child.take().expect("still running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// `kill -TERM`: the graceful shutdown a service manager asks for.
    pub fn terminate(&self) {
        let pid = self.pid().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
    }

    /// Waits for the process to exit: its status and what it wrote to piped outputs.
    pub async fn wait_with_output(mut self) -> Output {
        let child = self.child.take().expect("still running");
        tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap()
    }
}

/// Starts `cmd`, retrying for `limit` at most while the binary is busy: a binary just copied
/// may still be open for writing in a child that another test's thread forked meanwhile (until
/// that child execs): "text file busy", for a moment.
async fn spawn(cmd: &mut Command, limit: Duration) -> Child {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match cmd.spawn() {
            Err(e)
                if e.kind() == std::io::ErrorKind::ExecutableFileBusy
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            spawned => return spawned.unwrap(),
        }
    }
}

/// Runs `minivoice-proxy` with `env` (on a free loopback port, with an in-memory store) and
/// expects it to refuse to start: what it wrote to stderr. Fails the test when it exits
/// successfully, or is still running after `limit` (it started instead; it is then killed).
pub async fn refused_start(env: &[(&str, String)], limit: Duration) -> String {
    use std::io::Read;
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut all = vec![
        ("LISTEN_ADDR", addr.to_string()),
        ("DATABASE_URL", "sqlite::memory:".to_owned()),
    ];
    all.extend(env.iter().cloned());
    let mut cmd = command(&[], &all);
    cmd.stderr(Stdio::piped());
    let mut proxy = Proxy {
        addr,
        child: Some(spawn(&mut cmd, limit).await),
    };
    let deadline = std::time::Instant::now() + limit;
    let child = proxy.child.as_mut().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // Dropping `proxy` kills it.
        assert!(
            std::time::Instant::now() < deadline,
            "started with {env:?} instead of refusing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    proxy.child = None;
    assert!(
        !status.success(),
        "exited successfully with {env:?}: {stderr}"
    );
    stderr
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
