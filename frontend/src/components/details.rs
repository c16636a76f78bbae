//! One recording's details, fetched when its row is opened.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use super::error::ErrorBanner;
use crate::api::Api;
use crate::load::load;
use crate::markup::field_rows;
use crate::recording::Recording;
use crate::state::{format_duration, format_size};

#[component]
pub fn Details(
    call: String,
    rec_id: String,
    api: Api,
    on_close: impl Fn() + 'static,
) -> impl IntoView {
    let meta = load({
        let (call, rec_id, api) = (call.clone(), rec_id.clone(), api.clone());
        move || {
            let (call, rec_id, api) = (call.clone(), rec_id.clone(), api.clone());
            async move { api.recording(&call, &rec_id).await }
        }
    });
    view! {
        <section class="mv-details" data-testid="details" aria-label=format!("Details of recording {rec_id}")>
            <header class="mv-details-header">
                <h3>"Recording "{rec_id.clone()}</h3>
                <button class="mv-link" data-testid="close-details" on:click=move |_| on_close()>"Close"</button>
            </header>
            {move || match meta.get() {
                None => EitherOf3::A(view! { <p role="status">"Loading details…"</p> }),
                Some(Ok(r)) => EitherOf3::B(view! { <MetadataTable rec=r/> }),
                Some(Err(e)) => EitherOf3::C(view! { <ErrorBanner error=e/> }),
            }}
        </section>
    }
}

/// Every field of the recording, as `<dl>` rows tagged with the field's name.
#[component]
fn MetadataTable(rec: Recording) -> impl IntoView {
    let mut rows = vec![
        ("id".to_owned(), rec.id),
        ("status".to_owned(), rec.status.as_str().to_owned()),
        ("duration".to_owned(), format_duration(rec.duration_seconds)),
        (
            "size".to_owned(),
            format!("{} ({} bytes)", format_size(rec.size_bytes), rec.size_bytes),
        ),
    ];
    // Fields MiniVoice adds later are shown too, not dropped.
    rows.extend(rec.more);
    // Text only: see `crate::markup`.
    view! { <dl class="mv-meta" data-testid="metadata" inner_html=field_rows(&rows)></dl> }
}
