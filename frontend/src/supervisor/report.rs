//! The pause report form: a range in the supervisor's local time, downloaded as CSV
//! (`GET /api/reports/pauses` with `Accept: text/csv`). Fetched, not linked: the token goes
//! in a header, never in a URL a download manager or a log keeps.

use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use minivoice_shared::ClientCode;
use serde::de::IgnoredAny;
use serde_wasm_bindgen::Deserializer;

use super::{explained, Endpoints};
use crate::fetch::decode;
use crate::i18n::{fill, texts};
use crate::model::{client_error, ApiError};

/// The default range: the last day.
const DAY_MS: f64 = 86_400_000.0;
/// The form holds whole minutes: the default end is the next one, so a pause made this
/// minute is in the report.
const MINUTE_MS: f64 = 60_000.0;

#[component]
pub(super) fn Report(endpoints: Endpoints) -> impl IntoView {
    let t = texts();
    let now = js_sys::Date::now();
    let from = RwSignal::new(local_input(now - DAY_MS));
    let to = RwSignal::new(local_input(now + MINUTE_MS));
    // What the last download did: `Ok` said it was saved, `Err` why not.
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let busy = RwSignal::new(false);
    let endpoints = StoredValue::new(endpoints);
    let download = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        outcome.set(None);
        let range = (utc(&from.get_untracked()), utc(&to.get_untracked()));
        let (url, token) =
            endpoints.with_value(|e| (e.report(&range.0, &range.1), e.token.clone()));
        spawn_local(async move {
            let done = match fetch_csv(&url, token.as_deref()).await {
                Ok(blob) => save(&blob),
                Err(e) => Err(explained(t, &e)),
            };
            busy.try_set(false);
            outcome.try_set(Some(
                done.map_err(|why| fill(t.sup_report_failed(), &[&why])),
            ));
        });
    };
    let field = move |label: &'static str, value: RwSignal<String>, testid: &'static str| {
        view! {
            <label class="mv-field">
                <span>{label}</span>
                <input type="datetime-local" class="mv-input" required=true data-testid=testid
                    value=value.get_untracked()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <form class="mv-report" data-testid="pause-report" on:submit=download>
            <h3 class="mv-activity-title">{t.sup_report()}</h3>
            <div class="mv-report-range">
                {field(t.sup_from(), from, "report-from")}
                {field(t.sup_to(), to, "report-to")}
            </div>
            <div class="mv-controls">
                <button type="submit" class="mv-button mv-quiet" data-testid="download-report"
                    disabled=move || busy.get()>
                    {t.sup_download()}
                </button>
                <span role="status" data-testid="report-outcome">
                    {move || outcome.get().map(|o| match o {
                        Ok(()) => view! { <span>{t.sup_report_ready()}</span> }.into_any(),
                        Err(why) => view! { <span class="mv-error-text">{why}</span> }.into_any(),
                    })}
                </span>
            </div>
        </form>
    }
}

/// The report as CSV, or why not (a refused range: the proxy's error, as every answer's).
async fn fetch_csv(url: &str, token: Option<&str>) -> Result<web_sys::Blob, ApiError> {
    let mut request = Request::get(url).header("Accept", "text/csv");
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let unreadable = |why: String| client_error(ClientCode::NetworkError, why);
    let response = request
        .send()
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    let (ok, status) = (response.ok(), response.status());
    let response = web_sys::Response::from(response);
    let body = if ok { response.blob() } else { response.json() };
    let body = body.map_err(|_| unreadable("no body".into()))?;
    let body = JsFuture::from(body).await;
    if ok {
        return body
            .map(|b| b.unchecked_into())
            .map_err(|_| unreadable("no body".into()));
    }
    let refused = decode::<IgnoredAny, _>(status, body.ok().map(Deserializer::from));
    Err(refused
        .err()
        .unwrap_or_else(|| unreadable(format!("HTTP {status}"))))
}

/// Hands `blob` to the browser as the download `pauses.csv`.
fn save(blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|_| "no URL".to_owned())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlElement = document
        .create_element("a")
        .map_err(|_| "no link")?
        .unchecked_into();
    let _ = link.set_attribute("href", &url);
    let _ = link.set_attribute("download", "pauses.csv");
    link.click();
    // Revoked once the browser has surely begun the download.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// `ms` since the epoch as a `datetime-local` input writes it, in local time.
fn local_input(ms: f64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A `datetime-local` value (local time) as RFC 3339 in UTC; unchanged when it is no date,
/// so the proxy says what is wrong with it (`invalid_range`).
fn utc(local: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_str(local));
    if d.get_time().is_nan() {
        return local.to_owned();
    }
    d.to_iso_string().into()
}
