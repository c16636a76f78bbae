//! What a client's connection may cost: headers within HEADER_READ_TIMEOUT_MS of accept, a
//! whole body within BODY_TIMEOUT_MS, connections capped per client and in all, and an accept
//! loop that backs off when descriptors run out. Event streams are cut by none of it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use testkit::*;

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

#[tokio::test]
async fn a_connection_that_sends_nothing_or_idles_is_closed_after_the_header_timeout() {
    let app = TestApp::with(|c| c.header_read_timeout_ms = 400).await;
    let accepted = Instant::now();
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let closed = closed_within(&mut silent, accepted, Duration::from_secs(5)).await;
    let closed = closed.expect("a connection that sent nothing was still open after 5 s");
    assert!(
        closed >= Duration::from_millis(350),
        "closed after {closed:?}"
    );

    // Between requests, the same bound: an idle keep-alive connection is closed too.
    let mut idle = raw_connection(app.addr, HEALTHZ).await;
    let answer = read_answer(&mut idle, Duration::from_secs(5)).await;
    assert_eq!(parse_raw(&answer).0, 200, "{answer}");
    let answered = Instant::now();
    let closed = closed_within(&mut idle, answered, Duration::from_secs(5)).await;
    assert!(
        closed.is_some(),
        "an idle keep-alive connection stayed open"
    );
}

#[tokio::test]
async fn a_trickled_body_gets_408_at_its_total_deadline_on_the_api_and_the_webhook_route() {
    let app = TestApp::with(|c| c.body_timeout_ms = 400).await;
    for path in ["/api/calls/c_trickle/recordings", "/webhooks/minivoice"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
             content-length: 100\r\n\r\n"
        );
        // A byte every 100 ms: each gap well inside the timeout, the whole 10 s.
        let (answer, took) = trickle(app.addr, &head, 100, Duration::from_millis(100)).await;
        assert_eq!(
            parse_raw(&answer),
            (408, "request_timeout".into()),
            "{path}: {answer}"
        );
        assert!(
            took >= Duration::from_millis(350) && took < Duration::from_secs(2),
            "{path}: answered after {took:?}"
        );
    }
}

#[tokio::test]
async fn event_streams_outlive_the_header_and_body_timeouts() {
    let app = TestApp::with(|c| {
        c.header_read_timeout_ms = 300;
        c.body_timeout_ms = 300;
    })
    .await;
    let stream = app.open_events("call_long_sse", None, None).await;
    assert_eq!(stream.status(), 200);
    assert!(
        !ends_within(stream, Duration::from_millis(1500)).await,
        "an event stream was cut by a request timeout"
    );
}

/// `n` connections to `addr` that send nothing, each accepted before the next is made.
async fn hold(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    held
}

/// Whether `cap` holds: with `held` connections open a new one is closed unanswered, and once
/// they close `/healthz` answers again on a new connection.
async fn refuses_past_the_cap_until_they_close(app: &TestApp, held: Vec<TcpStream>) {
    assert_eq!(
        healthz_status(app.addr).await,
        0,
        "a connection past the cap was served"
    );
    drop(held);
    wait_until(
        "/healthz to answer again",
        Duration::from_secs(5),
        || async { healthz_status(app.addr).await == 200 },
    )
    .await;
}

#[tokio::test]
async fn connections_past_a_cap_are_closed_and_healthz_answers_once_they_go() {
    // Per client: loopback is exempt by default (behind nginx every client is 127.0.0.1), so
    // the test holds loopback to the cap.
    let per_client = TestApp::with(|c| {
        c.max_connections_per_client = 3;
        c.per_client_cap_exempt = minivoice_proxy::serve::Exempt::none();
    })
    .await;
    let held = hold(per_client.addr, 3).await;
    refuses_past_the_cap_until_they_close(&per_client, held).await;

    let exempt = TestApp::with(|c| c.max_connections_per_client = 1).await;
    let held = hold(exempt.addr, 3).await;
    assert_eq!(
        healthz_status(exempt.addr).await,
        200,
        "loopback held to the per-client cap"
    );
    drop(held);

    let total = TestApp::with(|c| c.max_connections = 3).await;
    let held = hold(total.addr, 3).await;
    refuses_past_the_cap_until_they_close(&total, held).await;

    let metrics = total.get("/metrics").await.text;
    for cap in ["per_client", "total"] {
        let line = format!("minivoice_connections_refused_total{{cap=\"{cap}\"}}");
        assert!(metrics.contains(&line), "{line} missing:\n{metrics}");
    }
}

/// The binary in sandbox mode with an in-memory store, `env` added, its stderr piped.
fn proxy_command(env: &[(&str, &str)]) -> (std::process::Command, std::net::SocketAddr) {
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut all = vec![
        ("LISTEN_ADDR", addr.to_string()),
        ("DATABASE_URL", "sqlite::memory:".to_owned()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
    let mut cmd = command(&[], &all);
    cmd.stderr(Stdio::piped());
    (cmd, addr)
}

/// Opens `n` connections to `addr` that send nothing; the server may close any of them.
async fn idle_sockets(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut socks = Vec::new();
    for _ in 0..n {
        if let Ok(s) = TcpStream::connect(addr).await {
            socks.push(s);
        }
    }
    socks
}

/// Runs `cmd` and expects it to exit within 20 s: its status and stderr. One still running
/// then (it started instead of refusing) is killed and fails the test.
async fn exit_of(mut cmd: std::process::Command) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after 20 s: it started instead of refusing");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    (status, stderr)
}

#[tokio::test]
async fn under_a_low_file_limit_the_cap_keeps_accept_from_failing() {
    // The default cap does not fit 256 descriptors: refused at start, with a value that fits.
    let (mut cmd, _) = proxy_command(&[]);
    with_file_limit(&mut cmd, 256);
    let (status, stderr) = exit_of(cmd).await;
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("MAX_CONNECTIONS=2048")
            && stderr.contains("set MAX_CONNECTIONS to at most"),
        "{stderr}"
    );

    // A cap that fits: 400 idle sockets are refused past it, and accept never fails.
    let (mut cmd, addr) = proxy_command(&[("MAX_CONNECTIONS", "100"), ("RUST_LOG", "warn")]);
    with_file_limit(&mut cmd, 256);
    let proxy = Proxy::run(cmd, addr, Duration::from_secs(20)).await;
    let idle = idle_sockets(addr, 400).await;
    wait_until("the cap to be reached", Duration::from_secs(5), || async {
        healthz_status(addr).await == 0
    })
    .await;
    assert!(
        proxy.open_files() < 256,
        "{} files open",
        proxy.open_files()
    );
    drop(idle);
    wait_until(
        "/healthz to answer again",
        Duration::from_secs(5),
        || async { healthz_status(addr).await == 200 },
    )
    .await;
    proxy.terminate();
    let log = String::from_utf8_lossy(&proxy.wait_with_output().await.stderr).into_owned();
    assert_eq!(log.matches("accept failed").count(), 0, "{log}");
    let refusals = log.matches("connection refused").count();
    assert!(
        (1..=2).contains(&refusals),
        "{refusals} refusal lines:\n{log}"
    );
}

#[tokio::test]
async fn out_of_descriptors_the_accept_loop_backs_off_and_recovers() {
    // Descriptors can still run out (a limit lowered under a running proxy, descriptors held
    // elsewhere): the cap is set far above what is left, and the header timeout long, so only
    // closing the sockets frees them.
    let (cmd, addr) = proxy_command(&[
        ("MAX_CONNECTIONS", "1000"),
        ("HEADER_READ_TIMEOUT_MS", "60000"),
        ("RUST_LOG", "warn"),
    ]);
    let proxy = Proxy::run(cmd, addr, Duration::from_secs(20)).await;
    use rustix::process::{getrlimit, prlimit, Pid, Resource, Rlimit};
    let limit = proxy.open_files() as u64 + 40;
    let lowered = Rlimit {
        current: Some(limit),
        // The proxy's hard limit is the one it inherited from this process.
        maximum: getrlimit(Resource::Nofile).maximum,
    };
    prlimit(Pid::from_raw(proxy.pid() as i32), Resource::Nofile, lowered).unwrap();
    // 40 fill the descriptors, 60 wait in the listen queue (128 long: more would wait in the
    // client's connect instead).
    let idle = idle_sockets(addr, 100).await;
    wait_until(
        "the proxy to run out of descriptors",
        Duration::from_secs(5),
        || async { proxy.open_files() as u64 >= limit - 1 },
    )
    .await;
    // The outage itself, which the log must not narrate failure by failure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let served = tokio::time::timeout(Duration::from_millis(500), healthz_status(addr)).await;
    assert!(served.is_err(), "served while out of descriptors");
    drop(idle);
    let freed = Instant::now();
    wait_until(
        "/healthz to answer again",
        Duration::from_secs(3),
        || async { healthz_status(addr).await == 200 },
    )
    .await;
    let recovered = freed.elapsed();
    proxy.terminate();
    let log = String::from_utf8_lossy(&proxy.wait_with_output().await.stderr).into_owned();
    let failures = log.matches("accept failed").count();
    assert!(
        (1..=2).contains(&failures),
        "{failures} \"accept failed\" lines:\n{log}"
    );
    assert!(log.contains("accepted a connection again"), "{log}");
    assert!(
        recovered < Duration::from_secs(2),
        "recovered after {recovered:?}"
    );
}

/// A response written in more than one segment on a kept-alive connection must not wait for
/// the client's delayed ACK (40 ms on Linux): every accepted socket has Nagle's algorithm off.
/// Read from the server's own socket (the proxy runs in this process).
#[tokio::test]
async fn accepted_connections_have_tcp_nodelay() {
    let app = TestApp::spawn(sandbox_config()).await;
    let mut client = TcpStream::connect(app.addr).await.unwrap();
    client.write_all(HEALTHZ).await.unwrap();
    let mut head = [0u8; 12];
    client.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let nodelay = accepted_nodelay(app.addr, client.local_addr().unwrap());
    assert_eq!(nodelay, Some(true), "TCP_NODELAY on the accepted socket");
}

/// A burst of new connections (a shift's agents opening the widget at once) waits in the
/// kernel's queue rather than being dropped: the listening socket's backlog is the most the
/// kernel allows, not the standard library's 128. Read with `ss`, whose Send-Q column is a
/// listening socket's backlog.
#[tokio::test]
async fn the_listening_socket_queues_a_burst_of_connections() {
    let proxy = procs::proxy(
        &proxy_binary(),
        &[("DATABASE_URL", "sqlite::memory:".into())],
    )
    .await;
    let listing = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", proxy.addr.port())])
        .output()
        .expect("ss (iproute2) runs");
    let listing = String::from_utf8_lossy(&listing.stdout);
    let backlog: u32 = listing
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no listening socket in {listing:?}"));
    let most: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(backlog, most.min(4096), "{listing}");
    assert!(backlog > 128, "{listing}");
}
