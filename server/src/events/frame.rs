//! What the hub hands its streams: each event's SSE frame, rendered once, and the notes a
//! call's channel carries.

use std::sync::Arc;

use axum::body::Bytes;
use minivoice_shared::LiveEvent;

/// An event ready to send: its place in its call's sequence (the SSE `id`; 0 for a resync,
/// which has none) and its whole SSE frame (`event:`, `data:`, `id:` lines). Rendered once
/// however many streams send it: every stream's body sends the same bytes, shared, so a
/// delivery to thousands of widgets copies and allocates nothing per widget.
#[derive(Debug)]
pub struct Stamped {
    pub id: u64,
    pub(super) frame: Bytes,
}

impl Stamped {
    pub fn new(id: u64, event: &LiveEvent) -> Stamped {
        let data = serde_json::to_string(event).unwrap_or_default();
        Stamped::rendered(id, event.name(), &data)
    }

    /// With the JSON already at hand (as stored), so it is not written again.
    pub(super) fn rendered(id: u64, name: &str, data: &str) -> Stamped {
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
    pub(super) fn stored(id: u64, body: String) -> Option<Stamped> {
        let event: LiveEvent = serde_json::from_str(&body).ok()?;
        Some(Stamped::rendered(id, event.name(), &body))
    }

    /// Told to a stream whose client missed events: refetch.
    pub(super) fn resync(call_id: &str) -> Stamped {
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
/// channel holds `CALL_CAPACITY` of them (`watch.rs`) whether or not they are in use.
#[derive(Clone, Debug)]
pub(super) enum Note {
    Event(Arc<Stamped>),
    /// Send a keep-alive comment.
    Heartbeat,
    /// The proxy is stopping: end the stream (the client reconnects to the next instance).
    Close,
}
