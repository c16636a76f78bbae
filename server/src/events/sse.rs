//! `GET /api/calls/{call_id}/events`: a call's live events as server-sent events, resumed from
//! the store after a `Last-Event-ID`, with heartbeats, and ended at shutdown or when the token
//! expires.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use minivoice_shared::LiveEvent;
use tokio::sync::broadcast;

use super::{Hub, Stamped};
use crate::auth::{unix_now, Agent};
use crate::error::AppError;
use crate::extract::CallId;
use crate::serve::ClientAddr;

fn to_sse(s: &Stamped) -> Event {
    let event = Event::default().event(s.name).data(&*s.data);
    // A resync has no place in the sequence: it must not move the client's Last-Event-ID.
    if s.is_resync() {
        event
    } else {
        event.id(s.id.to_string())
    }
}

fn resync(call_id: &str) -> Event {
    let resync = LiveEvent::Resync {
        call_id: call_id.to_owned(),
    };
    to_sse(&Stamped::new(0, &resync))
}

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
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
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
    let (first, skip_upto): (Vec<Event>, u64) = match backlog {
        Some(events) => (
            events.iter().map(to_sse).collect(),
            events.last().map_or(last_seen.unwrap_or(0), |e| e.id),
        ),
        None => (vec![resync(&call_id)], 0),
    };
    // The stream ends when the token does: a widget reconnects with a fresh one.
    let expires = agent.expires_at.map(|exp| {
        tokio::time::Instant::now() + Duration::from_secs(exp.saturating_sub(unix_now()))
    });
    let closing = hub.closing.subscribe();
    let live = stream::unfold(
        (sub, call_id, closing),
        move |(mut sub, call_id, mut closing)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let expired = async {
                    match expires {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                let received = tokio::select! {
                    r = sub.rx.recv() => r,
                    _ = closing.wait_for(|c| *c) => return None,
                    _ = expired => return None,
                };
                let event = match received {
                    Ok(s) if s.id != 0 && s.id <= skip_upto => continue,
                    Ok(s) => to_sse(&s),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(%call_id, missed, "slow event stream told to resync");
                        resync(&call_id)
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((Ok(event), (sub, call_id, closing)));
            }
        },
    );
    let stream = stream::iter(first.into_iter().map(Ok)).chain(live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(hub.limits.heartbeat)))
}
