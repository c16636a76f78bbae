//! Live updates: one hub that every change is published to, and the server-sent-events route
//! that streams a call's changes to each widget on it.
//!
//! Each call has a bounded broadcast channel and a short ring of recent events. Publishing
//! never waits on a subscriber: a client that stops reading falls behind, loses its place and
//! is told to resync, while everyone else carries on.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use lru::LruCache;
use minivoice_shared::LiveEvent;
use tokio::sync::broadcast;

use crate::auth::{unix_now, Agent};
use crate::error::AppError;
use crate::extract::CallId;
use crate::serve::ClientAddr;

/// Per-call buffer of a subscriber that is not keeping up.
const CHANNEL_CAPACITY: usize = 64;
/// Events kept per call for `Last-Event-ID` resumes.
const RECENT: usize = 100;

#[derive(Clone, Debug)]
pub struct Stamped {
    pub id: u64,
    pub event: LiveEvent,
}

/// How many streams may be open, and how much of the past is kept for resumes.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_streams: usize,
    pub per_agent: usize,
    /// Calls without an open stream whose recent events are kept (least recently used go).
    pub idle_calls: usize,
    pub heartbeat: Duration,
}

/// A call somebody is watching: its channel and recent events.
struct Watched {
    tx: broadcast::Sender<Stamped>,
    recent: VecDeque<Stamped>,
}

/// Everything per call and per stream, under one lock so that counting a stream and
/// subscribing it are one step. Memory is bounded: a watched call exists only while a
/// stream is open (streams are capped), and an unwatched one keeps only its recent events,
/// for at most `idle_calls` calls.
struct Calls {
    watched: HashMap<String, Watched>,
    idle: LruCache<String, VecDeque<Stamped>>,
    streams: usize,
    per_agent: HashMap<String, usize>,
}

pub struct Hub {
    next_id: AtomicU64,
    calls: Mutex<Calls>,
    /// Flips to `true` at shutdown: open streams end, so a graceful shutdown is not held
    /// open by widgets that would listen forever (they reconnect to the next instance).
    closing: tokio::sync::watch::Sender<bool>,
    limits: Limits,
}

/// An open stream's place in the hub; dropping it gives the place back.
pub struct Subscription {
    hub: Arc<Hub>,
    call_id: String,
    owner: String,
    /// Events after the client's `Last-Event-ID`; `None` when too old to fill (resync).
    pub backlog: Option<Vec<Stamped>>,
    pub rx: broadcast::Receiver<Stamped>,
}

impl Hub {
    pub fn new(limits: Limits) -> Self {
        Hub {
            // Start from the clock so IDs stay increasing across a restart of the proxy, and
            // an old Last-Event-ID is never mistaken for a recent one.
            next_id: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_millis() as u64 * 1000),
            ),
            calls: Mutex::new(Calls {
                watched: HashMap::new(),
                idle: LruCache::new(NonZeroUsize::new(limits.idle_calls.max(1)).unwrap()),
                streams: 0,
                per_agent: HashMap::new(),
            }),
            closing: tokio::sync::watch::channel(false).0,
            limits,
        }
    }

    pub fn publish(&self, call_id: &str, event: LiveEvent) {
        let stamped = Stamped {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            event,
        };
        let mut calls = self.calls.lock().unwrap();
        if let Some(w) = calls.watched.get_mut(call_id) {
            remember(&mut w.recent, stamped.clone());
            // A lagging receiver is told to resync by the stream; nobody else waits.
            let _ = w.tx.send(stamped);
        } else if let Some(recent) = calls.idle.get_mut(call_id) {
            remember(recent, stamped);
        } else {
            calls
                .idle
                .push(call_id.to_owned(), VecDeque::from([stamped]));
        }
    }

    /// Takes a stream's place for `owner` (an agent, or a client address when anonymous),
    /// with the events after `last_seen` and a receiver for what comes next, together so
    /// nothing falls between them.
    pub fn subscribe(
        self: &Arc<Self>,
        call_id: &str,
        last_seen: Option<u64>,
        owner: &str,
    ) -> Result<Subscription, AppError> {
        let mut guard = self.calls.lock().unwrap();
        let calls = &mut *guard;
        if calls.streams >= self.limits.max_streams {
            return Err(AppError::EventsUnavailable);
        }
        let held = calls.per_agent.get(owner).copied().unwrap_or(0);
        if held >= self.limits.per_agent {
            return Err(AppError::TooManyStreams);
        }
        calls.streams += 1;
        *calls.per_agent.entry(owner.to_owned()).or_default() += 1;
        let watched = calls
            .watched
            .entry(call_id.to_owned())
            .or_insert_with(|| Watched {
                tx: broadcast::channel(CHANNEL_CAPACITY).0,
                recent: calls.idle.pop(call_id).unwrap_or_default(),
            });
        let next = self.next_id.load(Ordering::Relaxed);
        let backlog = match last_seen {
            None => Some(vec![]),
            // An ID we never issued (a client's garbage, or another deployment's): resync.
            Some(last) if last >= next => None,
            Some(last) => {
                let covered = watched
                    .recent
                    .front()
                    .is_some_and(|first| first.id <= last.saturating_add(1));
                covered.then(|| {
                    watched
                        .recent
                        .iter()
                        .filter(|e| e.id > last)
                        .cloned()
                        .collect()
                })
            }
        };
        Ok(Subscription {
            hub: self.clone(),
            call_id: call_id.to_owned(),
            owner: owner.to_owned(),
            backlog,
            rx: watched.tx.subscribe(),
        })
    }

    /// Ends every open stream (at shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn open_streams(&self) -> usize {
        self.calls.lock().unwrap().streams
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut guard = self.hub.calls.lock().unwrap();
        let calls = &mut *guard;
        calls.streams -= 1;
        if let Some(n) = calls.per_agent.get_mut(&self.owner) {
            *n -= 1;
            if *n == 0 {
                calls.per_agent.remove(&self.owner);
            }
        }
        // Our receiver is still alive here: one means nobody else watches this call.
        let last = calls
            .watched
            .get(&self.call_id)
            .is_some_and(|w| w.tx.receiver_count() <= 1);
        if last {
            let w = calls.watched.remove(&self.call_id).unwrap();
            if !w.recent.is_empty() {
                calls.idle.push(self.call_id.clone(), w.recent);
            }
        }
    }
}

fn remember(recent: &mut VecDeque<Stamped>, stamped: Stamped) {
    if recent.len() == RECENT {
        recent.pop_front();
    }
    recent.push_back(stamped);
}

fn to_sse(s: &Stamped) -> Event {
    Event::default()
        .id(s.id.to_string())
        .event(s.event.name())
        .data(serde_json::to_string(&s.event).unwrap_or_default())
}

fn resync(call_id: &str) -> Event {
    let e = LiveEvent::Resync {
        call_id: call_id.to_owned(),
    };
    Event::default()
        .event("resync")
        .data(serde_json::to_string(&e).unwrap_or_default())
}

/// `GET /api/calls/{call_id}/events`
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
    let mut sub = hub.subscribe(&call_id, last_seen, &owner)?;
    let first: Vec<Event> = match sub.backlog.take() {
        Some(events) => events.iter().map(to_sse).collect(),
        None => vec![resync(&call_id)],
    };
    // The stream ends when the token does: a widget reconnects with a fresh one.
    let expires = agent.expires_at.map(|exp| {
        tokio::time::Instant::now() + Duration::from_secs(exp.saturating_sub(unix_now()))
    });
    let closing = hub.closing.subscribe();
    let live = stream::unfold(
        (sub, call_id, closing),
        move |(mut sub, call_id, mut closing)| async move {
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
                Ok(s) => to_sse(&s),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(%call_id, missed, "slow event stream told to resync");
                    resync(&call_id)
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((Ok(event), (sub, call_id, closing)))
        },
    );
    let stream = stream::iter(first.into_iter().map(Ok)).chain(live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(hub.limits.heartbeat)))
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

    fn hub(idle_calls: usize) -> Arc<Hub> {
        Arc::new(Hub::new(Limits {
            max_streams: 10,
            per_agent: 5,
            idle_calls,
            heartbeat: Duration::from_secs(15),
        }))
    }

    #[tokio::test]
    async fn a_subscriber_that_never_reads_does_not_hold_up_publishing_or_others() {
        let hub = hub(10);
        let _stuck = hub.subscribe("c", None, "a").unwrap();
        let mut live = hub.subscribe("c", None, "b").unwrap();
        let t = std::time::Instant::now();
        for i in 0..10_000 {
            hub.publish("c", call(&format!("s{i}")));
            if i % 50 == 0 {
                // The reading subscriber keeps up.
                while let Ok(e) = live.rx.try_recv() {
                    let _ = e;
                }
            }
        }
        assert!(t.elapsed() < Duration::from_secs(1), "publishing blocked");
        let mut last = None;
        while let Ok(e) = live.rx.try_recv() {
            last = Some(e.event);
        }
        assert_eq!(last, Some(call("s9999")));
    }

    #[tokio::test]
    async fn resume_from_last_event_id() {
        let hub = hub(10);
        hub.publish("c", call("a"));
        hub.publish("c", call("b"));
        hub.publish("c", call("c"));
        let all = hub.subscribe("c", None, "x").unwrap();
        assert!(
            all.backlog.as_ref().unwrap().is_empty(),
            "a fresh subscriber starts from now"
        );
        let first_id = hub.calls.lock().unwrap().watched["c"].recent[0].id;
        let resumed = hub.subscribe("c", Some(first_id), "x").unwrap();
        let got: Vec<_> = resumed
            .backlog
            .clone()
            .unwrap()
            .into_iter()
            .map(|s| s.event)
            .collect();
        assert_eq!(got, [call("b"), call("c")]);
        for i in 0..(RECENT + 5) {
            hub.publish("c", call(&format!("x{i}")));
        }
        let gap = hub.subscribe("c", Some(first_id), "x").unwrap();
        assert!(gap.backlog.is_none(), "too old to fill: resync");
        let future = hub.subscribe("c", Some(u64::MAX), "x").unwrap();
        assert!(future.backlog.is_none(), "an ID never issued: resync");
    }

    #[tokio::test]
    async fn unwatched_calls_are_bounded_and_unseen_ones_hold_nothing() {
        let hub = hub(3);
        for i in 0..1000 {
            let sub = hub.subscribe(&format!("c{i}"), None, "a").unwrap();
            drop(sub);
        }
        assert_eq!(
            hub.calls.lock().unwrap().idle.len(),
            0,
            "no events: nothing kept"
        );
        for i in 0..1000 {
            hub.publish(&format!("c{i}"), call("done"));
        }
        let calls = hub.calls.lock().unwrap();
        assert_eq!((calls.idle.len(), calls.watched.len()), (3, 0));
        assert!(calls.idle.contains("c999") && !calls.idle.contains("c0"));
        assert_eq!((calls.streams, calls.per_agent.len()), (0, 0));
    }

    #[tokio::test]
    async fn a_resume_after_eviction_is_told_to_resync() {
        let hub = hub(1);
        hub.publish("old", call("a"));
        let id = hub.calls.lock().unwrap().idle.peek("old").unwrap()[0].id;
        hub.publish("newer", call("b"));
        let sub = hub.subscribe("old", Some(id), "a").unwrap();
        assert!(sub.backlog.is_none());
    }

    #[tokio::test]
    async fn stream_caps_count_per_owner_and_in_total() {
        let hub = hub(10);
        let mine: Vec<_> = (0..5)
            .map(|i| hub.subscribe(&format!("c{i}"), None, "alice").unwrap())
            .collect();
        assert!(matches!(
            hub.subscribe("c9", None, "alice"),
            Err(AppError::TooManyStreams)
        ));
        let theirs: Vec<_> = (0..5)
            .map(|_| hub.subscribe("c0", None, "bob").unwrap())
            .collect();
        assert!(matches!(
            hub.subscribe("c0", None, "carol"),
            Err(AppError::EventsUnavailable)
        ));
        drop(mine);
        assert_eq!(hub.open_streams(), 5);
        assert!(hub.subscribe("c1", None, "alice").is_ok());
        drop(theirs);
        assert_eq!(hub.open_streams(), 0);
    }
}
