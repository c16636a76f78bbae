//! One call's widget: the call's data (recordings, call state, timeline, the proxy's info),
//! its live updates and the actions, wired to the parts that show them.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use minivoice_shared::{Action, CallState, RecordingState};

use super::activity::Activity;
use super::controls::RecordingControls;
use super::details::Details;
use super::error::ErrorBanner;
use super::header::{Header, PausedBanner, StatusLine};
use super::recordings::{ListAnswer, Recordings};
use crate::api::{self, Api};
use crate::embed::Host;
use crate::i18n::{fill, language};
use crate::live::use_live_updates;
use crate::load::load;
use crate::model::ApiError;
use crate::state::{
    announce_success, call_phase, controls, human_message, paused_text, stop_of_a_pause,
};

/// Whether the call's state says a pause is open: the banner, the buttons and the announcer
/// follow it.
fn is_paused(state: &CallState) -> bool {
    state.recording == Some(RecordingState::Paused)
}

/// The performance mark set when the widget's first state is on screen.
pub const FIRST_RENDER_MARK: &str = "minivoice:first-render";

#[component]
pub fn Widget(call_id: String, api: Api) -> impl IntoView {
    let l = language();
    let t = l.texts;
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
    let phase = move || {
        call_state.with(|s| call_phase(s.as_ref().and_then(|s| s.as_ref()?.status.as_deref())))
    };
    let over = move || phase() != "in_progress";
    // The open pause, if any: the banner, the buttons and the announcer follow it.
    let pause = move || call_state.get().flatten().filter(is_paused);

    // Live updates: every event (and every poll while the stream is down) refetches.
    let live = use_live_updates(api.with_value(|a| a.events_url(&call.get_value())), refresh);
    let info = load(move || {
        let api = api.get_value();
        async move { api.info().await }
    });
    let timeline = load(move || {
        generation.track();
        let (api, call) = (api.get_value(), call.get_value());
        async move { api.timeline(&call).await }
    });

    let (action_error, set_action_error) = signal(None::<ApiError>);
    // What a screen reader hears, politely: each action's outcome, and a pause beginning or
    // ending, whoever caused it (another agent, the automatic resume).
    let (announcement, set_announcement) = signal(String::new());
    Effect::new(move |was: Option<Option<String>>| {
        // Unknown (loading, or the status did not load): say nothing, remember what was.
        let Some(state) = call_state.get().flatten() else {
            return was.flatten();
        };
        let now = is_paused(&state).then(|| paused_text(t, &state));
        if was.is_some_and(|was| was != now) {
            set_announcement.set(match &now {
                Some(text) => format!("{text}."),
                None => t.pause_ended().into(),
            });
        }
        now
    });
    let host = StoredValue::new_local(Host::from_context());
    let (busy, set_busy) = signal(false);
    // One action, for the buttons and for the embedding page (`el.pause({reason})`): the
    // outcome is shown, announced and told to the page, then handed back to the caller.
    let run = move |action: Action, reason: Option<String>| {
        set_busy.set(true);
        let intent = api::new_intent();
        let (api, call_id, host) = (api.get_value(), call.get_value(), host.get_value());
        let paused_segment = call_state
            .get_untracked()
            .flatten()
            .filter(is_paused)
            .and_then(|s| s.recording_id);
        async move {
            let result = api.act(&call_id, action, reason, &intent).await;
            let result = stop_of_a_pause(action, result, paused_segment);
            // The widget may be gone by now: every write below is a no-op then.
            set_action_error.try_set(result.as_ref().err().cloned());
            host.action_done(&call_id, action, &result);
            set_announcement.try_set(match &result {
                Ok(r) => announce_success(t, action, &r.id),
                Err(e) => human_message(t, e),
            });
            set_busy.try_set(false);
            set_generation.try_update(|n| *n += 1);
            result
        }
    };
    let act = Callback::new(move |action| {
        // `run` marks the widget busy at once, in this click's handler, so a second click
        // finds the action under way; only the request waits for the task.
        let pending = run(action, None);
        spawn_local(async move {
            let _ = pending.await;
        })
    });
    host.with_value(|h| h.serve(Rc::new(move |action, reason| Box::pin(run(action, reason)))));

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
    let buttons = move || {
        let recs = current().and_then(Result::ok);
        controls(recs.as_deref(), pause().is_some(), busy.get(), over())
    };
    let has_recordings = move || {
        current()
            .and_then(Result::ok)
            .is_some_and(|r| !r.is_empty())
    };
    let shown_error = move || {
        action_error
            .get()
            .or_else(|| list.get().and_then(|l| l.result.err()))
    };
    let (selected, set_selected) = signal(None::<String>);
    let sandbox = move || info.get().and_then(Result::ok).is_some_and(|i| i.sandbox);

    view! {
        <section class="mv-widget" lang=l.lang.tag() aria-label=fill(t.recordings_for_call(), &[&call_id])
            data-testid="widget">
            <Header call_id=call_id.clone() sandbox/>
            <RecordingControls call_id=call_id.clone() buttons busy act/>
            <StatusLine phase has_recordings live=live.state/>
            <PausedBanner pause now_ms=live.now_ms/>
            {move || shown_error().map(|e| view! { <ErrorBanner error=e/> })}
            <div class="mv-sr-only" aria-live="polite" data-testid="announcer">
                {move || announcement.get()}
            </div>
            <Recordings list timeline selected set_selected now_ms=live.now_ms on_retry=refresh/>
            <Activity timeline/>
            {move || selected.get().map(|rec_id| view! {
                <Details call=call.get_value() rec_id api=api.get_value() on_close=move || set_selected.set(None)/>
            })}
        </section>
    }
}
