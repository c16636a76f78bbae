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

/// How long after `since` the server closed `sock` (EOF or reset), reading and dropping
/// whatever it sends; `None` if it was still open at `limit`.
pub async fn closed_within(
    sock: &mut TcpStream,
    since: std::time::Instant,
    limit: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    let read_to_close = async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_to_close).await.ok()?;
    Some(since.elapsed())
}

/// One answer read from `reader`: its head and as much body as its `content-length` says
/// (or what came before the connection closed, or before `limit`).
pub async fn read_answer(reader: &mut (impl AsyncReadExt + Unpin), limit: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&out);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(limit, read).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `request` on a new connection and reads one answer (within 5 s); empty when the
/// server closed the connection without answering (a write or read error counts as that).
pub async fn answer_or_closed(addr: SocketAddr, request: &[u8]) -> String {
    let Ok(mut sock) = TcpStream::connect(addr).await else {
        return String::new();
    };
    if sock.write_all(request).await.is_err() {
        return String::new();
    }
    read_answer(&mut sock, Duration::from_secs(5)).await
}

/// `GET /healthz` on a new connection: its status, 0 when the connection was closed unanswered.
pub async fn healthz_status(addr: SocketAddr) -> u16 {
    let answer = answer_or_closed(
        addr,
        b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
    )
    .await;
    parse_raw(&answer).0
}

/// Sends `head` (which announces a body of `body_len` bytes), then the body one byte every
/// `gap`, until the server answers or the body is sent. The answer, and how long after the
/// head it came.
pub async fn trickle(
    addr: SocketAddr,
    head: &str,
    body_len: usize,
    gap: Duration,
) -> (String, Duration) {
    let sock = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = sock.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    let sent = std::time::Instant::now();
    let trickling = tokio::spawn(async move {
        for _ in 0..body_len {
            tokio::time::sleep(gap).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
        writer
    });
    let limit = gap * body_len as u32 + Duration::from_secs(5);
    let answer = read_answer(&mut reader, limit).await;
    let took = sent.elapsed();
    trickling.abort();
    (answer, took)
}

/// Whether the server side of the connection from `client` to `server` (a socket of this
/// process, the in-process proxy's) has `TCP_NODELAY` set: read from the socket itself, found
/// among this process's descriptors by its two addresses. `None` when no such socket is open.
pub fn accepted_nodelay(server: SocketAddr, client: SocketAddr) -> Option<bool> {
    use std::os::fd::FromRawFd;
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // SAFETY: only borrowed for a few read-only socket calls, never closed here
        // (`ManuallyDrop`); a descriptor that is not a TCP socket fails those calls.
        let socket = std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) });
        if socket.local_addr().ok() == Some(server) && socket.peer_addr().ok() == Some(client) {
            return socket.nodelay().ok();
        }
    }
    None
}
