//! One recording's details, fetched when its row is opened.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use minivoice_shared::Recording;

use super::error::ErrorBanner;
use crate::api::Api;
use crate::i18n::{fill, intl, language, texts};
use crate::load::load;
use crate::model::shown;
use crate::state::status_word;

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
    let t = texts();
    view! {
        <section class="mv-details" data-testid="details" aria-label=fill(t.details_of(), &[&rec_id])>
            <header class="mv-details-header">
                <h3>{fill(t.recording_n(), &[&rec_id])}</h3>
                <button class="mv-link" data-testid="close-details" on:click=move |_| on_close()>{t.close()}</button>
            </header>
            {move || match meta.get() {
                None => EitherOf3::A(view! { <p role="status">{t.loading_details()}</p> }),
                Some(Ok(r)) => EitherOf3::B(view! { <MetadataTable rec=r/> }),
                Some(Err(e)) => EitherOf3::C(view! { <ErrorBanner error=e/> }),
            }}
        </section>
    }
}

/// Every field of the recording, as `<dl>` rows tagged with the field's name; the fields the
/// widget knows are labelled in the agent's language, the others (MiniVoice adds fields
/// later) are shown too, not dropped, by their own names.
#[component]
fn MetadataTable(rec: Recording) -> impl IntoView {
    let l = language();
    let (t, locale) = (l.texts, l.locale());
    let size = format!(
        "{} ({})",
        intl::size(locale, rec.size_bytes),
        intl::byte_count(locale, rec.size_bytes)
    );
    let mut rows = vec![
        ("id".to_owned(), t.field_id().to_owned(), rec.id.clone()),
        (
            "status".into(),
            t.field_status().into(),
            status_word(t, &rec.status).into(),
        ),
        (
            "duration".into(),
            t.field_duration().into(),
            intl::duration(locale, rec.duration_seconds),
        ),
        ("size".into(), t.field_size().into(), size),
    ];
    rows.extend(
        rec.extra
            .iter()
            .map(|(name, value)| (name.clone(), name.clone(), shown(value))),
    );
    view! {
        <dl class="mv-meta" data-testid="metadata">
            {rows.into_iter().map(|(name, label, value)| view! {
                <div class="mv-meta-row" data-field=name><dt>{label}</dt><dd>{value}</dd></div>
            }).collect_view()}
        </dl>
    }
}
