//! Graceful shutdown: in-flight requests finish, in-process and on SIGTERM to the binary.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use minivoice_proxy::{Secret, ServeConfig};

const SLOW: Duration = Duration::from_millis(800);

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let body = fixture("start_recording.response.json");
    let fake = Fake::start(Script::Slow(SLOW, StatusCode::OK, body)).await;
    let mut cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = fake.base_url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = minivoice_proxy::start(cfg, async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let proxy = running.addr;
    let in_flight = tokio::spawn(async move { post_action(proxy, "call_s", "start").await });
    until("the upstream to see the start", || {
        fake.requests().len() == 1
    })
    .await;
    stop.send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert_eq!((answer.status, answer.text.as_str()), (200, body));
    tokio::time::timeout(Duration::from_secs(5), running.served)
        .await
        .expect("the server stops once idle")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(proxy).await.is_err(),
        "no new connections"
    );
}

#[tokio::test]
async fn sigterm_to_the_binary_finishes_in_flight_requests() {
    let body = fixture("start_recording.response.json");
    let fake = Fake::start(Script::Slow(SLOW, StatusCode::OK, body)).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_minivoice-proxy"))
        .env_clear()
        .env("MINIVOICE_API_KEY", KEY)
        .env("MINIVOICE_BASE_URL", fake.base_url())
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("WIDGET_DIR", "/nonexistent")
        .env("DATA_DIR", data.path())
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let proxy: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(proxy).await.is_err() {
        assert!(Instant::now() < deadline, "the proxy never listened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let in_flight = tokio::spawn(async move { post_action(proxy, "call_t", "start").await });
    until("the upstream to see the start", || {
        fake.requests().len() == 1
    })
    .await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "exit: {:?}", out.status);
    let logs =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(!logs.contains(KEY), "the key was logged:\n{logs}");
}

#[tokio::test]
async fn open_event_streams_do_not_hold_shutdown_open() {
    let cfg = ServeConfig::sandbox_on_loopback("/nonexistent".into());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = minivoice_proxy::start(cfg, async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let mut stream = reqwest::get(format!("http://{}/api/calls/call_sse/events", running.addr))
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running.served)
        .await
        .expect("shutdown finished with a widget still listening")
        .unwrap()
        .unwrap();
    // The listening widget saw its stream end (and will reconnect to the next instance).
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok());
}
