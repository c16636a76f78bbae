//! Graceful shutdown: in-flight requests finish, in-process and on SIGTERM to the binary.

use std::process::Stdio;
use std::time::Duration;

use axum::http::StatusCode;
use testkit::*;

const SLOW: Duration = Duration::from_millis(800);

/// Waits until `fake` has seen exactly one request.
async fn until_seen_once(fake: &Fake) {
    wait_until(
        "the upstream to see the start",
        Duration::from_secs(10),
        || async move { fake.requests().len() == 1 },
    )
    .await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let body = started_response();
    let fake = Fake::start(Script::Slow(SLOW, StatusCode::OK, body)).await;
    let cfg = forwarding_config(&fake.base_url(), sandbox_config().upstream_timeout_ms);
    let (app, stop) = TestApp::spawn_stoppable(cfg).await;
    let proxy = app.clone();
    let in_flight = tokio::spawn(async move { proxy.post_action("call_s", "start").await });
    until_seen_once(&fake).await;
    let served = stop.signal();
    let answer = in_flight.await.unwrap();
    assert_eq!((answer.status, answer.text.as_str()), (200, body));
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the server stops once idle")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(app.addr).await.is_err(),
        "no new connections"
    );
}

#[tokio::test]
async fn sigterm_to_the_binary_finishes_in_flight_requests() {
    let body = started_response();
    let fake = Fake::start(Script::Slow(SLOW, StatusCode::OK, body)).await;
    let data = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut cmd = command(
        &[],
        &[
            ("MINIVOICE_API_KEY", KEY.into()),
            ("MINIVOICE_BASE_URL", fake.base_url()),
            ("LISTEN_ADDR", format!("{addr}")),
            ("DATA_DIR", data.path().display().to_string()),
            ("RUST_LOG", "debug".into()),
        ],
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let proxy = Proxy::run(cmd, addr, Duration::from_secs(10)).await;
    let app = proxy.app();
    let in_flight = tokio::spawn(async move { app.post_action("call_t", "start").await });
    until_seen_once(&fake).await;
    proxy.terminate();
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    let out = proxy.wait_with_output().await;
    assert!(out.status.success(), "exit: {:?}", out.status);
    let logs =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(!logs.contains(KEY), "the key was logged:\n{logs}");
}

#[tokio::test]
async fn open_event_streams_do_not_hold_shutdown_open() {
    let (app, stop) = TestApp::spawn_stoppable(sandbox_config()).await;
    let stream = app.open_events("call_sse", None, None).await;
    assert_eq!(stream.status(), 200);
    let served = stop.signal();
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("shutdown finished with a widget still listening")
        .unwrap()
        .unwrap();
    // The listening widget saw its stream end (and will reconnect to the next instance).
    assert!(ends_within(stream, Duration::from_secs(5)).await);
}
