//! The widget's top lines: which call (and whether it is the sandbox), then the call's state
//! and how changes reach the widget, and the open pause.

use leptos::prelude::*;
use minivoice_shared::CallState;

use crate::i18n::{intl, language, texts};
use crate::live::LiveState;
use crate::state::{call_state_text, paused_text, resume_countdown};

/// The title, the call, and the sandbox badge when the proxy says it is simulated.
#[component]
pub fn Header(
    call_id: String,
    sandbox: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let t = texts();
    view! {
        <header class="mv-header">
            <h2 class="mv-title">{t.recordings()}</h2>
            <span class="mv-call" data-testid="call-id">{call_id}</span>
            {move || sandbox().then(|| view! {
                <span class="mv-badge" data-testid="sandbox-badge"
                    title=t.sandbox_title()>{t.sandbox()}</span>
            })}
        </header>
    }
}

/// The call's state (`phase`, see `state::call_phase`), and the live indicator.
#[component]
pub fn StatusLine(
    phase: impl Fn() -> &'static str + Send + Sync + 'static,
    has_recordings: impl Fn() -> bool + Send + Sync + 'static,
    live: ReadSignal<LiveState>,
) -> impl IntoView {
    let t = texts();
    view! {
        // One reactive closure for the line, not one per text and attribute (each costs the
        // wasm its own code); the `role=status` region itself stays put.
        <div class="mv-state" role="status">
            {move || {
                let (phase, live) = (phase(), live.get());
                view! {
                    <span class="mv-call-state" data-testid="call-state" data-status=phase>
                        {call_state_text(t, phase, has_recordings())}
                    </span>
                    <span class="mv-live" data-testid="live-state" data-state=live.as_str()>
                        {live.label(t)}
                    </span>
                }
            }}
        </div>
    }
}

/// The open pause: who, why, and when the server resumes by itself, counting down with the
/// widget's clock. Only the countdown is rebuilt each second, and it is not live: read out
/// every second it would drown everything else (the announcer says when a pause begins and
/// ends).
#[component]
pub fn PausedBanner(
    pause: impl Fn() -> Option<CallState> + Send + Sync + 'static,
    now_ms: ReadSignal<f64>,
) -> impl IntoView {
    let l = language();
    let (t, locale) = (l.texts, l.locale());
    // Rebuilt in place on every refresh: the same pause leaves the DOM (and the live region)
    // as it was.
    move || {
        pause().map(|p| {
            let resume_at = p.resume_at.as_deref().map(js_sys::Date::parse);
            // The clock ticks each second, so it may read a moment before the pause began:
            // never count from before it (the first figure is then the whole pause, 3:00).
            let began = p.paused_at.as_deref().map_or(0.0, js_sys::Date::parse);
            view! {
                <p class="mv-paused" role="status" data-testid="paused-banner">
                    <strong>{paused_text(t, &p)}</strong>" · "
                    <span aria-live="off" data-testid="resume-countdown">
                        {move || resume_countdown(t, resume_at, now_ms.get().max(began),
                            |s| intl::duration(locale, s))}
                    </span>
                </p>
            }
        })
    }
}
