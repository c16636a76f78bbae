//! Instructions per forwarded request, counted by callgrind: the proxy (as shipped: INFO, its
//! log to a file) and the axum + reqwest floor, each run under `valgrind --tool=callgrind`,
//! counting only while `wrk` sends them the throughput part's request. Requests per second on
//! two shared cores move with whatever else runs; this count does not, so it shows what a
//! change to the request path saved. User space only: the kernel's TCP work is not counted
//! (it is about the same for both, one request in and one out each way).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use minivoice_e2e::procs::{self, Process};

/// Connections `wrk` keeps open while counting, and for how long: under callgrind a request
/// takes some fifty times as long, so this is a few thousand requests.
const CONNECTIONS: u32 = 4;
const SECONDS: u32 = 10;

pub struct Counts {
    pub proxy: f64,
    pub floor: f64,
}

pub async fn run(proxy_binary: &Path, upstream: SocketAddr, log: &Path) -> Counts {
    let proxy_dir = tempfile::tempdir().unwrap();
    let floor_dir = tempfile::tempdir().unwrap();
    let proxy = {
        let addr = procs::loopback();
        let data = tempfile::tempdir().unwrap();
        let mut cmd = callgrind(proxy_dir.path(), proxy_binary);
        cmd.env("DATA_DIR", data.path())
            .env("LISTEN_ADDR", addr.to_string())
            .env("MINIVOICE_API_KEY", "sk_bench_instructions")
            .env("MINIVOICE_BASE_URL", format!("http://{upstream}"))
            .env("MINIVOICE_WEBHOOK_SECRET", crate::WEBHOOK_SECRET)
            .env("WIDGET_DIR", "/nonexistent")
            .stderr(log_file(log));
        (
            Process::listening(cmd.spawn().expect("valgrind"), addr).await,
            data,
        )
    };
    let floor = {
        let addr = procs::loopback();
        let binary = std::env::current_exe()
            .unwrap()
            .with_file_name("passthrough");
        let mut cmd = callgrind(floor_dir.path(), &binary);
        cmd.arg(addr.to_string())
            .arg(format!("http://{upstream}"))
            .arg("reqwest")
            .stderr(Stdio::null());
        Process::listening(cmd.spawn().expect("valgrind"), addr).await
    };
    Counts {
        proxy: per_request(&proxy.0, proxy_dir.path()),
        floor: per_request(&floor, floor_dir.path()),
    }
}

/// `binary` under callgrind, not counting until told (start-up is not a request), with only
/// the environment given to it.
fn callgrind(out: &Path, binary: &Path) -> Command {
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg("--instr-atstart=no")
        .arg(format!("--callgrind-out-file={}/cg.out", out.display()))
        .arg(format!("--log-file={}/valgrind.log", out.display()))
        .arg(binary)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::null());
    cmd
}

fn log_file(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn per_request(target: &Process, out: &Path) -> f64 {
    // Pools, caches and first-use registrations filled before anything is counted.
    crate::throughput::wrk(target.addr, CONNECTIONS, 2);
    control(target.pid(), "-i", "on");
    let sent = crate::throughput::wrk(target.addr, CONNECTIONS, SECONDS);
    control(target.pid(), "-i", "off");
    control(target.pid(), "-d", "");
    assert!(!sent.errors, "wrk saw errors from {}", target.addr);
    let counted = totals(out);
    assert!(
        counted > 0.0,
        "callgrind counted nothing in {}",
        out.display()
    );
    counted / sent.requests
}

fn control(pid: u32, flag: &str, value: &str) {
    let mut cmd = Command::new("callgrind_control");
    cmd.arg(flag);
    if !value.is_empty() {
        cmd.arg(value);
    }
    let status = cmd
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("callgrind_control (valgrind)");
    assert!(status.success(), "callgrind_control {flag} {value} {pid}");
}

/// The instructions in every dump callgrind wrote (`totals:` lines), once the dump asked for
/// is on disk.
fn totals(out: &Path) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sum: f64 = std::fs::read_dir(out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("cg.out"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|l| l.strip_prefix("totals:"))
                    .filter_map(|n| n.trim().parse::<f64>().ok())
                    .collect::<Vec<_>>()
            })
            .sum();
        if sum > 0.0 || Instant::now() > deadline {
            return sum;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
