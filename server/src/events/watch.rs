//! The watched calls and the streams open on them: a call's channel exists while a stream is
//! open on it; streams are counted in total and per owner under the same lock that
//! subscribes them; one timer sends every stream its heartbeats, a slice of the calls at a
//! time.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{Hub, Note, EVERY_CALL};
use crate::error::AppError;
use crate::telemetry;

/// Unread events a call's channel keeps for its slowest stream. Most calls have one or two
/// streams reading as events come, a few events a minute, so a handful is room enough; and
/// a contact centre's every agent has a call of its own, so this is paid per open stream
/// (64, as before, was about 4 KiB a stream). A stream that falls further behind (a client
/// that stopped reading) is told to resync, as with any capacity.
pub(super) const CALL_CAPACITY: usize = 16;
/// The every-call stream ([`EVERY_CALL`]) carries every call's events, hundreds a second in a
/// busy centre: one channel, so room costs little, and a supervisor's moment of slowness
/// should not mean a refetch of every call.
pub(super) const EVERY_CALL_CAPACITY: usize = 512;
/// Heartbeats go to a slice of the watched calls at a time, so thousands of streams do not
/// all write at the same instant: an event published then waits behind the slice's writes.
/// With 10,000 streams, 16 slices would be 625 writes at once (about 6 ms of two cores, at
/// ~10 µs a write on loopback); 256 make them about 40, for a scan of the watched calls every
/// `SSE_HEARTBEAT_MS` / 256 (60 ms by default).
pub(super) const HEARTBEAT_SLICES: u32 = 256;

/// Everything per call and per stream, under one lock so that counting a stream and
/// subscribing it are one step. Keys are shared with the subscriptions that hold them.
#[derive(Default)]
pub(super) struct Calls {
    pub(super) watched: HashMap<Arc<str>, Watched>,
    pub(super) streams: usize,
    pub(super) per_agent: HashMap<Arc<str>, usize>,
    /// The heartbeat slice the next watched call joins (round robin).
    next_slice: u32,
}

/// A watched call: its channel, and the heartbeat slice it belongs to.
pub(super) struct Watched {
    pub(super) tx: broadcast::Sender<Note>,
    slice: u32,
}

/// An open stream's place in the hub; dropping it gives the place back.
pub struct Subscription {
    hub: Arc<Hub>,
    pub(super) call_id: Arc<str>,
    owner: Arc<str>,
    pub(super) rx: broadcast::Receiver<Note>,
}

impl Hub {
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

    /// A keep-alive comment to the streams of the calls in `slice`.
    pub(super) fn heartbeat(&self, slice: u32) {
        let calls = self.calls.lock().unwrap();
        for w in calls.watched.values().filter(|w| w.slice == slice) {
            let _ = w.tx.send(Note::Heartbeat);
        }
    }

    pub fn open_streams(&self) -> usize {
        self.calls.lock().unwrap().streams
    }
}

/// Every `heartbeat`, each watched call's streams get a keep-alive comment: one timer for the
/// whole hub, each tick covering one slice of the calls, until the hub is gone or closing.
pub(super) async fn heartbeats(hub: Weak<Hub>, heartbeat: Duration) {
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
