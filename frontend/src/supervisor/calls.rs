//! The live list: every call recorded or paused now (`GET /api/calls?state=active`), refetched
//! on every event of every call (`GET /api/events`), with a filter by agent and Resume on a
//! paused call.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use minivoice_shared::{LiveCall, LiveCallPage, RecordingState};
use serde::de::IgnoredAny;

use super::report::Report;
use super::{explained, Endpoints};
use crate::fetch::{get, post};
use crate::i18n::{fill, intl, language, texts};
use crate::live::use_live_updates;
use crate::model::ApiError;
use crate::state::{agent_name, with_reason};

/// At most this many pages of 200 are read per refresh: a centre with more calls live than
/// that filters by agent.
const MAX_PAGES: usize = 10;

#[component]
pub(super) fn Supervisor(endpoints: Endpoints) -> impl IntoView {
    let t = texts();
    // `None` until the first answer.
    let calls = RwSignal::new(None::<Vec<LiveCall>>);
    let load_error = RwSignal::new(None::<ApiError>);
    let action_error = RwSignal::new(None::<String>);
    let filter = RwSignal::new(String::new());
    let refresh = refresher(endpoints.clone(), calls, load_error);
    let live = use_live_updates(endpoints.events(), move || refresh.run(()));
    refresh.run(());
    let now_ms = live.now_ms;
    let endpoints = StoredValue::new(endpoints);
    // Rebuilt when the list changes (a refresh that changes nothing leaves the focus where it
    // was) or the filter does. Not a keyed `<For>`: its diffing costs the widget's byte budget
    // more than the few rows a supervisor sees rebuilt.
    let rows = move || {
        let wanted = filter.get();
        let wanted = wanted.trim();
        calls.get().map(|list| {
            let rows: Vec<_> = list
                .into_iter()
                .filter(|c| wanted.is_empty() || by_agent(c, wanted))
                .map(|call| view! { <CallRow call now_ms endpoints refresh action_error/> })
                .collect();
            (!rows.is_empty()).then_some(rows).ok_or((
                "mv-empty",
                if wanted.is_empty() {
                    t.sup_no_calls()
                } else {
                    t.sup_no_match()
                },
            ))
        })
    };
    view! {
        <section class="mv-widget mv-supervisor" data-testid="supervisor"
            aria-label=t.sup_title()>
            <div class="mv-header">
                <h2 class="mv-title">{t.sup_title()}</h2>
                <span class="mv-live" data-testid="live-state"
                    data-state=move || live.state.get().as_str()>
                    {move || live.state.get().label(t)}
                </span>
            </div>
            <label class="mv-field">
                <span>{t.sup_filter_agent()}</span>
                <input type="search" class="mv-input" data-testid="agent-filter"
                    on:input=move |ev| filter.set(event_target_value(&ev))/>
            </label>
            {move || load_error.get().map(|e| view! {
                <p class="mv-error" role="alert" data-testid="error">
                    {fill(t.sup_unavailable(), &[&explained(t, &e)])}
                </p>
            })}
            {move || action_error.get().map(|m| view! {
                <p class="mv-error" role="alert" data-testid="resume-error">{m}</p>
            })}
            <ul class="mv-list mv-sup-list" data-testid="live-calls">
                {move || match rows().unwrap_or(Err(("mv-loading", t.sup_loading()))) {
                    Ok(rows) => Either::Left(rows),
                    // `mv-loading` or `mv-empty`, as the test IDs name them.
                    Err((class, text)) => Either::Right(view! {
                        <li class=class data-testid=class>{text}</li>
                    }),
                }}
            </ul>
            <Report endpoints=endpoints.get_value()/>
        </section>
    }
}

/// Whether `wanted` is part of the name of the agent who paused or started `call`, whatever
/// the case of its ASCII letters (a Unicode lower-casing would bring its tables into the wasm).
fn by_agent(call: &LiveCall, wanted: &str) -> bool {
    let wanted = wanted.as_bytes();
    [&call.paused_by, &call.started_by]
        .into_iter()
        .flatten()
        .any(|a| {
            a.as_bytes()
                .windows(wanted.len())
                .any(|w| w.eq_ignore_ascii_case(wanted))
        })
}

/// Fetches the list (every page) when run, one fetch at a time: a run while one is under way
/// makes it fetch once more after, so a burst of events costs two requests, not one each.
fn refresher(
    endpoints: Endpoints,
    calls: RwSignal<Option<Vec<LiveCall>>>,
    failed: RwSignal<Option<ApiError>>,
) -> Callback<()> {
    // 0: idle; 1: fetching; 2: fetching, and asked again meanwhile.
    let busy = StoredValue::new(0u8);
    Callback::new(move |()| {
        if busy.get_value() > 0 {
            busy.set_value(2);
            return;
        }
        busy.set_value(1);
        let endpoints = endpoints.clone();
        spawn_local(async move {
            loop {
                match every_page(&endpoints).await {
                    Ok(list) => {
                        // Set only when it changed: the rows are rebuilt when it is.
                        if calls.try_with_untracked(|c| c.as_ref() != Some(&list)) == Some(true) {
                            calls.try_set(Some(list));
                        }
                        failed.try_set(None);
                    }
                    Err(e) => {
                        failed.try_set(Some(e));
                    }
                }
                if busy.try_get_value() != Some(2) {
                    busy.try_set_value(0);
                    return;
                }
                busy.set_value(1);
            }
        });
    })
}

async fn every_page(endpoints: &Endpoints) -> Result<Vec<LiveCall>, ApiError> {
    let mut all = vec![];
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page: LiveCallPage =
            get(&endpoints.calls(cursor.as_deref()), endpoints.token()).await?;
        all.extend(page.data);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(all)
}

/// One call: its state, who and why, the countdown, Resume, and its story.
#[component]
fn CallRow(
    call: LiveCall,
    now_ms: ReadSignal<f64>,
    endpoints: StoredValue<Endpoints>,
    refresh: Callback<()>,
    action_error: RwSignal<Option<String>>,
) -> impl IntoView {
    let l = language();
    let (t, locale) = (l.texts, l.locale());
    let id = call.call_id.clone();
    let story = endpoints.with_value(|e| e.story(&id));
    let paused = call.state == RecordingState::Paused;
    let (state_word, state_class) = if paused {
        (t.sup_state_paused(), "mv-status mv-sup-paused")
    } else {
        (t.sup_state_recording(), "mv-status mv-status-started")
    };
    let detail = if paused {
        let who = fill(
            t.paused_by_short(),
            &[agent_name(t, call.paused_by.as_deref())],
        );
        with_reason(who, call.reason.as_deref())
    } else {
        let who = fill(t.started_by(), &[agent_name(t, call.started_by.as_deref())]);
        match call.started_at.as_deref() {
            Some(at) => format!("{who} · {}", intl::time(locale, at)),
            None => who,
        }
    };
    let paused_part = paused.then(|| {
        let resume_at = call.resume_at.as_deref().map(js_sys::Date::parse);
        let began = call.paused_at.as_deref().map_or(0.0, js_sys::Date::parse);
        let countdown = move || match resume_at.filter(|at| !at.is_nan()) {
            Some(at) => {
                let left = ((at - now_ms.get().max(began)) / 1000.0).ceil().max(0.0) as u64;
                fill(t.resumes_in(), &[&intl::duration(locale, left)])
            }
            None => t.until_resumed().into(),
        };
        let pending = RwSignal::new(false);
        let id = id.clone();
        let resume = move |_| {
            if pending.get_untracked() {
                return;
            }
            pending.set(true);
            action_error.set(None);
            let (url, token) = endpoints.with_value(|e| (e.resume(&id), e.token.clone()));
            spawn_local(async move {
                let key = crate::api::new_intent();
                let done: Result<IgnoredAny, ApiError> =
                    post::<(), _>(&url, token.as_deref(), None, &key).await;
                pending.try_set(false);
                match done {
                    Ok(_) => refresh.run(()),
                    Err(e) => {
                        action_error
                            .try_set(Some(fill(t.sup_resume_failed(), &[&explained(t, &e)])));
                    }
                }
            });
        };
        view! {
            <span class="mv-muted" aria-live="off" data-testid="resume-countdown">
                {countdown}
            </span>
            <button class="mv-button" data-testid="resume"
                aria-label=fill(t.button_for_call(), &[t.resume_recording(), &call.call_id])
                disabled=move || pending.get()
                on:click=resume>
                <span aria-hidden="true">"▶\u{FE0E} "</span>{t.resume_recording()}
            </button>
        }
    });
    view! {
        <li class="mv-sup-row" data-testid="live-call" data-call-id=call.call_id.clone()
            data-state=call.state.as_str().to_owned()>
            <div class="mv-sup-head">
                <span class="mv-id">{call.call_id.clone()}</span>
                <span class=state_class>{state_word}</span>
            </div>
            <span data-testid="live-call-detail">{detail}</span>
            <div class="mv-controls">
                {paused_part}
                <a class="mv-link" href=story data-testid="story"
                    aria-label=fill(t.sup_story_for(), &[&call.call_id])>{t.sup_story()}</a>
            </div>
        </li>
    }
}
