//! The call's story, from the proxy's timeline: agents' actions, the call's end, and what
//! MiniVoice reported later, newest first.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{intl, language};
use crate::markup::activity_entry;
use crate::timeline::{describe, latest, Entry};

/// The timeline as `GET …/timeline` answers it.
pub type TimelineAnswer = ReadSignal<Option<Result<Vec<Entry>, ApiError>>>;

/// The latest entries once loaded; nothing while it loads, when it is empty, or when it failed.
#[component]
pub fn Activity(timeline: TimelineAnswer) -> impl IntoView {
    move || {
        timeline
            .get()
            .and_then(Result::ok)
            .filter(|t| !t.is_empty())
            .map(|t| view! { <ActivityLog entries=latest(t)/> })
    }
}

/// Each entry with the agent's local time (the list is text only: see `crate::markup`).
#[component]
fn ActivityLog(entries: Vec<Entry>) -> impl IntoView {
    let l = language();
    let t = l.texts;
    let items: String = entries
        .iter()
        .map(|e| {
            let when = intl::time(l.locale(), &e.at);
            activity_entry(&describe(t, e), &when, e.event.as_deref())
        })
        .collect();
    view! {
        <section class="mv-activity" aria-label=t.recent_activity()>
            <h3 class="mv-activity-title">{t.activity()}</h3>
            <ol class="mv-activity-list" data-testid="activity" inner_html=items></ol>
        </section>
    }
}
