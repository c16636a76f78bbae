//! One call's widget: the call's data (recordings, call state, activity, the proxy's info),
//! its live updates and the Start/Stop action, wired to the parts that show them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use minivoice_shared::CALL_COMPLETED;

use super::activity::Activity;
use super::controls::RecordingControls;
use super::details::Details;
use super::error::ErrorBanner;
use super::header::{Header, StatusLine};
use super::recordings::Recordings;
use crate::api::{self, Api, ApiError};
use crate::embed::Host;
use crate::live::use_live_updates;
use crate::load::load;
use crate::recording::Recording;
use crate::state::{announce_success, controls, human_message};

/// The performance mark set when the widget's first state is on screen.
pub const FIRST_RENDER_MARK: &str = "minivoice:first-render";

/// One answer to "which recordings does the call have?".
#[derive(Clone)]
pub struct ListAnswer {
    /// The generation it was asked for: it is current only while that is the latest.
    pub generation: u64,
    pub result: Result<Vec<Recording>, ApiError>,
    /// When the answer arrived (ms): a started recording's time ticks on from here.
    pub fetched_at: f64,
}

#[component]
pub fn Widget(call_id: String, api: Api) -> impl IntoView {
    let call = StoredValue::new(call_id.clone());
    let api = StoredValue::new(api);

    // Bumped after every action so the list refetches; a list answer is current only when it
    // was fetched for the latest generation.
    let (generation, set_generation) = signal(0u64);
    let refresh = move || set_generation.update(|n| *n += 1);
    // Values are taken before each `async` block: a widget may be unmounted (removed, or
    // re-rendered for a new call) while a request is in flight, and its stored values with it.
    let list = load(move || {
        let asked_for = generation.get();
        let (api, call) = (api.get_value(), call.get_value());
        async move {
            let result = api.list(&call).await;
            ListAnswer {
                generation: asked_for,
                result,
                fetched_at: js_sys::Date::now(),
            }
        }
    });
    let call_state = load(move || {
        generation.track();
        let (api, call) = (api.get_value(), call.get_value());
        async move { api.status(&call).await.ok() }
    });
    let completed = Signal::derive(move || {
        call_state
            .get()
            .flatten()
            .and_then(|s| s.status)
            .is_some_and(|s| s == CALL_COMPLETED)
    });

    // Live updates: every event (and every poll while the stream is down) refetches.
    let live = use_live_updates(api.with_value(|a| a.events_url(&call.get_value())), refresh);
    let info = load(move || {
        let api = api.get_value();
        async move { api.info().await }
    });
    let history = load(move || {
        generation.track();
        let (api, call) = (api.get_value(), call.get_value());
        async move { api.activity(&call).await }
    });

    let (action_error, set_action_error) = signal(None::<ApiError>);
    // What a screen reader hears, politely: each action's outcome.
    let (announcement, set_announcement) = signal(String::new());
    let host = StoredValue::new_local(Host::from_context());
    let (busy, set_busy) = signal(false);
    let act = Callback::new(move |action: minivoice_shared::Action| {
        set_busy.set(true);
        let intent = api::new_intent();
        let (api, call_id, host) = (api.get_value(), call.get_value(), host.get_value());
        spawn_local(async move {
            let result = api.act(&call_id, action, &intent).await;
            // The widget may be gone by now: every write below is a no-op then.
            set_action_error.try_set(result.as_ref().err().cloned());
            host.action_done(&call_id, action, &result);
            set_announcement.try_set(match &result {
                Ok(r) => announce_success(action, &r.id),
                Err(e) => human_message(e),
            });
            set_busy.try_set(false);
            set_generation.try_update(|n| *n += 1);
        });
    });

    // The first state on screen (the list, "no recordings" or an error) is marked for the
    // browser's performance timeline: `cargo xtask bench` reads it, and so can a host page.
    Effect::new(move |marked: Option<bool>| {
        if marked == Some(true) || list.with(Option::is_none) {
            return marked.unwrap_or(false);
        }
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark(FIRST_RENDER_MARK);
        }
        true
    });

    let current = move || {
        list.get()
            .filter(|l| l.generation == generation.get())
            .map(|l| l.result)
    };
    let buttons = Memo::new(move |_| {
        let busy = busy.get();
        let recs = current().and_then(Result::ok);
        controls(recs.as_deref(), busy, completed.get())
    });
    let has_recordings = Signal::derive(move || {
        current()
            .and_then(Result::ok)
            .is_some_and(|r| !r.is_empty())
    });
    let shown_error = move || {
        action_error
            .get()
            .or_else(|| list.get().and_then(|l| l.result.err()))
    };
    let (selected, set_selected) = signal(None::<String>);
    let sandbox =
        Signal::derive(move || info.get().and_then(Result::ok).is_some_and(|i| i.sandbox));

    view! {
        <section class="mv-widget" aria-label=format!("Recordings for call {call_id}") data-testid="widget">
            <Header call_id=call_id.clone() sandbox/>
            <RecordingControls call_id=call_id.clone() buttons busy act/>
            <StatusLine completed has_recordings live=live.state/>
            {move || shown_error().map(|e| view! { <ErrorBanner error=e/> })}
            <div class="mv-sr-only" aria-live="polite" data-testid="announcer">
                {move || announcement.get()}
            </div>
            <Recordings list selected set_selected now_ms=live.now_ms on_retry=refresh/>
            <Activity history/>
            {move || selected.get().map(|rec_id| view! {
                <Details call=call.get_value() rec_id api=api.get_value() on_close=move || set_selected.set(None)/>
            })}
        </section>
    }
}
