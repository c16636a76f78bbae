//! The widget's live connection: server-sent events from the proxy, with reconnects and a
//! polling fallback, so the widget shows the truth without a reload even when the stream is
//! down. [`use_live_updates`] is all a widget needs of it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use minivoice_shared::LiveEvent;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventSource};

use crate::i18n::Texts;

/// While the live stream is down, refetch this often (seconds).
const POLL_EVERY_S: u32 = 3;
/// And try the stream again this often.
const RETRY_STREAM_EVERY_S: u32 = 15;

/// How the widget currently learns of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    Connecting,
    Live,
    /// The stream is down or refused: the widget polls until it comes back.
    Polling,
}

impl LiveState {
    /// Its name for tests and styles (`data-state`).
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Connecting => "connecting",
            LiveState::Live => "live",
            LiveState::Polling => "polling",
        }
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            LiveState::Connecting => t.connecting(),
            LiveState::Live => t.live(),
            LiveState::Polling => t.polling(),
        }
    }
}

/// An open event stream; closing (or dropping) it releases the connection and its handlers.
///
/// A plain `EventSource`, not `gloo_net::eventsource`: gloo's subscriptions report an `error`
/// only once the browser has given up on the stream (`CLOSED`), not while it reconnects
/// (`CONNECTING`), and the widget must start polling at the first error, since nothing is live
/// while the browser retries; they also hear no `open`, which is when the widget refetches
/// what it may have missed.
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
        // Any event the proxy sends means "something changed: refresh". An EventSource hears
        // only the names it listens for: the shared crate lists them all.
        for name in LiveEvent::NAMES {
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

/// What a widget reads from its live connection.
#[derive(Clone, Copy)]
pub struct LiveUpdates {
    /// How the widget currently learns of changes.
    pub state: ReadSignal<LiveState>,
    /// The wall clock, set every second: a started recording's time ticks on with it.
    pub now_ms: ReadSignal<f64>,
}

/// Keeps the calling widget current on the call whose event stream is `url`: `refresh` runs on
/// every event, on every (re)connection, and every few seconds while the stream is down; a
/// stream the browser gave up on is opened again now and then. Call it in a component: the
/// stream and the timer are released when that component is.
pub fn use_live_updates(url: String, refresh: impl Fn() + 'static) -> LiveUpdates {
    let (live_state, set_live_state) = signal(LiveState::Connecting);
    let (now_ms, set_now_ms) = signal(js_sys::Date::now());
    let refresh: Rc<dyn Fn()> = Rc::new(refresh);
    let conn: Slot = Rc::new(RefCell::new(None));
    let connect = {
        let (conn, refresh) = (conn.clone(), refresh.clone());
        move || {
            let state: Rc<dyn Fn(LiveState)> = Rc::new(move |s| set_live_state.set(s));
            *conn.borrow_mut() = LiveConn::open(&url, refresh.clone(), state);
            if conn.borrow().is_none() {
                set_live_state.set(LiveState::Polling);
            }
        }
    };
    connect();
    // One timer does it all: the clock, the polls and the stream retries, counted in ticks.
    let ticks = Cell::new(0u32);
    let timer = set_interval_with_handle(
        {
            let conn = conn.clone();
            move || {
                set_now_ms.set(js_sys::Date::now());
                let since_retry = ticks.get() + 1;
                ticks.set(since_retry);
                if live_state.get_untracked() == LiveState::Live {
                    return;
                }
                if since_retry.is_multiple_of(POLL_EVERY_S) {
                    refresh();
                }
                // A stream the browser gave up on is tried again now and then.
                let dead = conn.borrow().as_ref().is_none_or(LiveConn::is_closed);
                if dead && since_retry.is_multiple_of(RETRY_STREAM_EVERY_S) {
                    connect();
                }
            }
        },
        Duration::from_secs(1),
    )
    .ok();
    let conn = StoredValue::new_local(conn);
    on_cleanup(move || {
        // Removing the widget releases its stream and timer.
        if let Some(t) = timer {
            t.clear();
        }
        conn.try_with_value(|c| c.borrow_mut().take());
    });
    LiveUpdates {
        state: live_state,
        now_ms,
    }
}
