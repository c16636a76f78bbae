//! The call's story, from the proxy's timeline: agents' actions, the call's end, and what
//! MiniVoice reported later, newest first.

use leptos::prelude::*;
use minivoice_shared::TimelineEntry;

use crate::i18n::{intl, language};
use crate::model::{json_text, ApiError};
use crate::timeline::{describe, latest};

/// The timeline as `GET …/timeline` answers it.
pub type TimelineAnswer = ReadSignal<Option<Result<Vec<TimelineEntry>, ApiError>>>;

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

/// Each entry with the agent's local time.
#[component]
fn ActivityLog(entries: Vec<TimelineEntry>) -> impl IntoView {
    let t = language().texts;
    view! {
        <section class="mv-activity" aria-label=t.recent_activity()>
            <h3 class="mv-activity-title">{t.activity()}</h3>
            <ol class="mv-activity-list" data-testid="activity">
                {entries.into_iter().map(|entry| view! { <ActivityEntry entry/> }).collect_view()}
            </ol>
        </section>
    }
}

/// One entry: its line and (muted) local time; a webhook's payload, when there is one, behind
/// a native `<details>` (keyboard and screen-reader ready, and no code of ours), indented
/// for a person to read.
#[component]
fn ActivityEntry(entry: TimelineEntry) -> impl IntoView {
    let l = language();
    let line = describe(l.texts, &entry);
    let when = format!(" · {}", intl::time(l.locale(), &entry.at));
    let line = view! { {line}<span class="mv-muted">{when}</span> };
    let payload = entry.event.as_ref().map(|event| json_text(event, true));
    view! {
        <li data-testid="activity-entry">
            {match payload {
                Some(json) => leptos::either::Either::Left(view! {
                    <details><summary>{line}</summary><pre class="mv-event">{json}</pre></details>
                }),
                None => leptos::either::Either::Right(line),
            }}
        </li>
    }
}
