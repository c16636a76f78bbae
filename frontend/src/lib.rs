//! The MiniVoice call-recording widget: one call's recordings, Start/Stop, details, and clear
//! loading, empty and error states. It talks only to the proxy, through [`api`].
//!
//! Our own page mounts [`App`] (through [`mount_page`]); the `<minivoice-recordings>` element
//! mounts a widget through [`embed`]. The parts of the widget are in `components`.

pub mod api;
mod components;
pub mod embed;
mod json;
pub mod live;
mod load;
pub mod params;
pub mod state;

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::Api;
use crate::components::NoCall;

pub use crate::components::Widget;
pub use crate::embed::{mount_widget, WidgetHandle};
pub use crate::params::{params_from_location, Params};

/// Mounts the full-page widget (our own page and `/embed`) where the page asks for it.
pub fn mount_page() {
    // A panic says why in the console instead of a bare "unreachable".
    console_error_panic_hook::set_once();
    let target = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("minivoice-app"));
    if let Some(target) = target {
        use wasm_bindgen::JsCast;
        let target: web_sys::HtmlElement = target.unchecked_into();
        leptos::mount::mount_to(target, App).forget();
    }
}

/// The full-page widget, for the call the page URL names.
#[component]
pub fn App() -> impl IntoView {
    let params = params_from_location();
    let api = Api::new(&params.api_base, params.token);
    match params.call_id {
        Some(call_id) => Either::Left(view! { <Widget call_id api/> }),
        None => Either::Right(view! { <NoCall/> }),
    }
}
