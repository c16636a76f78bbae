//! Live-event fan-out: N raw-TCP SSE subscribers on one call of a release proxy (its own
//! process), its RSS per subscriber, and the delivery latency of one event to each of them.
//!
//! The subscribers share the proxy's two cores, so the client is kept lean where it would
//! otherwise be what is measured: each stream stays open until every subscriber has the event
//! (a widget does not hang up on its first event, and closing 10,000 sockets mid-delivery made
//! both processes tear connections down while the rest still waited), an arrival is the
//! instant of the read that brought it, and the waiting side is woken once, by the last.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minivoice_e2e::send_webhook;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::procs;

const CALL: &str = "fanout_call";
/// Connections being opened at once: under the listener's backlog, so none is dropped.
const OPENING: usize = 200;
const CONNECT_DEADLINE: Duration = Duration::from_secs(120);
const DELIVERY_DEADLINE: Duration = Duration::from_secs(30);
/// Timed deliveries to a lone subscriber, the reference for the fan-out's latency.
const SINGLE: usize = 5;

pub struct Fanout {
    pub subscribers: usize,
    pub kib_each: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Median delivery of one event to one subscriber, on the same proxy.
    pub single_ms: f64,
}

pub async fn run(
    proxy_binary: &std::path::Path,
    upstream: SocketAddr,
    n: usize,
    log: &std::path::Path,
) -> Fanout {
    let room = (n + 16).to_string();
    // Each subscriber is a connection: past MAX_CONNECTIONS (default 2048) they would be closed.
    let connections = (n + 64).to_string();
    let proxy = procs::shipped(
        proxy_binary,
        &[
            ("MINIVOICE_API_KEY", "sk_bench_fanout".into()),
            ("MINIVOICE_BASE_URL", format!("http://{upstream}")),
            ("MINIVOICE_WEBHOOK_SECRET", crate::WEBHOOK_SECRET.into()),
            ("MAX_EVENT_STREAMS", room.clone()),
            ("MAX_STREAMS_PER_AGENT", room),
            ("MAX_CONNECTIONS", connections),
        ],
        log,
    )
    .await;
    let addr = proxy.addr;
    // One-time costs (the store's first writes, the hub's first call, lazy statics) are
    // paid before the baseline, so they are not charged to the subscribers. Then the same
    // trip to one subscriber, timed: what webhook → store → hub costs before any fan-out.
    let (mut warm, mut seen) = subscribe(addr, "fanout_warmup").await;
    let mut single = vec![];
    for i in 0..=SINGLE {
        let recording = format!("rec_warmup_{i}");
        let sent = Instant::now();
        deliver(
            addr,
            "fanout_warmup",
            &format!("msg_warmup_{n}_{i}"),
            &recording,
        )
        .await;
        let at = tokio::time::timeout(
            DELIVERY_DEADLINE,
            wait_for(&mut warm, &mut seen, &recording),
        )
        .await
        .expect("the event reached the one subscriber in time");
        if i > 0 {
            single.push(at.duration_since(sent).as_secs_f64() * 1000.0);
        }
    }
    drop(warm);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = procs::rss_kib(proxy.pid());

    let connected = Arc::new(AtomicUsize::new(0));
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
    let needle = format!("rec_fanout_{n}");
    let arrivals = Arc::new(Arrivals {
        at: Mutex::new(Vec::with_capacity(n)),
        all: tokio::sync::Notify::new(),
        of: n,
    });
    let subscribers: Vec<_> = (0..n)
        .map(|_| {
            let (connected, opening, needle) = (connected.clone(), opening.clone(), needle.clone());
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                let permit = opening.acquire_owned().await.unwrap();
                let (mut stream, mut seen) = subscribe(addr, CALL).await;
                drop(permit);
                connected.fetch_add(1, Ordering::Relaxed);
                // The rest of this task is the wait for the one event, without a deadline of
                // its own: the caller bounds the whole wait.
                let at = wait_for(&mut stream, &mut seen, &needle).await;
                arrivals.note(at);
                // Open until the caller has every arrival (the handle is joined after).
                stream
            })
        })
        .collect();
    let started = Instant::now();
    while connected.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < CONNECT_DEADLINE,
            "only {} of {n} subscribers connected",
            connected.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = procs::rss_kib(proxy.pid());

    let sent = Instant::now();
    let all = arrivals.all.notified();
    deliver(addr, CALL, &format!("msg_fanout_{n}"), &needle).await;
    tokio::time::timeout(DELIVERY_DEADLINE, all)
        .await
        .expect("the event reached every subscriber in time");
    let mut lags: Vec<_> = arrivals
        .at
        .lock()
        .unwrap()
        .iter()
        .map(|at| at.duration_since(sent))
        .collect();
    // Only now are the streams closed.
    for open in futures_util::future::join_all(subscribers).await {
        drop(open.expect("a subscriber failed"));
    }
    lags.sort();
    let ms = |p: f64| crate::percentile(&lags, p).as_secs_f64() * 1000.0;
    Fanout {
        subscribers: n,
        kib_each: after.saturating_sub(before) as f64 / n as f64,
        p50_ms: ms(0.50),
        p99_ms: ms(0.99),
        single_ms: crate::median(single),
    }
}

/// Each subscriber's arrival; the last to arrive wakes the waiting side (once, not once a
/// subscriber: on two shared cores, waking it 10,000 times was part of what was measured).
struct Arrivals {
    at: Mutex<Vec<Instant>>,
    all: tokio::sync::Notify,
    of: usize,
}

impl Arrivals {
    fn note(&self, at: Instant) {
        let mut arrived = self.at.lock().unwrap();
        arrived.push(at);
        if arrived.len() == self.of {
            self.all.notify_one();
        }
    }
}

/// Reads the stream until `needle` has come (heartbeats and other events pass by); returns
/// when the read that brought it returned, before the search (the event had arrived then).
pub async fn wait_for(stream: &mut TcpStream, seen: &mut Vec<u8>, needle: &str) -> Instant {
    let needle = needle.as_bytes();
    let mut buf = [0u8; 1024];
    let mut at = Instant::now();
    while !contains(seen, needle) {
        // Only a tail that may hold the start of a needle split across reads is kept.
        let keep = seen.len().saturating_sub(needle.len());
        seen.drain(..keep);
        let read = stream.read(&mut buf).await.expect("the stream stays open");
        at = Instant::now();
        assert!(read > 0, "the proxy closed an event stream");
        seen.extend_from_slice(&buf[..read]);
    }
    at
}

/// Whether `needle` (not empty) is in `hay`: compared only where its first byte is, rather
/// than a slice comparison at every offset.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len()
        && hay[..=hay.len() - needle.len()]
            .iter()
            .enumerate()
            .any(|(i, b)| *b == needle[0] && hay[i..].starts_with(needle))
}

/// Opens the call's event stream and reads its response head (the stream's first bytes: the
/// subscription is registered before it is sent). Returns what came after the head.
pub async fn subscribe(addr: SocketAddr, call: &str) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /api/calls/{call}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    let end = loop {
        let read = stream.read(&mut buf).await.expect("read the head");
        assert!(read > 0, "the proxy closed the stream before answering");
        head.extend_from_slice(&buf[..read]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    (stream, head.split_off(end))
}

/// One signed `recording.stopped` webhook, as MiniVoice would send it.
pub async fn deliver(addr: SocketAddr, call: &str, id: &str, recording: &str) {
    let client = reqwest::Client::new();
    let status = send_webhook(
        &client,
        addr,
        crate::WEBHOOK_SECRET,
        id,
        stopped_body(call, recording),
    )
    .await;
    assert_eq!(status, 202, "webhook {id}");
}

/// A signed `recording.stopped` webhook's body, as MiniVoice would send it.
pub fn stopped_body(call: &str, recording: &str) -> String {
    serde_json::json!({
        "event": "recording.stopped",
        "call": {"id": call, "status": "in_progress"},
        "recording": {"id": recording, "status": "stopped", "duration_seconds": 1, "size_bytes": 16000}
    })
    .to_string()
}
