//! The widget's top lines: which call (and whether it is the sandbox), then the call's state
//! and how changes reach the widget.

use leptos::prelude::*;

use crate::live::LiveState;
use crate::state::call_state_text;

/// The title, the call, and the sandbox badge when the proxy says it is simulated.
#[component]
pub fn Header(call_id: String, sandbox: Signal<bool>) -> impl IntoView {
    view! {
        <header class="mv-header">
            <h2 class="mv-title">"Recordings"</h2>
            <span class="mv-call" data-testid="call-id">{call_id}</span>
            {move || sandbox.get().then(|| view! {
                <span class="mv-badge" data-testid="sandbox-badge"
                    title="Simulated MiniVoice: no real call is recorded">"Sandbox"</span>
            })}
        </header>
    }
}

/// The call's state, and the live indicator.
#[component]
pub fn StatusLine(
    completed: Signal<bool>,
    has_recordings: Signal<bool>,
    live: ReadSignal<LiveState>,
) -> impl IntoView {
    view! {
        <div class="mv-state" role="status">
            <span class="mv-call-state" data-testid="call-state"
                data-status=move || if completed.get() { "completed" } else { "in_progress" }>
                {move || call_state_text(completed.get(), has_recordings.get())}
            </span>
            <span class="mv-live" data-testid="live-state" data-state=move || live.get().as_str()>
                {move || live.get().label()}
            </span>
        </div>
    }
}
