//! `cargo xtask bench`: every figure we hold the product to, measured in one run beside its
//! floor or peer on this machine, printed as one markdown table (BENCHMARKS.md explains the
//! goals).
//!
//! `bench PROXY_BINARY WIDGET_DIST FLOOR_DIST` (the xtask builds all three, and the
//! `passthrough` binary beside this one).

mod bytes;
mod fanout;
mod page;
mod table;
mod throughput;

use std::path::PathBuf;
use std::time::Duration;

use minivoice_e2e::deployment::Nginx;
use minivoice_e2e::procs;

/// Cold navigations per page for the first-render medians.
const NAVIGATIONS: usize = 10;
const SUBSCRIBERS: [usize; 2] = [1_000, 10_000];
pub use testkit::{percentile, WEBHOOK_SECRET};

pub struct Run {
    pub assets: [Vec<Option<bytes::Sizes>>; 2],
    pub cold: [Vec<page::Cold>; 2],
    pub throughput: throughput::Results,
    pub fanout: Vec<fanout::Fanout>,
}

#[tokio::main]
async fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [proxy, widget, floor] = &args[..] else {
        panic!("usage: bench PROXY_BINARY WIDGET_DIST FLOOR_DIST");
    };
    raise_open_files();

    // Pages: both served by the release proxy in sandbox mode, so the server is not a
    // difference between them.
    let ours = procs::proxy(proxy, &[("WIDGET_DIR", widget.display().to_string())]).await;
    let hello = procs::proxy(proxy, &[("WIDGET_DIR", floor.display().to_string())]).await;
    eprintln!("bench: asset sizes and {NAVIGATIONS} cold loads of each page");
    let assets = [
        bytes::assets(widget, ours.addr).await,
        bytes::assets(floor, hello.addr).await,
    ];
    let (a, b) = page::compare(ours.addr, hello.addr, NAVIGATIONS).await;
    drop((ours, hello));

    let body = throughput::recordings_list();
    let upstream = Nginx::from_template("bench-upstream.conf", &[("BODY", body.clone())]).await;
    eprintln!("bench: throughput (wrk), about two and a half minutes");
    let throughput = throughput::run(proxy, upstream.addr, &body).await;
    let mut fanouts = vec![];
    for n in SUBSCRIBERS {
        eprintln!("bench: fan-out to {n} subscribers");
        fanouts.push(fanout::run(proxy, upstream.addr, n).await);
        // The closed streams' sockets leave the proxy's and our tables before the next size.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    table::print(&Run {
        assets,
        cold: [a, b],
        throughput,
        fanout: fanouts,
    });
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
    let needed = SUBSCRIBERS.iter().max().unwrap() + 512;
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
