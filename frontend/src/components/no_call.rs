//! What shows when no call is named.

use leptos::prelude::*;

#[component]
pub fn NoCall() -> impl IntoView {
    view! {
        <section class="mv-widget" aria-label="Call recordings">
            <p class="mv-empty" data-testid="no-call" role="status">
                "No call selected. Open this page with "<code>"?call_id=…"</code>"."
            </p>
        </section>
    }
}
