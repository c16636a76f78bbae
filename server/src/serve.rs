//! The accept loop. Hand-written because `axum::serve` gives hyper no timer, so hyper's
//! header-read timeout never fires and a client that trickles its headers holds a connection
//! forever. This is axum's loop plus: that timer, counted from accept; the caps on open
//! connections ([`caps`]); a backoff when `accept` fails ([`backoff`]); and the peer address in
//! each request's extensions (`ConnectInfo`) for per-client limits.

mod backoff;
mod body;
mod caps;
mod limits;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Where `PER_CLIENT_CAP_EXEMPT` is parsed; re-exported beside the caps it exempts from.
pub use crate::config::Exempt;
pub use body::{body_deadline, BodyDeadlinePassed};
pub use caps::{Cap, Caps};
pub use limits::fit_file_limit;

use backoff::AcceptBackoff;

/// How long clients may take, and how many connections they may hold.
pub struct Limits {
    /// From accept to the end of the first request's headers, and from the end of an answer
    /// to the end of the next request's headers: a connection that sends nothing, or idles
    /// between requests, is closed when it passes.
    pub header_read_timeout: Duration,
    pub caps: Arc<Caps>,
}

impl Limits {
    pub fn from_config(cfg: &crate::config::ServeConfig) -> Limits {
        Limits {
            header_read_timeout: Duration::from_millis(cfg.header_read_timeout_ms),
            caps: Caps::new(
                cfg.max_connections,
                cfg.max_connections_per_client,
                cfg.per_client_cap_exempt.clone(),
            ),
        }
    }
}

/// Serves `app` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a receiver; `closed()` resolves when the last one ends.
    let (open_tx, open_rx) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    let mut refusals = Refusals::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    if let Some(pause) = backoff.failed(&e) {
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        backoff.accepted();
        let permit = match limits.caps.admit(peer.ip()) {
            Ok(permit) => permit,
            Err(cap) => {
                // Closed at once, unread: answering would cost what the cap is there to save.
                drop(stream);
                refusals.note(cap, peer);
                continue;
            }
        };
        // Answers are written whole: Nagle's delay would only hold back their last segment.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let mut stop = stop_rx.clone();
        let open = open_rx.clone();
        let header_read_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            // HTTP/1 only: browsers speak HTTP/2 to us only through TLS, which a load balancer
            // ends. And hyper's HTTP/1 connection starts its header timer at once, where
            // hyper-util's auto-detecting one first waits for a byte to tell the versions
            // apart (a connection that sent nothing was held forever).
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
            drop(open);
        });
    }
    drop(listener);
    stop_tx.send_replace(true);
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// Connections refused by a cap: counted each, logged at most every
/// [`backoff::LOG_EVERY`] (a flood would otherwise write a line per connection).
#[derive(Default)]
struct Refusals {
    logged: Option<std::time::Instant>,
    since_logged: u64,
}

impl Refusals {
    fn note(&mut self, cap: Cap, peer: SocketAddr) {
        crate::telemetry::connection_refused(cap.label());
        self.since_logged += 1;
        let now = std::time::Instant::now();
        if self.logged.is_none_or(|at| now - at >= backoff::LOG_EVERY) {
            tracing::warn!(
                cap = cap.label(),
                client = %peer.ip(),
                refused = self.since_logged,
                "connection refused: MAX_CONNECTIONS{} reached (logged at most every {}s)",
                if cap == Cap::PerClient { "_PER_CLIENT" } else { "" },
                backoff::LOG_EVERY.as_secs()
            );
            self.logged = Some(now);
            self.since_logged = 0;
        }
    }
}

/// The client's address, when the request came through [`serve`] (`None` in `oneshot` tests).
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| *a),
        ))
    }
}
