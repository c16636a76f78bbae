//! `GET /api/calls/{call_id}/events`: a call's live events as server-sent events, resumed from
//! the store after a `Last-Event-ID`, with heartbeats, and ended at shutdown or when the token
//! expires.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::Extension;
use futures_util::stream;
use minivoice_shared::LiveEvent;
use tokio::sync::broadcast::error::RecvError;

use super::{Hub, Note, Stamped, Subscription};
use crate::auth::{unix_now, Agent};
use crate::error::AppError;
use crate::extract::CallId;
use crate::serve::ClientAddr;

/// A keep-alive comment (which SSE clients ignore).
const HEARTBEAT: &[u8] = b":\n\n";

/// The call's live events, as server-sent events, until the token expires or the proxy stops.
///
/// Event names: `recording` (a recording changed), `call` (the call's status changed),
/// `pause` (a pause began), `resume` (a pause ended) and `resync` (events were missed:
/// refetch). Each event's data is a `LiveEvent` (its `type` is the event's name); each but
/// `resync` has an `id` to resume from. Keep-alive comments every `SSE_HEARTBEAT_MS`.
#[utoipa::path(
    get,
    path = "/calls/{call_id}/events",
    tag = "calls",
    operation_id = "streamCallEvents",
    params(crate::openapi::CallPath, crate::openapi::EventsParams),
    security(("agent_token" = []), ("access_token" = [])),
    responses(
        (
            status = 200,
            description = "Server-sent events, each one's `data` a `LiveEvent` and its name \
                that event's `type`: `recording` (`RecordingEvent`), `call` (`CallEvent`), \
                `pause` (`PauseEvent`), `resume` (`ResumeEvent`), `resync` (`ResyncEvent`)",
            content_type = "text/event-stream",
            body = LiveEvent,
        ),
        crate::openapi::EventsRefusals,
    )
)]
pub async fn stream(
    State(hub): State<Arc<Hub>>,
    Extension(agent): Extension<Agent>,
    ClientAddr(peer): ClientAddr,
    CallId(call_id): CallId,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let owner = match (agent.is_anonymous(), peer) {
        (true, Some(addr)) => format!("addr:{}", addr.ip()),
        _ => format!("agent:{}", agent.name),
    };
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Subscribed before the backlog is read, so nothing falls between them; what both
    // deliver is skipped from the live side by its sequence number.
    let sub = hub.subscribe(&call_id, &owner)?;
    let backlog = match last_seen {
        None => Some(vec![]),
        Some(last) => hub.backlog(&call_id, last).await?,
    };
    // What the client has (its Last-Event-ID, or the backlog just given) is not sent again;
    // after a resync it starts afresh, so nothing live is skipped.
    let (first, skip_upto): (Vec<Bytes>, u64) = match backlog {
        Some(events) => (
            events.iter().map(Stamped::frame).collect(),
            events.last().map_or(last_seen.unwrap_or(0), |e| e.id),
        ),
        None => (vec![Stamped::resync(&call_id).frame()], 0),
    };
    // The stream ends when the token does: a widget reconnects with a fresh one. Boxed, so
    // a stream without an expiry (no tokens) carries no timer at all.
    let expires = agent.expires_at.map(|exp| {
        let left = Duration::from_secs(exp.saturating_sub(unix_now()));
        Box::pin(tokio::time::sleep(left))
    });
    let live = Live {
        first: first.into_iter(),
        sub,
        skip_upto,
        expires,
    };
    let frames = stream::unfold(live, |mut live| async move {
        let frame = live.next().await?;
        Some((Ok::<_, Infallible>(frame), live))
    });
    let mut resp = Response::new(Body::from_stream(frames));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// An open stream: what it sends first (a backlog, or a resync), then its call's channel.
struct Live {
    first: std::vec::IntoIter<Bytes>,
    sub: Subscription,
    /// Live events up to this ID were in the backlog (or the client has them).
    skip_upto: u64,
    expires: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Live {
    /// The next frame to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(frame) = self.first.next() {
            return Some(frame);
        }
        loop {
            let received = match &mut self.expires {
                None => self.sub.rx.recv().await,
                Some(expiry) => tokio::select! {
                    r = self.sub.rx.recv() => r,
                    _ = expiry.as_mut() => return None,
                },
            };
            return match received {
                Ok(Note::Event(s)) if !s.is_resync() && s.id <= self.skip_upto => continue,
                Ok(Note::Event(s)) => Some(s.frame()),
                Ok(Note::Heartbeat) => Some(Bytes::from_static(HEARTBEAT)),
                Ok(Note::Close) | Err(RecvError::Closed) => None,
                Err(RecvError::Lagged(missed)) => {
                    let call_id = &self.sub.call_id;
                    tracing::debug!(%call_id, missed, "slow event stream told to resync");
                    Some(Stamped::resync(call_id).frame())
                }
            };
        }
    }
}
