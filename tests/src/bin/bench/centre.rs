//! A contact centre's pattern: N agents, each with the event stream of its own call open, and
//! MiniVoice's signed webhooks for different calls arriving at a steady rate. For each webhook,
//! the time from its acceptance (our 202) to its event on that call's stream; beside it the
//! same trip with one stream open, and the proxy's RSS per open stream.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fanout::{deliver, subscribe, wait_for};
use crate::procs;

/// Webhooks per second, each for another call, for [`SENDING`].
pub const RATE: u64 = 200;
pub const SENDING: Duration = Duration::from_secs(30);
/// Trips timed with one stream open (one webhook at a time).
const SINGLE: usize = 100;
const OPENING: usize = 200;
const CONNECT_DEADLINE: Duration = Duration::from_secs(120);
const DELIVERY_DEADLINE: Duration = Duration::from_secs(60);

pub struct Centre {
    pub streams: usize,
    pub webhooks: usize,
    pub kib_each: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub single_p50_ms: f64,
    pub single_p99_ms: f64,
}

pub async fn run(
    proxy_binary: &std::path::Path,
    upstream: SocketAddr,
    n: usize,
    log: &std::path::Path,
) -> Centre {
    let room = (n + 16).to_string();
    let proxy = procs::shipped(
        proxy_binary,
        &[
            ("MINIVOICE_API_KEY", "sk_bench_centre".into()),
            ("MINIVOICE_BASE_URL", format!("http://{upstream}")),
            ("MINIVOICE_WEBHOOK_SECRET", crate::WEBHOOK_SECRET.into()),
            ("MAX_EVENT_STREAMS", room.clone()),
            ("MAX_STREAMS_PER_AGENT", room),
            // The streams, and the webhook sender's connections.
            ("MAX_CONNECTIONS", (n + 1024).to_string()),
        ],
        log,
    )
    .await;
    let addr = proxy.addr;

    // The trip alone: one stream, one webhook at a time (also the warm-up of the store, the
    // hub and lazy statics before the memory baseline).
    let (mut lone, mut seen) = subscribe(addr, "centre_single").await;
    let mut single = vec![];
    for i in 0..SINGLE {
        let recording = format!("\"rec_single_{i}\"");
        deliver(
            addr,
            "centre_single",
            &format!("msg_single_{i}"),
            &recording[1..recording.len() - 1],
        )
        .await;
        let accepted = Instant::now();
        let at = tokio::time::timeout(
            DELIVERY_DEADLINE,
            wait_for(&mut lone, &mut seen, &recording),
        )
        .await
        .expect("the event reached the one stream in time");
        single.push(at.saturating_duration_since(accepted));
    }
    drop(lone);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = procs::rss_kib(proxy.pid());

    let webhooks = (RATE * SENDING.as_secs()) as usize;
    let connected = Arc::new(AtomicUsize::new(0));
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
    let streams: Vec<_> = (0..n)
        .map(|i| {
            let (connected, opening) = (connected.clone(), opening.clone());
            tokio::spawn(async move {
                let permit = opening.acquire_owned().await.unwrap();
                let (mut stream, mut seen) = subscribe(addr, &format!("centre_{i}")).await;
                drop(permit);
                connected.fetch_add(1, Ordering::Relaxed);
                if i >= webhooks {
                    // Open and idle, as most agents' streams are; held until the end.
                    return (stream, None);
                }
                let at = wait_for(&mut stream, &mut seen, &format!("\"rec_centre_{i}\"")).await;
                (stream, Some(at))
            })
        })
        .collect();
    let started = Instant::now();
    while connected.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < CONNECT_DEADLINE,
            "only {} of {n} streams connected",
            connected.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = procs::rss_kib(proxy.pid());

    // Webhook k is for call k, sent at k / RATE seconds whether or not earlier ones answered.
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / RATE as u32);
    let mut sends = Vec::with_capacity(webhooks);
    for k in 0..webhooks {
        tick.tick().await;
        let client = client.clone();
        sends.push(tokio::spawn(async move {
            let body =
                crate::fanout::stopped_body(&format!("centre_{k}"), &format!("rec_centre_{k}"));
            let status = minivoice_e2e::send_webhook(
                &client,
                addr,
                crate::WEBHOOK_SECRET,
                &format!("msg_centre_{k}"),
                body,
            )
            .await;
            assert_eq!(status, 202, "webhook {k}");
            Instant::now()
        }));
    }
    let accepted = futures_util::future::join_all(sends).await;
    let arrived = tokio::time::timeout(DELIVERY_DEADLINE, futures_util::future::join_all(streams))
        .await
        .expect("every event reached its stream in time");
    let mut lags: Vec<Duration> = accepted
        .into_iter()
        .zip(&arrived)
        .map(|(acc, arr)| {
            let acc = acc.expect("a sender failed");
            let arr = arr.as_ref().expect("a stream failed").1.expect("an event");
            // An event read before its 202 was: no wait at all.
            arr.saturating_duration_since(acc)
        })
        .collect();
    lags.sort();
    single.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Centre {
        streams: n,
        webhooks,
        kib_each: after.saturating_sub(before) as f64 / n as f64,
        p50_ms: ms(crate::percentile(&lags, 0.50)),
        p99_ms: ms(crate::percentile(&lags, 0.99)),
        single_p50_ms: ms(crate::percentile(&single, 0.50)),
        single_p99_ms: ms(crate::percentile(&single, 0.99)),
    }
}
