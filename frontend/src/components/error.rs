//! An error as an agent reads it, with the code support asks for.

use leptos::prelude::*;

use crate::i18n::texts;
use crate::model::ApiError;
use crate::state::human_message;

#[component]
pub fn ErrorBanner(error: ApiError) -> impl IntoView {
    view! {
        // Announced through the widget's polite live region, not as an interruption.
        <div class="mv-error" data-testid="error">
            <p class="mv-error-text">{human_message(texts(), &error)}</p>
            <code class="mv-error-code" data-testid="error-code">{error.code.as_str().to_owned()}</code>
        </div>
    }
}
