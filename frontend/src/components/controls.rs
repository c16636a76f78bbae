//! Start and Stop, and the sign that an action is under way.

use leptos::prelude::*;

use crate::state::Controls;

/// `buttons` says which action is offered, `busy` whether one is under way; `act` runs one.
#[component]
pub fn RecordingControls(
    call_id: String,
    buttons: Memo<Controls>,
    busy: ReadSignal<bool>,
    act: Callback<minivoice_shared::Action>,
) -> impl IntoView {
    // The DOM's `disabled` lags a click by a render; the rule is checked again at the click so
    // a double click dispatches once.
    let press = move |action: minivoice_shared::Action| {
        let allowed = buttons.get_untracked();
        let ok = match action {
            minivoice_shared::Action::Start => allowed.start,
            minivoice_shared::Action::Stop => allowed.stop,
            minivoice_shared::Action::Pause | minivoice_shared::Action::Resume => false,
        };
        if ok {
            act.run(action);
        }
    };
    view! {
        <div class="mv-controls" role="group" aria-label="Recording controls">
            <button class="mv-button mv-start" data-testid="start"
                aria-label=format!("Start recording call {call_id}")
                disabled=move || !buttons.get().start
                on:click=move |_| press(minivoice_shared::Action::Start)>
                <span aria-hidden="true">"● "</span>"Start recording"
            </button>
            <button class="mv-button mv-stop" data-testid="stop"
                aria-label=format!("Stop recording call {call_id}")
                disabled=move || !buttons.get().stop
                on:click=move |_| press(minivoice_shared::Action::Stop)>
                <span aria-hidden="true">"■ "</span>"Stop recording"
            </button>
            {move || busy.get().then(|| view! {
                <span class="mv-busy" role="status" data-testid="busy">"Working…"</span>
            })}
        </div>
    }
}
