//! Start, Stop, Pause and Resume, and the sign that an action is under way.

use leptos::prelude::*;
use minivoice_shared::Action;

use crate::i18n::{fill, texts};
use crate::state::Controls;

/// `buttons` says which actions are offered, `busy` whether one is under way; `act` runs one.
#[component]
pub fn RecordingControls(
    call_id: String,
    buttons: impl Fn() -> Controls + Copy + Send + Sync + 'static,
    busy: ReadSignal<bool>,
    act: Callback<Action>,
) -> impl IntoView {
    // The DOM's `disabled` lags a click by a render; the rule is checked again at the click so
    // a double click dispatches once.
    let press = Callback::new(move |action| {
        if untrack(buttons).allows(action) {
            act.run(action);
        }
    });
    let t = texts();
    // One component for the four: its view code is in the wasm once (the byte budget).
    let button = |action, icon, label, quiet| {
        view! { <ActionButton action icon label quiet call_id=call_id.clone() buttons press/> }
    };
    view! {
        <div class="mv-controls" role="group" aria-label=t.recording_controls()>
            {button(Action::Start, "● ", t.start_recording(), false)}
            {button(Action::Pause, "❚❚ ", t.pause_recording(), true)}
            {button(Action::Resume, "▶\u{FE0E} ", t.resume_recording(), false)}
            {button(Action::Stop, "■ ", t.stop_recording(), true)}
            {move || busy.get().then(|| view! {
                <span class="mv-busy" role="status" data-testid="busy">{t.working()}</span>
            })}
        </div>
    }
}

/// One native button, so Tab reaches it and Enter or Space presses it; named with the call
/// ("Pause recording call call_123") for an agent with several widgets open. `quiet` buttons
/// (Stop, Pause) are outlined: the accent goes to what records.
#[component]
fn ActionButton(
    action: Action,
    icon: &'static str,
    label: &'static str,
    quiet: bool,
    call_id: String,
    buttons: impl Fn() -> Controls + Send + Sync + 'static,
    press: Callback<Action>,
) -> impl IntoView {
    view! {
        <button class=if quiet { "mv-button mv-quiet" } else { "mv-button" }
            data-testid=action.as_str()
            aria-label=fill(texts().button_for_call(), &[label, &call_id])
            disabled=move || !buttons().allows(action)
            on:click=move |_| press.run(action)>
            <span aria-hidden="true">{icon}</span>{label}
        </button>
    }
}
