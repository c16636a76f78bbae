//! Live updates: every change is stored as an event of its call (so a stream resumes from the
//! store on any replica), then fanned out to the streams open on that call. On SQLite (one
//! process) the publisher fans out directly; on PostgreSQL each event is announced with
//! `NOTIFY` and every replica, this one included, fans it out to its own streams.
//!
//! Each watched call has a bounded broadcast channel. Publishing never waits on a subscriber:
//! a client that stops reading falls behind, loses its place and is told to resync, while
//! everyone else carries on. Memory is bounded: a call has a channel only while a stream is
//! open on it, and streams are capped in total and per agent.
//!
//! A stream waits on its call's channel alone: the hub sends heartbeats and the shutdown
//! through it too, so an open stream holds no timer or shutdown watch of its own (with
//! thousands open, each stream's own timer and watch were memory and wake-ups for nothing).

mod listen;
mod sse;

// The handler and its OpenAPI description (`routes!` finds them side by side).
pub use sse::{__path_stream, stream};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::body::Bytes;
use minivoice_shared::LiveEvent;
use tokio::sync::broadcast;

use crate::error::AppError;
use crate::failures;
use crate::store::Store;
use crate::telemetry;

/// Unread events a call's channel keeps for its slowest stream. Most calls have one or two
/// streams reading as events come, a few events a minute, so a handful is room enough; and
/// a contact centre's every agent has a call of its own, so this is paid per open stream
/// (64, as before, was about 4 KiB a stream). A stream that falls further behind (a client
/// that stopped reading) is told to resync, as with any capacity.
const CALL_CAPACITY: usize = 16;
/// The every-call stream ([`EVERY_CALL`]) carries every call's events, hundreds a second in a
/// busy centre: one channel, so room costs little, and a supervisor's moment of slowness
/// should not mean a refetch of every call.
const EVERY_CALL_CAPACITY: usize = 512;
/// Most events replayed on a resume; a longer gap gets `resync` (refetch everything).
const MAX_BACKLOG: i64 = 100;
/// Heartbeats go to a slice of the watched calls at a time, so thousands of streams do not
/// all write at the same instant: an event published then waits behind the slice's writes.
/// With 10,000 streams, 16 slices would be 625 writes at once (about 6 ms of two cores, at
/// ~10 µs a write on loopback); 256 make them about 40, for a scan of the watched calls every
/// `SSE_HEARTBEAT_MS` / 256 (60 ms by default).
const HEARTBEAT_SLICES: u32 = 256;
/// The stream of every call's events, for supervisors (`GET /api/events`): stored and
/// resumed like a call's, under a name no call ID can have.
pub const EVERY_CALL: &str = "*";

/// An event ready to send: its place in its call's sequence (the SSE `id`; 0 for a resync,
/// which has none) and its whole SSE frame (`event:`, `data:`, `id:` lines). Rendered once
/// however many streams send it: every stream's body sends the same bytes, shared, so a
/// delivery to thousands of widgets copies and allocates nothing per widget.
#[derive(Debug)]
pub struct Stamped {
    pub id: u64,
    frame: Bytes,
}

impl Stamped {
    pub fn new(id: u64, event: &LiveEvent) -> Stamped {
        let data = serde_json::to_string(event).unwrap_or_default();
        Stamped::rendered(id, event.name(), &data)
    }

    /// With the JSON already at hand (as stored), so it is not written again.
    fn rendered(id: u64, name: &str, data: &str) -> Stamped {
        let mut frame = Vec::with_capacity(data.len() + name.len() + 32);
        frame.extend_from_slice(b"event: ");
        frame.extend_from_slice(name.as_bytes());
        // One `data:` line per line of JSON (compact JSON has none, but the format needs it).
        for line in data.split('\n') {
            frame.extend_from_slice(b"\ndata: ");
            frame.extend_from_slice(line.as_bytes());
        }
        // A resync has no place in the sequence: it must not move the client's Last-Event-ID.
        if id != 0 {
            frame.extend_from_slice(format!("\nid: {id}").as_bytes());
        }
        frame.extend_from_slice(b"\n\n");
        Stamped {
            id,
            frame: frame.into(),
        }
    }

    /// From the store's JSON; `None` for a body that is not an event.
    fn stored(id: u64, body: String) -> Option<Stamped> {
        let event: LiveEvent = serde_json::from_str(&body).ok()?;
        Some(Stamped::rendered(id, event.name(), &body))
    }

    /// Told to a stream whose client missed events: refetch.
    fn resync(call_id: &str) -> Stamped {
        let resync = LiveEvent::Resync {
            call_id: call_id.to_owned(),
        };
        Stamped::new(0, &resync)
    }

    pub fn is_resync(&self) -> bool {
        self.id == 0
    }

    /// The bytes to send (a shared reference, not a copy).
    pub fn frame(&self) -> Bytes {
        self.frame.clone()
    }
}

/// What a call's channel carries to its streams. Small (a pointer and a tag), since each
/// channel holds [`CALL_CAPACITY`] of them whether or not they are in use.
#[derive(Clone, Debug)]
enum Note {
    Event(Arc<Stamped>),
    /// Send a keep-alive comment.
    Heartbeat,
    /// The proxy is stopping: end the stream (the client reconnects to the next instance).
    Close,
}

/// How many streams may be open.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_streams: usize,
    pub per_agent: usize,
    pub heartbeat: Duration,
}

/// Everything per call and per stream, under one lock so that counting a stream and
/// subscribing it are one step. Keys are shared with the subscriptions that hold them.
#[derive(Default)]
struct Calls {
    watched: HashMap<Arc<str>, Watched>,
    streams: usize,
    per_agent: HashMap<Arc<str>, usize>,
    /// The heartbeat slice the next watched call joins (round robin).
    next_slice: u32,
}

/// A watched call: its channel, and the heartbeat slice it belongs to.
struct Watched {
    tx: broadcast::Sender<Note>,
    slice: u32,
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
    call_id: Arc<str>,
    owner: Arc<str>,
    rx: broadcast::Receiver<Note>,
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
        tokio::spawn(heartbeats(Arc::downgrade(&hub), limits.heartbeat));
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
                Ok(seq) => self.deliver(stream, Stamped::rendered(seq as u64, event.name(), &body)),
                Err(e) => tracing::error!(error = %e, %call_id, "live event not stored"),
            }
        }
    }

    /// Hands an event to this process's streams on the call (if any).
    fn deliver(&self, call_id: &str, event: Stamped) {
        let calls = self.calls.lock().unwrap();
        if let Some(w) = calls.watched.get(call_id) {
            // A lagging receiver is told to resync by its stream; nobody else waits.
            let _ = w.tx.send(Note::Event(Arc::new(event)));
        }
    }

    fn is_watched(&self, call_id: &str) -> bool {
        self.calls.lock().unwrap().watched.contains_key(call_id)
    }

    /// Tells every open stream to refetch (events may have been missed).
    fn resync_all(&self) {
        let calls = self.calls.lock().unwrap();
        for (call_id, w) in &calls.watched {
            let _ = w.tx.send(Note::Event(Arc::new(Stamped::resync(call_id))));
        }
    }

    /// A keep-alive comment to the streams of the calls in `slice`.
    fn heartbeat(&self, slice: u32) {
        let calls = self.calls.lock().unwrap();
        for w in calls.watched.values().filter(|w| w.slice == slice) {
            let _ = w.tx.send(Note::Heartbeat);
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
        // Checked under the lock `close` takes: a stream is either told to close or refused.
        if calls.streams >= self.limits.max_streams || *self.closing.borrow() {
            return Err(AppError::EventsUnavailable);
        }
        let held = calls.per_agent.get(owner).copied().unwrap_or(0);
        if held >= self.limits.per_agent {
            return Err(AppError::TooManyStreams);
        }
        calls.streams += 1;
        telemetry::streams_open(calls.streams);
        let owner = match calls.per_agent.get_key_value(owner) {
            Some((key, _)) => key.clone(),
            None => Arc::from(owner),
        };
        *calls.per_agent.entry(owner.clone()).or_default() += 1;
        let (call_id, rx) = match calls.watched.get_key_value(call_id) {
            Some((key, w)) => (key.clone(), w.tx.subscribe()),
            None => {
                let key: Arc<str> = Arc::from(call_id);
                let capacity = if call_id == EVERY_CALL {
                    EVERY_CALL_CAPACITY
                } else {
                    CALL_CAPACITY
                };
                let (tx, rx) = broadcast::channel(capacity);
                let slice = calls.next_slice;
                calls.next_slice = (slice + 1) % HEARTBEAT_SLICES;
                calls.watched.insert(key.clone(), Watched { tx, slice });
                (key, rx)
            }
        };
        Ok(Subscription {
            hub: self.clone(),
            call_id,
            owner,
            rx,
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

    /// Ends every open stream (at shutdown), and refuses new ones.
    pub fn close(&self) {
        let calls = self.calls.lock().unwrap();
        self.closing.send_replace(true);
        for w in calls.watched.values() {
            let _ = w.tx.send(Note::Close);
        }
    }

    pub fn open_streams(&self) -> usize {
        self.calls.lock().unwrap().streams
    }
}

/// Every `heartbeat`, each watched call's streams get a keep-alive comment: one timer for the
/// whole hub, each tick covering one slice of the calls, until the hub is gone or closing.
async fn heartbeats(hub: Weak<Hub>, heartbeat: Duration) {
    let mut tick = tokio::time::interval(heartbeat / HEARTBEAT_SLICES);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut slice = 0;
    loop {
        tick.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        if *hub.closing.borrow() {
            return;
        }
        hub.heartbeat(slice);
        slice = (slice + 1) % HEARTBEAT_SLICES;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut guard = self.hub.calls.lock().unwrap();
        let calls = &mut *guard;
        calls.streams -= 1;
        telemetry::streams_open(calls.streams);
        if let Some(n) = calls.per_agent.get_mut(&*self.owner) {
            *n -= 1;
            if *n == 0 {
                calls.per_agent.remove(&*self.owner);
            }
        }
        // Our receiver is still alive here: one means nobody else watches this call.
        if calls
            .watched
            .get(&*self.call_id)
            .is_some_and(|w| w.tx.receiver_count() <= 1)
        {
            calls.watched.remove(&*self.call_id);
        }
    }
}

#[cfg(test)]
mod tests;
