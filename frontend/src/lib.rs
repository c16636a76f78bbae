//! The MiniVoice call-recording widget: one call's recordings, Start/Stop, details, and clear
//! loading, empty and error states. It talks only to the proxy, through [`api`].

pub mod api;
pub mod live;
pub mod state;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use minivoice_shared::{Action as RecAction, ActivityEntry, Recording, CALL_COMPLETED};

use crate::api::{Api, ApiError};
use crate::live::{LiveConn, LiveState};
use crate::state::{
    announce_success, call_state_text, clock, controls, describe, display_value, format_duration,
    format_size, human_message, live_duration, newest_first,
};

/// While the live stream is down, refetch this often (seconds).
const POLL_EVERY_S: u32 = 3;
/// And try the stream again this often.
const RETRY_STREAM_EVERY_S: u32 = 15;

/// What the page URL gives the widget.
pub struct Params {
    pub call_id: Option<String>,
    pub api_base: String,
    pub token: Option<String>,
}

/// `?call_id=…&api_base=…`, and the agent token from `#token=…` (a fragment never reaches a
/// server log or a Referer) or, failing that, `?token=…`.
pub fn params_from_location() -> Params {
    let location = web_sys::window().map(|w| w.location());
    let part = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let query = web_sys::UrlSearchParams::new_with_str(&part(web_sys::Location::search)).ok();
    let hash = part(web_sys::Location::hash);
    let fragment = web_sys::UrlSearchParams::new_with_str(hash.trim_start_matches('#')).ok();
    let get = |p: &Option<web_sys::UrlSearchParams>, k: &str| {
        p.as_ref().and_then(|p| p.get(k)).filter(|v| !v.is_empty())
    };
    Params {
        call_id: get(&query, "call_id"),
        api_base: get(&query, "api_base").unwrap_or_else(|| "/api".into()),
        token: get(&fragment, "token").or_else(|| get(&query, "token")),
    }
}

/// A widget mounted by the `<minivoice-recordings>` element; unmounting releases everything
/// it holds (its event stream, timers, handlers).
#[wasm_bindgen::prelude::wasm_bindgen]
pub struct WidgetHandle {
    mounted: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
impl WidgetHandle {
    pub fn unmount(&mut self) {
        self.mounted.take();
    }
}

/// Mounts a widget into `target` (inside the element's shadow root); `host` is the custom
/// element, where the widget's DOM events are dispatched for the page to hear.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount_widget(
    target: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    call_id: String,
    api_base: String,
    token: Option<String>,
) -> WidgetHandle {
    console_error_panic_hook::set_once();
    let api = Api::new(&api_base, token.filter(|t| !t.is_empty()));
    let host = Host(Some(host));
    let handle = leptos::mount::mount_to(target, move || {
        provide_context(host.clone());
        let call_id = call_id.clone();
        let api = api.clone();
        if call_id.is_empty() {
            view! { <NoCall/> }.into_any()
        } else {
            view! { <Widget call_id api/> }.into_any()
        }
    });
    WidgetHandle {
        mounted: Some(Box::new(handle)),
    }
}

/// Mounts the full-page widget (our own page and `/embed`) where the page asks for it.
pub fn mount_page() {
    // A panic says why in the console instead of a bare "unreachable".
    console_error_panic_hook::set_once();
    let target = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("minivoice-app"));
    if let Some(target) = target {
        use wasm_bindgen::JsCast;
        let target: web_sys::HtmlElement = target.unchecked_into();
        leptos::mount::mount_to(target, App).forget();
    }
}

/// The element hosting an embedded widget, if any: DOM events go there.
#[derive(Clone)]
struct Host(Option<web_sys::HtmlElement>);

impl Host {
    /// A bubbling, composed event, so it crosses the shadow root to the page.
    fn emit(&self, name: &str, detail: &serde_json::Value) {
        let Some(el) = &self.0 else { return };
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        let detail =
            js_sys::JSON::parse(&detail.to_string()).unwrap_or(wasm_bindgen::JsValue::NULL);
        init.set_detail(&detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = el.dispatch_event(&ev);
        }
    }
}

#[component]
fn NoCall() -> impl IntoView {
    view! {
        <section class="mv-widget" aria-label="Call recordings">
            <p class="mv-empty" data-testid="no-call" role="status">
                "No call selected. Open this page with "<code>"?call_id=…"</code>"."
            </p>
        </section>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let params = params_from_location();
    let api = Api::new(&params.api_base, params.token);
    match params.call_id {
        Some(call_id) => view! { <Widget call_id api/> }.into_any(),
        None => view! { <NoCall/> }.into_any(),
    }
}

#[component]
pub fn Widget(call_id: String, api: Api) -> impl IntoView {
    let call = StoredValue::new(call_id.clone());
    let api = StoredValue::new(api);

    // Bumped after every action so the list refetches; a list answer is current only when it
    // was fetched for the latest generation.
    let (generation, set_generation) = signal(0u64);
    // Values are taken before each `async` block: a widget may be unmounted (removed, or
    // re-rendered for a new call) while a request is in flight, and its stored values with it.
    let list = LocalResource::new(move || {
        let n = generation.get();
        let (api, call) = (api.get_value(), call.get_value());
        async move {
            let result = api.list(&call).await;
            // When the answer arrived: a started recording's time ticks on from here.
            (n, result, js_sys::Date::now())
        }
    });
    let call_state = LocalResource::new(move || {
        generation.track();
        let (api, call) = (api.get_value(), call.get_value());
        async move { api.status(&call).await.ok() }
    });
    let completed = move || {
        call_state
            .get()
            .flatten()
            .and_then(|s| s.status)
            .is_some_and(|s| s == CALL_COMPLETED)
    };

    // Live updates: every event (and every poll while the stream is down) refetches.
    let (live_state, set_live_state) = signal(LiveState::Connecting);
    let (now_ms, set_now_ms) = signal(js_sys::Date::now());
    let refresh: Rc<dyn Fn()> = Rc::new(move || set_generation.update(|n| *n += 1));
    let conn: live::Slot = Rc::new(RefCell::new(None));
    let connect = {
        let (conn, refresh) = (conn.clone(), refresh.clone());
        let url = api.with_value(|a| a.events_url(&call.get_value()));
        move || {
            let state: Rc<dyn Fn(LiveState)> = Rc::new(move |s| set_live_state.set(s));
            *conn.borrow_mut() = LiveConn::open(&url, refresh.clone(), state);
            if conn.borrow().is_none() {
                set_live_state.set(LiveState::Polling);
            }
        }
    };
    connect();
    let ticks = std::cell::Cell::new(0u32);
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
    let info = LocalResource::new(move || {
        let api = api.get_value();
        async move { api.info().await }
    });
    let history = LocalResource::new(move || {
        generation.track();
        let (api, call) = (api.get_value(), call.get_value());
        async move { api.activity(&call).await }
    });

    let (action_error, set_action_error) = signal(None::<ApiError>);
    // What a screen reader hears, politely: each action's outcome.
    let (announcement, set_announcement) = signal(String::new());
    let host = StoredValue::new_local(use_context::<Host>().unwrap_or(Host(None)));
    let act = Action::new_local(move |action: &RecAction| {
        let action = *action;
        let intent = api::new_intent();
        let (api, call_id, host) = (api.get_value(), call.get_value(), host.get_value());
        async move {
            let result = api.act(&call_id, action, &intent).await;
            set_action_error.set(result.as_ref().err().cloned());
            let (event, detail, said) = match &result {
                Ok(r) => (
                    match action {
                        RecAction::Start => "minivoice-recording-started",
                        RecAction::Stop => "minivoice-recording-stopped",
                    },
                    serde_json::json!({"callId": call_id, "recordingId": r.recording.id,
                                       "status": r.recording.status.as_str()}),
                    announce_success(action, &r.recording.id),
                ),
                Err(e) => (
                    "minivoice-error",
                    serde_json::json!({"callId": call_id, "action": action.as_str(),
                                       "code": e.code, "message": e.message}),
                    human_message(e),
                ),
            };
            host.emit(event, &detail);
            set_announcement.set(said);
            set_generation.update(|n| *n += 1);
            result.is_ok()
        }
    });

    let current = move || {
        list.get()
            .filter(|(n, _, _)| *n == generation.get())
            .map(|(_, r, _)| r)
    };
    let buttons = Memo::new(move |_| {
        let busy = act.pending().get();
        let recs = current().and_then(Result::ok);
        controls(recs.as_deref(), busy, completed())
    });
    // The DOM's `disabled` lags a click by a render; the rule is checked again at the click so
    // a double click dispatches once.
    let press = move |action: RecAction| {
        let allowed = buttons.get_untracked();
        let ok = match action {
            RecAction::Start => allowed.start,
            RecAction::Stop => allowed.stop,
        };
        if ok {
            act.dispatch(action);
        }
    };
    let shown_error = move || {
        action_error
            .get()
            .or_else(|| list.get().and_then(|(_, r, _)| r.err()))
    };
    let (selected, set_selected) = signal(None::<String>);
    let sandbox = move || info.get().and_then(Result::ok).is_some_and(|i| i.sandbox);

    view! {
        <section class="mv-widget" aria-label=format!("Recordings for call {call_id}") data-testid="widget">
            <header class="mv-header">
                <h2 class="mv-title">"Recordings"</h2>
                <span class="mv-call" data-testid="call-id">{call_id.clone()}</span>
                <Show when=sandbox>
                    <span class="mv-badge" data-testid="sandbox-badge"
                        title="Simulated MiniVoice: no real call is recorded">"Sandbox"</span>
                </Show>
            </header>
            <div class="mv-controls" role="group" aria-label="Recording controls">
                <button class="mv-button mv-start" data-testid="start"
                    aria-label=format!("Start recording call {call_id}")
                    disabled=move || !buttons.get().start
                    on:click=move |_| press(RecAction::Start)>
                    <span aria-hidden="true">"● "</span>"Start recording"
                </button>
                <button class="mv-button mv-stop" data-testid="stop"
                    aria-label=format!("Stop recording call {call_id}")
                    disabled=move || !buttons.get().stop
                    on:click=move |_| press(RecAction::Stop)>
                    <span aria-hidden="true">"■ "</span>"Stop recording"
                </button>
                <Show when=move || act.pending().get()>
                    <span class="mv-busy" role="status" data-testid="busy">"Working…"</span>
                </Show>
            </div>
            <div class="mv-state" role="status">
                <span class="mv-call-state" data-testid="call-state"
                    data-status=move || if completed() { "completed" } else { "in_progress" }>
                    {move || call_state_text(completed(), current().and_then(Result::ok).is_some_and(|r| !r.is_empty()))}
                </span>
                <span class="mv-live" data-testid="live-state" data-state=move || format!("{:?}", live_state.get()).to_lowercase()>
                    {move || live_state.get().label()}
                </span>
            </div>
            {move || shown_error().map(|e| view! { <ErrorBanner error=e/> })}
            <div class="mv-sr-only" aria-live="polite" data-testid="announcer">
                {move || announcement.get()}
            </div>
            <Transition fallback=|| view! {
                <p class="mv-loading" role="status" data-testid="loading">"Loading recordings…"</p>
            }>
                {move || Suspend::new(async move {
                    let (_, result, fetched_at) = list.await;
                    match result {
                        Ok(recs) if recs.is_empty() => view! {
                            <p class="mv-empty" data-testid="empty" role="status">
                                "No recordings for this call yet. Press "<strong>"Start recording"</strong>" to begin."
                            </p>
                        }.into_any(),
                        Ok(recs) => view! {
                            <RecordingList recs=newest_first(recs) selected set_selected fetched_at now_ms/>
                        }.into_any(),
                        Err(_) => view! {
                            <p class="mv-empty" data-testid="list-unavailable">
                                "Recordings could not be loaded. "
                                <button class="mv-link" data-testid="retry"
                                    on:click=move |_| set_generation.update(|n| *n += 1)>"Try again"</button>
                            </p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    history.await.ok().filter(|h| !h.is_empty()).map(|h| view! { <Activity entries=h/> })
                })}
            </Transition>
            {move || selected.get().map(|rec_id| view! {
                <Details call=call.get_value() rec_id api=api.get_value() on_close=move || set_selected.set(None)/>
            })}
        </section>
    }
}

/// The call's latest actions, from the proxy's audit trail.
#[component]
fn Activity(entries: Vec<ActivityEntry>) -> impl IntoView {
    view! {
        <section class="mv-activity" aria-label="Recent activity">
            <h3 class="mv-activity-title">"Activity"</h3>
            <ol class="mv-activity-list" data-testid="activity">
                {entries.into_iter().take(5).map(|e| {
                    let when = local_clock(&e.at);
                    view! {
                        <li data-testid="activity-entry" class="mv-activity-entry">
                            {describe(&e)}<span class="mv-muted">" · "{when}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// The agent's local wall-clock time of a UTC timestamp.
fn local_clock(iso: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if d.get_time().is_nan() {
        return iso.to_owned();
    }
    clock(d.get_hours(), d.get_minutes(), d.get_seconds())
}

#[component]
fn ErrorBanner(error: ApiError) -> impl IntoView {
    view! {
        // Announced through the widget's polite live region, not as an interruption.
        <div class="mv-error" data-testid="error">
            <p class="mv-error-text">{human_message(&error)}</p>
            <code class="mv-error-code" data-testid="error-code">{error.code.clone()}</code>
        </div>
    }
}

#[component]
fn RecordingList(
    recs: Vec<Recording>,
    selected: ReadSignal<Option<String>>,
    set_selected: WriteSignal<Option<String>>,
    fetched_at: f64,
    now_ms: ReadSignal<f64>,
) -> impl IntoView {
    view! {
        <ul class="mv-list" data-testid="recordings" aria-label="Recordings, newest first">
            {recs.into_iter().map(|r| {
                let id = r.id.clone();
                let open = {
                    let id = id.clone();
                    move || selected.get().as_deref() == Some(id.as_str())
                };
                let status = r.status.as_str().to_owned();
                view! {
                    <li class="mv-row" data-testid="recording-row" data-recording-id=id.clone()
                        data-status=status.clone()>
                        <button class="mv-row-button" aria-expanded=move || open().to_string()
                            on:click={
                                let id = id.clone();
                                move |_| set_selected.update(|s| {
                                    *s = if s.as_deref() == Some(id.as_str()) { None } else { Some(id.clone()) }
                                })
                            }>
                            <span class="mv-id" data-testid="recording-id">{id.clone()}</span>
                            <span class=format!("mv-status mv-status-{}", css_token(&status))
                                data-testid="recording-status">{status.clone()}</span>
                            <span class="mv-duration" data-testid="recording-duration">
                                {let rec = r.clone();
                                 move || format_duration(live_duration(&rec, fetched_at, now_ms.get()))}</span>
                            <span class="mv-size" data-testid="recording-size">{format_size(r.size_bytes)}</span>
                            // Its visible text names it; this tells what pressing does.
                            <span class="mv-sr-only">", show details"</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Details(call: String, rec_id: String, api: Api, on_close: impl Fn() + 'static) -> impl IntoView {
    let meta = LocalResource::new({
        let (call, rec_id, api) = (call.clone(), rec_id.clone(), api.clone());
        move || {
            let (call, rec_id, api) = (call.clone(), rec_id.clone(), api.clone());
            async move { api.get(&call, &rec_id).await }
        }
    });
    view! {
        <section class="mv-details" data-testid="details" aria-label=format!("Details of recording {rec_id}")>
            <header class="mv-details-header">
                <h3>"Recording "{rec_id.clone()}</h3>
                <button class="mv-link" data-testid="close-details" on:click=move |_| on_close()>"Close"</button>
            </header>
            <Transition fallback=|| view! { <p role="status">"Loading details…"</p> }>
                {move || Suspend::new(async move {
                    match meta.await {
                        Ok(r) => view! { <MetadataTable rec=r/> }.into_any(),
                        Err(e) => view! { <ErrorBanner error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MetadataTable(rec: Recording) -> impl IntoView {
    let mut rows = vec![
        ("id".to_owned(), rec.id.clone()),
        ("status".to_owned(), rec.status.as_str().to_owned()),
        ("duration".to_owned(), format_duration(rec.duration_seconds)),
        (
            "size".to_owned(),
            format!("{} ({} bytes)", format_size(rec.size_bytes), rec.size_bytes),
        ),
    ];
    // Fields MiniVoice adds later are shown too, not dropped.
    rows.extend(rec.extra.iter().map(|(k, v)| (k.clone(), display_value(v))));
    view! {
        <dl class="mv-meta" data-testid="metadata">
            {rows.into_iter().map(|(k, v)| {
                let field = k.clone();
                view! { <div class="mv-meta-row" data-field=field><dt>{k}</dt><dd>{v}</dd></div> }
            }).collect_view()}
        </dl>
    }
}

/// A status as a CSS class suffix; unknown statuses still get a (neutral) class.
fn css_token(status: &str) -> String {
    status
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
