//! Raw sockets: requests an HTTP client would normalise or refuse to send, answers a real
//! server would not give, clients that stall, and addresses nobody listens on.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The base URL of an upstream nobody listens on: connecting to it is refused.
pub fn dead_upstream() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// A connection to `addr` that has sent `bytes` and then does whatever the test makes it do
/// (nothing, typically).
pub async fn raw_connection(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(bytes).await.unwrap();
    sock
}

/// Sends raw bytes to `addr` and returns the whole answer (what came within 5 s).
pub async fn raw_request(addr: SocketAddr, request: &[u8]) -> String {
    let mut sock = raw_connection(addr, request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A raw answer's status and its error code (or a description of the body that has none).
pub fn parse_raw(answer: &str) -> (u16, String) {
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let code = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("<no JSON error: {body:?}>"));
    (status, code)
}

/// A fake upstream that speaks raw bytes: it reads a request, writes `answer` as is, closes.
/// Its base URL.
pub async fn raw_upstream(answer: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(answer).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}
