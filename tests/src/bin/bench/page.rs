//! What a browser does with a page on a cold cache: how long until its first state is in the
//! DOM, and how many bytes it transferred. Each load is a new Chromium with a fresh profile.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use minivoice_e2e::{procs, Harness};

/// How long a page may take to mark its first render before the figure is "n/a".
pub const MARK_DEADLINE: Duration = Duration::from_secs(10);

pub struct Cold {
    /// `performance.mark("minivoice:first-render")`'s time since navigation start, if made.
    pub first_render_ms: Option<f64>,
    /// Bytes on the wire: the page and every resource but `/api/` (headers included).
    pub transferred: u64,
}

/// Resolves with the mark's time as soon as it exists (a PerformanceObserver, so the page is
/// not polled while it renders), or null at the deadline.
const WAIT_FOR_MARK: &str = r#"
const [deadline, done] = arguments;
const find = () => performance.getEntriesByName('minivoice:first-render')[0];
const now = find();
if (now) return done(now.startTime);
const observer = new PerformanceObserver(() => {
  const e = find();
  if (e) { observer.disconnect(); done(e.startTime); }
});
observer.observe({ type: 'mark', buffered: true });
setTimeout(() => { observer.disconnect(); done(null); }, deadline);
"#;

const TRANSFERRED: &str = r#"
const api = (e) => new URL(e.name, location.href).pathname.startsWith('/api/');
const nav = performance.getEntriesByType('navigation')[0];
return performance.getEntriesByType('resource')
  .filter((e) => !api(e))
  .reduce((sum, e) => sum + e.transferSize, nav ? nav.transferSize : 0);
"#;

pub async fn cold_load(server: SocketAddr, path: &str) -> Cold {
    let browser = Harness::at(server).await;
    browser
        .client
        .goto(&format!("http://{server}{path}"))
        .await
        .unwrap();
    let mark = browser
        .client
        .execute_async(
            WAIT_FOR_MARK,
            vec![serde_json::json!(MARK_DEADLINE.as_millis() as u64)],
        )
        .await
        .expect("the mark script runs");
    // Without a mark the page may still be loading: let it finish before bytes are summed.
    if mark.is_null() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let transferred = browser
        .client
        .execute(TRANSFERRED, vec![])
        .await
        .expect("the transfer script runs");
    browser.close().await;
    Cold {
        first_render_ms: mark.as_f64(),
        transferred: transferred.as_u64().expect("a byte count"),
    }
}

/// `n` cold loads of each page (the widget, the hello world through the proxy, the hello world
/// from a plain static server), alternating, so anything that drifts over the run (the
/// machine warming up, page cache) is shared alike.
pub async fn compare(targets: [SocketAddr; 3], n: usize, run: usize) -> [Vec<Cold>; 3] {
    let [ours, hello, plain] = targets;
    let mut out: [Vec<Cold>; 3] = Default::default();
    for i in 0..n {
        // A fresh call each time: its first state is "no recordings", as for a new call.
        out[0].push(cold_load(ours, &format!("/?call_id=bench_cold_{run}_{i}")).await);
        out[1].push(cold_load(hello, "/").await);
        out[2].push(cold_load(plain, "/").await);
    }
    out
}

/// `python3 -m http.server` serving `dir` on a loopback port: the plainest way to serve a
/// built page (HTTP/1.0, a connection per file, no compression), so what our serving costs
/// or saves shows beside it.
pub async fn static_server(dir: &Path) -> procs::Process {
    let addr = procs::loopback();
    let child = std::process::Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
        .arg(dir)
        .arg(addr.port().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 (cargo xtask bench checks it is there)");
    procs::Process::listening(child, addr).await
}

/// The built assets of `dist` in the order a browser fetches them: the page, the JS glue, the
/// wasm, the CSS.
pub fn asset_paths(dist: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dist)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js") || n.ends_with("_bg.wasm") || n.ends_with(".css"))
        .collect();
    let rank = |n: &String| (!n.ends_with(".js"), !n.ends_with(".wasm"), n.clone());
    names.sort_by_key(rank);
    std::iter::once("/".to_owned())
        .chain(names.into_iter().map(|n| format!("/{n}")))
        .collect()
}

/// Each of `paths` fetched in turn over one kept-alive connection (asking for brotli, as a
/// browser does), `rounds` times on a new connection each: per path, the median time from
/// sending the request to the last byte of its answer. A response written in several
/// segments on a reused connection without `TCP_NODELAY` waits for the delayed ACK (40 ms).
pub async fn kept_alive(server: SocketAddr, paths: &[String], rounds: usize) -> Vec<f64> {
    let mut times: Vec<Vec<f64>> = vec![vec![]; paths.len()];
    for _ in 0..rounds {
        // One connection per round: a pool of one, used strictly in turn.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        for (path, times) in paths.iter().zip(&mut times) {
            let started = Instant::now();
            let answer = client
                .get(format!("http://{server}{path}"))
                .header("accept-encoding", "br")
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{path}: {}", answer.status());
            answer.bytes().await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.into_iter().map(crate::median).collect()
}
