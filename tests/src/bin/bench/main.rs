//! `cargo xtask bench`: every figure we hold the product to, measured in one run beside its
//! floor or peer on this machine, printed as one markdown table (BENCHMARKS.md explains the
//! goals).
//!
//! `bench PROXY_BINARY WIDGET_DIST FLOOR_DIST` (the xtask builds all three, and the
//! `passthrough` binary beside this one).

mod bytes;
mod centre;
mod fanout;
mod instructions;
mod page;
mod table;
mod throughput;

use std::path::PathBuf;
use std::time::Duration;

use minivoice_e2e::deployment::Nginx;
use minivoice_e2e::procs;

/// Cold navigations per page and run for the first-render medians.
const NAVIGATIONS: usize = 10;
/// First-render runs: the goal is judged on the median of their ratios.
const RENDER_RUNS: usize = 3;
/// Connections over which the assets are fetched in turn, kept alive.
const KEPT_ALIVE_ROUNDS: usize = 5;
const SUBSCRIBERS: [usize; 2] = [1_000, 10_000];
/// The centre pattern's open streams, each on its own call.
const CENTRE_STREAMS: usize = 10_000;
pub use testkit::{percentile, WEBHOOK_SECRET};

/// What one run measured; a part left out (`BENCH_ONLY`) has no rows.
pub struct Run {
    pub pages: Option<Pages>,
    pub throughput: Option<throughput::Results>,
    pub instructions: Option<instructions::Counts>,
    pub fanout: Vec<fanout::Fanout>,
    pub centre: Option<centre::Centre>,
}

pub struct Pages {
    pub assets: [Vec<Option<bytes::Sizes>>; 2],
    /// Per run: the widget, the hello world through the proxy, the hello world from
    /// `python3 -m http.server`.
    pub cold: Vec<[Vec<page::Cold>; 3]>,
    /// The widget's assets in turn over one connection: their paths, then per path the median
    /// time through the proxy and from `python3 -m http.server`.
    pub kept_alive: (Vec<String>, Vec<f64>, Vec<f64>),
}

/// The parts of a run: all of them, or those `BENCH_ONLY` names (`pages`, `throughput`,
/// `instructions`, `fanout`, `centre`, comma-separated), to measure one while working on it.
fn wanted(part: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|p| p.trim() == part))
}

#[tokio::main]
async fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [proxy, widget, floor] = &args[..] else {
        panic!("usage: bench PROXY_BINARY WIDGET_DIST FLOOR_DIST");
    };
    raise_open_files();
    // Every proxy runs as shipped: INFO, its log in a file here (as a service manager keeps it).
    let logs = tempfile::tempdir().unwrap();
    let log = |name: &str| logs.path().join(format!("{name}.log"));

    let pages = if wanted("pages") {
        Some(pages(proxy, widget, floor, &log).await)
    } else {
        None
    };
    let body = throughput::recordings_list();
    let upstream = Nginx::from_template("bench-upstream.conf", &[("BODY", body.clone())]).await;
    let throughput = if wanted("throughput") {
        eprintln!("bench: throughput (wrk), about three and a half minutes");
        Some(throughput::run(proxy, upstream.addr, &body, &log("throughput")).await)
    } else {
        None
    };
    let instructions = if wanted("instructions") {
        eprintln!("bench: instructions per request (callgrind), about half a minute");
        Some(instructions::run(proxy, upstream.addr, &log("instructions")).await)
    } else {
        None
    };
    let mut fanouts = vec![];
    for n in SUBSCRIBERS.into_iter().filter(|_| wanted("fanout")) {
        eprintln!("bench: fan-out to {n} subscribers");
        fanouts.push(fanout::run(proxy, upstream.addr, n, &log(&format!("fanout-{n}"))).await);
        // The closed streams' sockets leave the proxy's and our tables before the next size.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let centre = if wanted("centre") {
        eprintln!(
            "bench: {CENTRE_STREAMS} streams on their own calls, {} webhooks/s for {} s",
            centre::RATE,
            centre::SENDING.as_secs()
        );
        Some(centre::run(proxy, upstream.addr, CENTRE_STREAMS, &log("centre")).await)
    } else {
        None
    };
    table::print(&Run {
        pages,
        throughput,
        instructions,
        fanout: fanouts,
        centre,
    });
}

/// Pages: the widget and the hello world both served by the release proxy in sandbox mode, so
/// the server is not a difference between them; the hello world also by a plain static server.
async fn pages(
    proxy: &std::path::Path,
    widget: &std::path::Path,
    floor: &std::path::Path,
    log: &dyn Fn(&str) -> PathBuf,
) -> Pages {
    let env = |dir: &std::path::Path| [("WIDGET_DIR", dir.display().to_string())];
    let ours = procs::shipped(proxy, &env(widget), &log("page-widget")).await;
    let hello = procs::shipped(proxy, &env(floor), &log("page-hello")).await;
    let plain = page::static_server(floor).await;
    let plain_widget = page::static_server(widget).await;
    eprintln!(
        "bench: asset sizes, assets over one connection, {RENDER_RUNS} × {NAVIGATIONS} cold loads of each page"
    );
    let assets = [
        bytes::assets(widget, ours.addr).await,
        bytes::assets(floor, hello.addr).await,
    ];
    let paths = page::asset_paths(widget);
    let ours_kept = page::kept_alive(ours.addr, &paths, KEPT_ALIVE_ROUNDS).await;
    let plain_kept = page::kept_alive(plain_widget.addr, &paths, KEPT_ALIVE_ROUNDS).await;
    let mut cold = vec![];
    for run in 0..RENDER_RUNS {
        cold.push(page::compare([ours.addr, hello.addr, plain.addr], NAVIGATIONS, run).await);
    }
    Pages {
        assets,
        cold,
        kept_alive: (paths, ours_kept, plain_kept),
    }
}

/// 10,000 subscribers are 10,000 sockets here and in the proxy (which inherits the limit).
fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    let needed = CENTRE_STREAMS.max(*SUBSCRIBERS.iter().max().unwrap()) + 1024;
    assert!(
        limit.rlim_cur as usize >= needed,
        "open-files limit {} is below the {needed} the fan-out needs (raise the hard limit)",
        limit.rlim_cur
    );
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}
