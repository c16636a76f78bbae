//! The default text log escapes what clients wrote: a value with a newline or an escape
//! sequence cannot forge a log line or colour the operator's terminal.

use std::time::Duration;

use futures_util::StreamExt;
use testkit::*;

#[tokio::test]
async fn a_client_controlled_value_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = command(
        &[],
        &[
            ("LISTEN_ADDR", addr.to_string()),
            ("RUST_LOG", "info".into()),
            ("DATABASE_URL", "sqlite::memory:".into()),
            ("MINIVOICE_API_KEY", KEY.into()),
            ("MINIVOICE_BASE_URL", dead_upstream()),
            ("MINIVOICE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
        ],
    );
    cmd.stderr(std::fs::File::create(&log).unwrap());
    let proxy = Proxy::run(cmd, addr, Duration::from_secs(20)).await;
    // A body the worker cannot read is logged as it came (its first 512 bytes).
    let body = "hello\nFORGED ERROR line\r\n\u{1b}[31mred\u{1b}[0m \u{85}";
    assert_eq!(proxy.app().deliver("msg_log_forge", body).await, 202);
    let read = || std::fs::read_to_string(&log).unwrap();
    wait_until("the body logged", Duration::from_secs(10), || async {
        read().contains("not understood")
    })
    .await;
    proxy.kill_hard();
    let text = read();
    let line = text.lines().find(|l| l.contains("not understood")).unwrap();
    assert!(
        line.contains(r"hello\nFORGED ERROR line\r\n\u{1b}[31mred\u{1b}[0m \u{85}"),
        "{line}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED")),
        "a forged line:\n{text}"
    );
    assert!(
        !text.contains(['\u{1b}', '\u{85}', '\r']),
        "raw control characters:\n{text}"
    );
}

/// The log is written by a thread of its own (`telemetry::logs`): a log nobody reads for a
/// while (a pipe whose reader stalls: a busy log shipper) does not hold up requests, and what
/// is still queued when the proxy stops reaches the log all the same, every request's answer
/// line and the shutdown's last line, at the default level.
#[tokio::test]
async fn a_stalled_log_holds_no_request_and_every_line_is_written_at_exit() {
    // About 250 bytes a line: several times what a pipe holds (64 KiB) before writes block.
    const REQUESTS: usize = 2_000;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = command(
        &[],
        &[
            ("LISTEN_ADDR", addr.to_string()),
            ("DATABASE_URL", "sqlite::memory:".into()),
        ],
    );
    // Read by nobody until the proxy has stopped.
    cmd.env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped());
    let proxy = Proxy::run(cmd, addr, Duration::from_secs(20)).await;
    let app = proxy.app();
    let requests = futures_util::stream::iter((0..REQUESTS).map(|_| app.get("/healthz")))
        .buffer_unordered(8)
        .collect::<Vec<Answer>>();
    let answers = tokio::time::timeout(DEADLINE, requests)
        .await
        .expect("requests were answered while nobody read the log");
    assert!(answers.iter().all(|a| a.status == 200));
    proxy.terminate();
    let out = proxy.wait_with_output().await;
    assert!(out.status.success(), "exit: {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stderr);
    let answered = text
        .lines()
        .filter(|l| l.contains("answered") && l.contains(r#"route="/healthz""#))
        .count();
    assert_eq!(answered, REQUESTS, "answer lines in the log");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.ends_with("stopped"), "the log's last line: {last}");
}
