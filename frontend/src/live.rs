//! The widget's live connection: server-sent events from the proxy, with reconnects and a
//! polling fallback, so the widget shows the truth without a reload even when the stream is
//! down.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource};

/// How the widget currently learns of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    Connecting,
    Live,
    /// The stream is down or refused: the widget polls until it comes back.
    Polling,
}

impl LiveState {
    pub fn label(self) -> &'static str {
        match self {
            LiveState::Connecting => "Connecting…",
            LiveState::Live => "Live",
            LiveState::Polling => "Updating every few seconds",
        }
    }
}

/// Event names the proxy sends; any of them means "something changed: refresh".
const EVENTS: [&str; 3] = ["recording", "call", "resync"];

/// An open event stream; closing (or dropping) it releases the connection and its handlers.
pub struct LiveConn {
    source: EventSource,
    _handlers: Vec<Closure<dyn FnMut(Event)>>,
}

impl LiveConn {
    /// Opens `url`. `changed` runs on every event and on (re)connection (changes may have been
    /// missed while away); `state` reports the connection's state.
    pub fn open(
        url: &str,
        changed: Rc<dyn Fn()>,
        state: Rc<dyn Fn(LiveState)>,
    ) -> Option<LiveConn> {
        let source = EventSource::new(url).ok()?;
        let mut handlers: Vec<Closure<dyn FnMut(Event)>> = vec![];
        let mut on = |name: &str, f: Box<dyn FnMut(Event)>| {
            let c = Closure::wrap(f);
            let _ = source.add_event_listener_with_callback(name, c.as_ref().unchecked_ref());
            handlers.push(c);
        };
        {
            let (changed, state) = (changed.clone(), state.clone());
            on(
                "open",
                Box::new(move |_| {
                    state(LiveState::Live);
                    changed();
                }),
            );
        }
        for name in EVENTS {
            let changed = changed.clone();
            on(name, Box::new(move |_| changed()));
        }
        {
            on(
                "error",
                // Whether the browser retries by itself (CONNECTING, sending Last-Event-ID) or
                // gave up (CLOSED: 401, 503…), nothing is live now: poll until "open" again.
                Box::new(move |_| state(LiveState::Polling)),
            );
        }
        Some(LiveConn {
            source,
            _handlers: handlers,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.source.ready_state() == EventSource::CLOSED
    }
}

impl Drop for LiveConn {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The connection slot a widget owns.
pub type Slot = Rc<RefCell<Option<LiveConn>>>;
