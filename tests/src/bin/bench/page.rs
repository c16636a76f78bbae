//! What a browser does with a page on a cold cache: how long until its first state is in the
//! DOM, and how many bytes it transferred. Each load is a new Chromium with a fresh profile.

use std::net::SocketAddr;
use std::time::Duration;

use minivoice_e2e::Harness;

/// How long a page may take to mark its first render before the figure is "n/a".
const MARK_DEADLINE: Duration = Duration::from_secs(10);

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

/// `n` cold loads of each page, alternating, so anything that drifts over the run (the
/// machine warming up, page cache) is shared alike.
pub async fn compare(ours: SocketAddr, floor: SocketAddr, n: usize) -> (Vec<Cold>, Vec<Cold>) {
    let (mut a, mut b) = (vec![], vec![]);
    for i in 0..n {
        // A fresh call each time: its first state is "no recordings", as for a new call.
        a.push(cold_load(ours, &format!("/?call_id=bench_cold_{i}")).await);
        b.push(cold_load(floor, "/").await);
    }
    (a, b)
}
