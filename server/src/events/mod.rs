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

mod frame;
mod listen;
mod sse;
mod watch;

use frame::Note;
pub use frame::Stamped;
pub use watch::Subscription;
use watch::{heartbeats, Calls};

// The handler and its OpenAPI description (`routes!` finds them side by side).
pub use sse::{__path_stream, stream};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use minivoice_shared::LiveEvent;

use crate::error::AppError;
use crate::failures;
use crate::store::Store;
use crate::telemetry;

/// Most events replayed on a resume; a longer gap gets `resync` (refetch everything).
const MAX_BACKLOG: i64 = 100;
/// The stream of every call's events, for supervisors (`GET /api/events`): stored and
/// resumed like a call's, under a name no call ID can have.
pub const EVERY_CALL: &str = "*";

/// How many streams may be open.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_streams: usize,
    pub per_agent: usize,
    pub heartbeat: Duration,
}

pub struct Hub {
    store: Store,
    calls: Mutex<Calls>,
    /// Flips to `true` at shutdown: open streams end, so a graceful shutdown is not held
    /// open by widgets that would listen forever (they reconnect to the next instance).
    closing: tokio::sync::watch::Sender<bool>,
    limits: Limits,
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
}

#[cfg(test)]
mod tests;
