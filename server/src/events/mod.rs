//! Live updates: one hub that every change is published to, and the server-sent-events route
//! that streams a call's changes to each widget on it.
//!
//! Each call has a bounded broadcast channel and a short ring of recent events. Publishing
//! never waits on a subscriber: a client that stops reading falls behind, loses its place and
//! is told to resync, while everyone else carries on.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use minivoice_shared::LiveEvent;
use tokio::sync::broadcast;

use crate::error::AppError;
use crate::extract::CallId;

/// Per-call buffer of a subscriber that is not keeping up.
const CHANNEL_CAPACITY: usize = 64;
/// Events kept per call for `Last-Event-ID` resumes.
const RECENT: usize = 100;

#[derive(Clone, Debug)]
pub struct Stamped {
    pub id: u64,
    pub event: LiveEvent,
}

struct CallChannel {
    tx: broadcast::Sender<Stamped>,
    recent: VecDeque<Stamped>,
}

pub struct Hub {
    next_id: AtomicU64,
    calls: Mutex<HashMap<String, CallChannel>>,
    streams: Arc<()>,
    /// Flips to `true` at shutdown: open streams end, so a graceful shutdown is not held
    /// open by widgets that would listen forever (they reconnect to the next instance).
    closing: tokio::sync::watch::Sender<bool>,
    max_streams: usize,
    heartbeat: Duration,
}

impl Hub {
    pub fn new(max_streams: usize, heartbeat: Duration) -> Self {
        Hub {
            // Start from the clock so IDs stay increasing across a restart of the proxy, and
            // an old Last-Event-ID is never mistaken for a recent one.
            next_id: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_millis() as u64 * 1000),
            ),
            calls: Mutex::new(HashMap::new()),
            streams: Arc::new(()),
            closing: tokio::sync::watch::channel(false).0,
            max_streams,
            heartbeat,
        }
    }

    pub fn publish(&self, call_id: &str, event: LiveEvent) {
        let mut calls = self.calls.lock().unwrap();
        let chan = channel(&mut calls, call_id);
        let stamped = Stamped {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            event,
        };
        if chan.recent.len() == RECENT {
            chan.recent.pop_front();
        }
        chan.recent.push_back(stamped.clone());
        // No receivers is fine: nobody is watching this call right now.
        let _ = chan.tx.send(stamped);
    }

    /// Events after `last_seen` still held (`None` if the gap is too old to fill), and a
    /// receiver for what comes next, taken together so nothing falls between them.
    pub fn subscribe(
        &self,
        call_id: &str,
        last_seen: Option<u64>,
    ) -> (Option<Vec<Stamped>>, broadcast::Receiver<Stamped>) {
        let mut calls = self.calls.lock().unwrap();
        let chan = channel(&mut calls, call_id);
        let backlog = match last_seen {
            None => Some(vec![]),
            Some(last) => {
                let covered = chan.recent.front().is_none_or(|first| first.id <= last + 1);
                covered.then(|| {
                    chan.recent
                        .iter()
                        .filter(|e| e.id > last)
                        .cloned()
                        .collect()
                })
            }
        };
        (backlog, chan.tx.subscribe())
    }

    /// Ends every open stream (at shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn open_streams(&self) -> usize {
        Arc::strong_count(&self.streams) - 1
    }
}

fn channel<'a>(calls: &'a mut HashMap<String, CallChannel>, call_id: &str) -> &'a mut CallChannel {
    calls
        .entry(call_id.to_owned())
        .or_insert_with(|| CallChannel {
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            recent: VecDeque::with_capacity(RECENT),
        })
}

fn to_sse(s: &Stamped) -> Event {
    Event::default()
        .id(s.id.to_string())
        .event(s.event.name())
        .data(serde_json::to_string(&s.event).unwrap_or_default())
}

/// `GET /api/calls/{call_id}/events`
pub async fn stream(
    State(hub): State<Arc<Hub>>,
    CallId(call_id): CallId,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    if hub.open_streams() >= hub.max_streams {
        return Err(AppError::EventsUnavailable);
    }
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (backlog, rx) = hub.subscribe(&call_id, last_seen);
    let resync = LiveEvent::Resync {
        call_id: call_id.clone(),
    };
    let first: Vec<Event> = match backlog {
        Some(events) => events.iter().map(to_sse).collect(),
        None => vec![Event::default()
            .event("resync")
            .data(serde_json::to_string(&resync).unwrap_or_default())],
    };
    let guard = hub.streams.clone();
    let closing = hub.closing.subscribe();
    let live = stream::unfold(
        (rx, guard, call_id, closing),
        |(mut rx, guard, call_id, mut closing)| async move {
            if *closing.borrow() {
                return None;
            }
            let received = tokio::select! {
                r = rx.recv() => r,
                _ = closing.wait_for(|c| *c) => return None,
            };
            let event = match received {
                Ok(s) => to_sse(&s),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(%call_id, missed, "slow event stream told to resync");
                    let e = LiveEvent::Resync {
                        call_id: call_id.clone(),
                    };
                    Event::default()
                        .event("resync")
                        .data(serde_json::to_string(&e).unwrap_or_default())
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((Ok(event), (rx, guard, call_id, closing)))
        },
    );
    let stream = stream::iter(first.into_iter().map(Ok)).chain(live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(hub.heartbeat)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(status: &str) -> LiveEvent {
        LiveEvent::Call {
            call_id: "c".into(),
            status: status.into(),
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_never_reads_does_not_hold_up_publishing_or_others() {
        let hub = Hub::new(10, Duration::from_secs(15));
        let (_, _stuck) = hub.subscribe("c", None);
        let (_, mut live) = hub.subscribe("c", None);
        let t = std::time::Instant::now();
        for i in 0..10_000 {
            hub.publish("c", call(&format!("s{i}")));
            if i % 50 == 0 {
                // The reading subscriber keeps up.
                while let Ok(e) = live.try_recv() {
                    let _ = e;
                }
            }
        }
        assert!(t.elapsed() < Duration::from_secs(1), "publishing blocked");
        let mut last = None;
        while let Ok(e) = live.try_recv() {
            last = Some(e.event);
        }
        assert_eq!(last, Some(call("s9999")));
    }

    #[tokio::test]
    async fn resume_from_last_event_id() {
        let hub = Hub::new(10, Duration::from_secs(15));
        hub.publish("c", call("a"));
        hub.publish("c", call("b"));
        hub.publish("c", call("c"));
        let (all, _) = hub.subscribe("c", None);
        assert!(
            all.unwrap().is_empty(),
            "a fresh subscriber starts from now"
        );
        let first_id = hub.calls.lock().unwrap()["c"].recent[0].id;
        let (backlog, _) = hub.subscribe("c", Some(first_id));
        let got: Vec<_> = backlog.unwrap().into_iter().map(|s| s.event).collect();
        assert_eq!(got, [call("b"), call("c")]);
        for i in 0..(RECENT + 5) {
            hub.publish("c", call(&format!("x{i}")));
        }
        let (gap, _) = hub.subscribe("c", Some(first_id));
        assert!(gap.is_none(), "too old to fill: resync");
    }
}
