//! Proxy throughput: `wrk` on `GET /api/calls/<id>/recordings` through the proxy (real-key
//! mode, as shipped: its INFO log written to a file), the two passthrough floors (axum with
//! reqwest, axum with hyper-util) and nginx, all forwarding to one static upstream.

use std::net::SocketAddr;
use std::process::Command;

use minivoice_e2e::deployment::Nginx;

use crate::procs;

pub const CONCURRENCY: [u32; 3] = [1, 64, 256];
const ROUNDS: usize = 3;
const SECONDS: u32 = 5;
const PATH: &str = "/api/calls/bench_call/recordings";

/// One target at one concurrency: medians over the rounds.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Requests answered in the run.
    pub requests: f64,
    /// wrk saw non-2xx answers or socket errors in some round.
    pub errors: bool,
}

/// The targets, in the order of [`Results::rows`]' figures.
pub const TARGETS: usize = 4;

pub struct Results {
    /// Per concurrency: proxy, reqwest floor, hyper-util floor, nginx.
    pub rows: Vec<(u32, [Figures; TARGETS])>,
    /// Bytes the proxy's log grew by over the measured runs, and its answer lines.
    pub log_bytes: u64,
    pub log_lines: usize,
}

/// A recordings list as MiniVoice answers it: the documented envelope around the documented
/// recording (fixtures/), which is what the proxy validates answers against.
pub fn recordings_list() -> String {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/start_recording.response.json");
    let answer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let body = serde_json::json!({ "data": [answer["data"]["recording"]] }).to_string();
    // It goes into nginx's single-quoted `return`, where these would not survive.
    assert!(!body.contains(['\'', '$', '\\']), "{body}");
    body
}

pub async fn run(
    proxy_binary: &std::path::Path,
    upstream: SocketAddr,
    body: &str,
    log: &std::path::Path,
) -> Results {
    let proxy = procs::shipped(
        proxy_binary,
        &[
            ("MINIVOICE_API_KEY", "sk_bench_throughput".into()),
            ("MINIVOICE_BASE_URL", format!("http://{upstream}")),
            ("MINIVOICE_WEBHOOK_SECRET", crate::WEBHOOK_SECRET.into()),
        ],
        log,
    )
    .await;
    let reqwest_floor = procs::passthrough(upstream, "reqwest").await;
    let hyper_floor = procs::passthrough(upstream, "hyper").await;
    let nginx =
        Nginx::from_template("bench-nginx.conf", &[("UPSTREAM", upstream.to_string())]).await;
    let targets = [proxy.addr, reqwest_floor.addr, hyper_floor.addr, nginx.addr];
    for target in targets {
        let got = reqwest::get(format!("http://{target}{PATH}"))
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{target}");
        assert_eq!(got.text().await.unwrap(), body, "{target} changed the body");
        // Fills connection pools on both sides before anything is measured.
        wrk(target, 64, 1);
    }
    let logged_before = log_size(log);
    let mut rows = vec![];
    for c in CONCURRENCY {
        let mut rounds: [Vec<Figures>; TARGETS] = Default::default();
        // Targets alternate within a round so drift (thermal, background work) hits all alike.
        for _ in 0..ROUNDS {
            for (i, target) in targets.iter().enumerate() {
                rounds[i].push(wrk(*target, c, SECONDS));
            }
        }
        rows.push((c, rounds.map(|r| median_figures(&r))));
    }
    // Stopped first, so its log is written out whole before it is read.
    drop(proxy);
    let text = std::fs::read_to_string(log).unwrap_or_default();
    Results {
        rows,
        log_bytes: log_size(log).saturating_sub(logged_before),
        log_lines: text.lines().filter(|l| l.contains(" answered ")).count(),
    }
}

fn log_size(log: &std::path::Path) -> u64 {
    std::fs::metadata(log).map_or(0, |m| m.len())
}

fn median_figures(rounds: &[Figures]) -> Figures {
    let med = |f: fn(&Figures) -> f64| crate::median(rounds.iter().map(f).collect());
    Figures {
        rps: med(|f| f.rps),
        p50_ms: med(|f| f.p50_ms),
        p99_ms: med(|f| f.p99_ms),
        requests: med(|f| f.requests),
        errors: rounds.iter().any(|f| f.errors),
    }
}

pub fn wrk(target: SocketAddr, connections: u32, seconds: u32) -> Figures {
    // wrk refuses fewer connections than threads.
    let threads = connections.clamp(1, 2);
    let out = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "5s", "--latency"])
        .arg(format!("http://{target}{PATH}"))
        .output()
        .expect("wrk (cargo xtask bench installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or_else(|| panic!("wrk printed no {label}: {text}"))
            .to_owned()
    };
    Figures {
        rps: field("Requests/sec:").parse().unwrap(),
        p50_ms: millis(&field("50%")),
        p99_ms: millis(&field("99%")),
        // `N requests in 5.00s, …`
        requests: text
            .lines()
            .find_map(|l| l.trim().split_once(" requests in "))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("wrk printed no request count: {text}")),
        errors: text.contains("Non-2xx") || text.contains("Socket errors"),
    }
}

/// wrk's durations: `812.00us`, `1.23ms`, `1.02s`, `2.00m`.
fn millis(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrk_durations() {
        assert_eq!(super::millis("812.00us"), 0.812);
        assert_eq!(super::millis("1.23ms"), 1.23);
        assert_eq!(super::millis("1.02s"), 1020.0);
    }
}
