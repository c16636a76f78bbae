//! Live updates: every change is stored as an event of its call (so a stream resumes from the
//! store on any replica), then fanned out to the streams open on that call. On SQLite (one
//! process) the publisher fans out directly; on PostgreSQL each event is announced with
//! `NOTIFY` and every replica, this one included, fans it out to its own streams.
//!
//! Each watched call has a bounded broadcast channel. Publishing never waits on a subscriber:
//! a client that stops reading falls behind, loses its place and is told to resync, while
//! everyone else carries on. Memory is bounded: a call has a channel only while a stream is
//! open on it, and streams are capped in total and per agent.

mod listen;
mod sse;

// The handler and its OpenAPI description (`routes!` finds them side by side).
pub use sse::{__path_stream, stream};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minivoice_shared::LiveEvent;
use tokio::sync::broadcast;

use crate::error::AppError;
use crate::failures;
use crate::store::Store;
use crate::telemetry;

/// Per-call buffer of a subscriber that is not keeping up.
const CHANNEL_CAPACITY: usize = 64;
/// Most events replayed on a resume; a longer gap gets `resync` (refetch everything).
const MAX_BACKLOG: i64 = 100;
/// The stream of every call's events, for supervisors (`GET /api/events`): stored and
/// resumed like a call's, under a name no call ID can have.
pub const EVERY_CALL: &str = "*";

/// An event ready to send: its place in its call's sequence (the SSE `id`; 0 for a resync,
/// which has none), its SSE name and its JSON. Rendered once however many streams send it, and
/// shared rather than copied: the broadcast channel clones it for every receiver, and with
/// thousands of widgets on a call, serialising per stream was most of a delivery's cost.
#[derive(Clone, Debug)]
pub struct Stamped {
    pub id: u64,
    pub name: &'static str,
    pub data: Arc<str>,
}

impl Stamped {
    pub fn new(id: u64, event: &LiveEvent) -> Stamped {
        let data = serde_json::to_string(event).unwrap_or_default();
        Stamped::rendered(id, event, data)
    }

    /// With the JSON already at hand (as stored), so it is not written again.
    fn rendered(id: u64, event: &LiveEvent, data: String) -> Stamped {
        Stamped {
            id,
            name: event.name(),
            data: data.into(),
        }
    }

    /// From the store's JSON; `None` for a body that is not an event.
    fn stored(id: u64, body: String) -> Option<Stamped> {
        let event: LiveEvent = serde_json::from_str(&body).ok()?;
        Some(Stamped::rendered(id, &event, body))
    }

    pub fn is_resync(&self) -> bool {
        self.id == 0
    }
}

/// How many streams may be open.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_streams: usize,
    pub per_agent: usize,
    pub heartbeat: Duration,
}

/// Everything per call and per stream, under one lock so that counting a stream and
/// subscribing it are one step.
#[derive(Default)]
struct Calls {
    watched: HashMap<String, broadcast::Sender<Stamped>>,
    streams: usize,
    per_agent: HashMap<String, usize>,
}

pub struct Hub {
    store: Store,
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
    pub rx: broadcast::Receiver<Stamped>,
}

impl Hub {
    /// The hub; on PostgreSQL it is listening for every replica's events before it returns,
    /// so a replica that serves misses none.
    pub async fn new(store: Store, limits: Limits) -> Result<Arc<Self>, sqlx::Error> {
        let listening = match store.postgres() {
            Some(pool) => Some((pool.clone(), listen::listener(pool).await?)),
            None => None,
        };
        let hub = Arc::new(Hub {
            store,
            calls: Mutex::default(),
            closing: tokio::sync::watch::channel(false).0,
            limits,
        });
        telemetry::streams_max(limits.max_streams);
        telemetry::streams_open(0);
        if let Some((pool, listener)) = listening {
            tokio::spawn(listen::announced(Arc::downgrade(&hub), pool, listener));
        }
        Ok(hub)
    }

    /// Stores the event and announces it to every stream on the call, and to supervisors'
    /// stream of every call ([`EVERY_CALL`]), on every replica. A store failure is logged:
    /// widgets catch up at their next event or poll.
    pub async fn publish(&self, call_id: &str, event: LiveEvent) {
        let body = serde_json::to_string(&event).unwrap_or_default();
        for stream in [call_id, EVERY_CALL] {
            match self.store.append_event(stream, &body).await {
                // PostgreSQL's NOTIFY brings it back to this replica too.
                Ok(_) if self.store.is_postgres() => {}
                Ok(seq) => {
                    self.deliver(stream, Stamped::rendered(seq as u64, &event, body.clone()))
                }
                Err(e) => tracing::error!(error = %e, %call_id, "live event not stored"),
            }
        }
    }

    /// Hands an event to this process's streams on the call (if any).
    fn deliver(&self, call_id: &str, event: Stamped) {
        let calls = self.calls.lock().unwrap();
        if let Some(tx) = calls.watched.get(call_id) {
            // A lagging receiver is told to resync by its stream; nobody else waits.
            let _ = tx.send(event);
        }
    }

    fn is_watched(&self, call_id: &str) -> bool {
        self.calls.lock().unwrap().watched.contains_key(call_id)
    }

    /// Tells every open stream to refetch (events may have been missed).
    fn resync_all(&self) {
        let calls = self.calls.lock().unwrap();
        for (call_id, tx) in &calls.watched {
            let resync = LiveEvent::Resync {
                call_id: call_id.clone(),
            };
            let _ = tx.send(Stamped::new(0, &resync));
        }
    }

    /// Takes a stream's place for `owner` (an agent, or a client address when anonymous).
    pub fn subscribe(
        self: &Arc<Self>,
        call_id: &str,
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
        telemetry::streams_open(calls.streams);
        *calls.per_agent.entry(owner.to_owned()).or_default() += 1;
        let tx = calls
            .watched
            .entry(call_id.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0);
        Ok(Subscription {
            hub: self.clone(),
            call_id: call_id.to_owned(),
            owner: owner.to_owned(),
            rx: tx.subscribe(),
        })
    }

    /// The call's events after `last_seen` (oldest first), or `None` when they cannot all be
    /// given: an ID never issued, events already dropped, or too many.
    pub async fn backlog(
        &self,
        call_id: &str,
        last_seen: u64,
    ) -> Result<Option<Vec<Stamped>>, AppError> {
        let unavailable = |e| failures::store("events", e);
        let last = i64::try_from(last_seen).unwrap_or(i64::MAX);
        let (issued, oldest) = self
            .store
            .event_bounds(call_id)
            .await
            .map_err(unavailable)?;
        let issued = issued.unwrap_or(0);
        if last > issued {
            return Ok(None);
        }
        if last == issued {
            return Ok(Some(vec![]));
        }
        if oldest.is_none_or(|first| first > last.saturating_add(1)) {
            return Ok(None);
        }
        let events = self
            .store
            .events_after(call_id, last, MAX_BACKLOG + 1)
            .await
            .map_err(unavailable)?;
        if events.len() as i64 > MAX_BACKLOG {
            return Ok(None);
        }
        Ok(Some(
            events
                .into_iter()
                .filter_map(|e| Stamped::stored(e.seq as u64, e.body))
                .collect(),
        ))
    }

    /// Flips to `true` at shutdown, for background work that should stop with the server.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
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
        telemetry::streams_open(calls.streams);
        if let Some(n) = calls.per_agent.get_mut(&self.owner) {
            *n -= 1;
            if *n == 0 {
                calls.per_agent.remove(&self.owner);
            }
        }
        // Our receiver is still alive here: one means nobody else watches this call.
        if calls
            .watched
            .get(&self.call_id)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            calls.watched.remove(&self.call_id);
        }
    }
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

    async fn hub() -> Arc<Hub> {
        let store = Store::open("sqlite::memory:", Default::default())
            .await
            .unwrap();
        Hub::new(
            store,
            Limits {
                max_streams: 10,
                per_agent: 5,
                heartbeat: Duration::from_secs(15),
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_subscriber_that_never_reads_does_not_hold_up_publishing_or_others() {
        let hub = hub().await;
        let _stuck = hub.subscribe("c", "a").unwrap();
        let mut live = hub.subscribe("c", "b").unwrap();
        let t = std::time::Instant::now();
        for i in 0..2_000 {
            hub.publish("c", call(&format!("s{i}"))).await;
            if i % 50 == 0 {
                // The reading subscriber keeps up.
                while let Ok(e) = live.rx.try_recv() {
                    let _ = e;
                }
            }
        }
        assert!(t.elapsed() < Duration::from_secs(5), "publishing blocked");
        let mut last = None;
        while let Ok(e) = live.rx.try_recv() {
            last = serde_json::from_str::<LiveEvent>(&e.data).ok();
        }
        assert_eq!(last, Some(call("s1999")));
    }

    #[tokio::test]
    async fn resume_from_last_event_id() {
        let hub = hub().await;
        hub.publish("c", call("a")).await;
        hub.publish("c", call("b")).await;
        hub.publish("c", call("c")).await;
        let got: Vec<_> = hub
            .backlog("c", 1)
            .await
            .unwrap()
            .unwrap()
            .into_iter()
            .filter_map(|s| serde_json::from_str::<LiveEvent>(&s.data).ok())
            .collect();
        assert_eq!(got, [call("b"), call("c")]);
        assert_eq!(hub.backlog("c", 3).await.unwrap().unwrap().len(), 0);
        for i in 0..(MAX_BACKLOG + 5) {
            hub.publish("c", call(&format!("x{i}"))).await;
        }
        assert!(
            hub.backlog("c", 1).await.unwrap().is_none(),
            "too long a gap: resync"
        );
        assert!(
            hub.backlog("c", u64::MAX).await.unwrap().is_none(),
            "never issued: resync"
        );
        assert!(hub.backlog("nobody", 7).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn unwatched_calls_hold_nothing() {
        let hub = hub().await;
        for i in 0..1000 {
            drop(hub.subscribe(&format!("c{i}"), "a").unwrap());
            hub.publish(&format!("c{i}"), call("done")).await;
        }
        let calls = hub.calls.lock().unwrap();
        assert_eq!(
            (calls.watched.len(), calls.streams, calls.per_agent.len()),
            (0, 0, 0)
        );
    }

    #[tokio::test]
    async fn stream_caps_count_per_owner_and_in_total() {
        let hub = hub().await;
        let mine: Vec<_> = (0..5)
            .map(|i| hub.subscribe(&format!("c{i}"), "alice").unwrap())
            .collect();
        assert!(matches!(
            hub.subscribe("c9", "alice"),
            Err(AppError::TooManyStreams)
        ));
        let theirs: Vec<_> = (0..5)
            .map(|_| hub.subscribe("c0", "bob").unwrap())
            .collect();
        assert!(matches!(
            hub.subscribe("c0", "carol"),
            Err(AppError::EventsUnavailable)
        ));
        drop(mine);
        assert_eq!(hub.open_streams(), 5);
        assert!(hub.subscribe("c1", "alice").is_ok());
        drop(theirs);
        assert_eq!(hub.open_streams(), 0);
    }
}
