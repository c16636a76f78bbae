//! The call's latest actions, from the proxy's audit trail.

use leptos::prelude::*;
use minivoice_shared::ActivityEntry;

use crate::api::ApiError;
use crate::state::{clock, describe};

/// The trail once loaded; nothing while it loads, when it is empty, or when it failed.
#[component]
pub fn Activity(
    history: ReadSignal<Option<Result<Vec<ActivityEntry>, ApiError>>>,
) -> impl IntoView {
    move || {
        history
            .get()
            .and_then(Result::ok)
            .filter(|h| !h.is_empty())
            .map(|h| view! { <ActivityLog entries=h/> })
    }
}

/// The newest five entries, each with the agent's local time.
#[component]
fn ActivityLog(entries: Vec<ActivityEntry>) -> impl IntoView {
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
