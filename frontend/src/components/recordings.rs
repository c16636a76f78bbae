//! The call's recordings, newest first: loading, empty and unavailable states, and one row
//! per recording that opens its details.

use leptos::either::EitherOf4;
use leptos::prelude::*;
use minivoice_shared::{Recording, TimelineEntry};

use super::activity::TimelineAnswer;
use crate::i18n::{fill, intl, language, split_slot, texts};
use crate::model::ApiError;
use crate::state::{live_duration, newest_first, status_word};
use crate::timeline::events_for;

/// One answer to "which recordings does the call have?".
#[derive(Clone)]
pub struct ListAnswer {
    /// The generation it was asked for: it is current only while that is the latest.
    pub generation: u64,
    pub result: Result<Vec<Recording>, ApiError>,
    /// When the answer arrived (ms): a started recording's time ticks on from here.
    pub fetched_at: f64,
}

/// The list as `list` last answered; the loading line only before the first answer.
/// `on_retry` asks for the list again; `timeline` tells each row what arrived for it.
#[component]
pub fn Recordings(
    list: ReadSignal<Option<ListAnswer>>,
    timeline: TimelineAnswer,
    selected: ReadSignal<Option<String>>,
    set_selected: WriteSignal<Option<String>>,
    now_ms: ReadSignal<f64>,
    on_retry: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = texts();
    // The Start button's name, in bold, where the language puts it.
    let (before, after) = split_slot(t.empty()).unwrap_or((t.empty(), ""));
    move || match list.get() {
        None => EitherOf4::A(view! {
            <p class="mv-loading" role="status" data-testid="loading">{t.loading_recordings()}</p>
        }),
        Some(ListAnswer {
            result: Ok(recs), ..
        }) if recs.is_empty() => EitherOf4::B(view! {
            <p class="mv-empty" data-testid="empty" role="status">
                {before}<strong>{t.start_recording()}</strong>{after}
            </p>
        }),
        Some(ListAnswer {
            result: Ok(recs),
            fetched_at,
            ..
        }) => EitherOf4::C(view! {
            // Rebuilt in place when the timeline arrives, so each row says what it heard.
            <RecordingList recs=newest_first(recs) selected set_selected fetched_at now_ms
                timeline=timeline.get().and_then(Result::ok).unwrap_or_default()/>
        }),
        Some(ListAnswer { result: Err(_), .. }) => EitherOf4::D(view! {
            <p class="mv-empty" data-testid="list-unavailable">
                {t.list_unavailable()}" "
                <button class="mv-link" data-testid="retry"
                    on:click=move |_| on_retry()>{t.try_again()}</button>
            </p>
        }),
    }
}

#[component]
fn RecordingList(
    recs: Vec<Recording>,
    selected: ReadSignal<Option<String>>,
    set_selected: WriteSignal<Option<String>>,
    fetched_at: f64,
    now_ms: ReadSignal<f64>,
    timeline: Vec<TimelineEntry>,
) -> impl IntoView {
    view! {
        <ul class="mv-list" data-testid="recordings" aria-label=texts().newest_first()>
            {recs.into_iter().map(|rec| view! {
                <RecordingRow heard=events_for(&timeline, &rec.id) rec selected set_selected fetched_at now_ms/>
            }).collect_view()}
        </ul>
    }
}

/// One recording; pressing it opens (or closes) its details. A started recording's duration
/// ticks on from `fetched_at`, when MiniVoice last said it. Below it, muted, what MiniVoice
/// reported about it (`heard`: a transcript ready, …).
#[component]
fn RecordingRow(
    rec: Recording,
    selected: ReadSignal<Option<String>>,
    set_selected: WriteSignal<Option<String>>,
    fetched_at: f64,
    now_ms: ReadSignal<f64>,
    heard: String,
) -> impl IntoView {
    let id = rec.id.clone();
    let open = {
        let id = id.clone();
        move || selected.get().as_deref() == Some(id.as_str())
    };
    let status = rec.status.as_str().to_owned();
    let word = status_word(language().texts, &rec.status).to_owned();
    let l = language();
    let t = l.texts;
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
                    data-testid="recording-status">{word}</span>
                <span class="mv-duration" data-testid="recording-duration">
                    {let rec = rec.clone();
                     move || intl::duration(l.locale(), live_duration(&rec, fetched_at, now_ms.get()))}</span>
                <span class="mv-size" data-testid="recording-size">{intl::size(l.locale(), rec.size_bytes)}</span>
                // Its visible text names it; this tells what pressing does.
                <span class="mv-sr-only">{t.show_details()}</span>
            </button>
            {(!heard.is_empty()).then(|| view! {
                <p class="mv-events mv-muted" data-testid="recording-events">{fill(t.events(), &[&heard])}</p>
            })}
        </li>
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
