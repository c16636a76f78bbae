//! What shows when no call is named.

use leptos::prelude::*;

use crate::i18n::{language, split_slot};

#[component]
pub fn NoCall() -> impl IntoView {
    let l = language();
    let t = l.texts;
    let (before, after) = split_slot(t.no_call()).unwrap_or((t.no_call(), ""));
    view! {
        <section class="mv-widget" lang=l.lang.tag() aria-label=t.call_recordings()>
            <p class="mv-empty" data-testid="no-call" role="status">
                {before}<code>"?call_id=…"</code>{after}
            </p>
        </section>
    }
}
