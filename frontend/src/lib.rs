//! The MiniVoice call-recording widget: one call's recordings, Start/Stop, details, and clear
//! loading, empty and error states. It talks only to the proxy, through [`api`].
//!
//! Our own page mounts a widget through [`mount_page`]; the `<minivoice-recordings>` element
//! mounts a widget through [`embed`]. The parts of the widget are in `components`.

pub mod api;
mod components;
pub mod embed;
pub mod fetch;
pub mod i18n;
pub mod live;
mod load;
pub mod model;
pub mod params;
pub mod state;
#[cfg(feature = "supervisor")]
pub mod supervisor;
pub mod timeline;

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::Api;
use crate::components::NoCall;
use crate::embed::Host;
use crate::i18n::{Lang, Language};

pub use crate::components::Widget;
pub use crate::embed::{mount_widget, WidgetHandle};
pub use crate::params::{params_from_location, Params};

/// Mounts the full-page widget (our own page and `/embed`) where the page asks for it.
pub fn mount_page() {
    report_panics();
    let target = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("minivoice-app"));
    if let Some(target) = target {
        use wasm_bindgen::JsCast;
        // The page's brand heading, hidden until now (`index.html` says why), shows with the
        // widget.
        if let Some(brand) = target.first_element_child() {
            let _ = brand.remove_attribute("hidden");
        }
        let params = params_from_location();
        let api = Api::new(&params.api_base, params.token);
        let language = i18n::choose_in_browser(&params.lang.unwrap_or_default());
        // Mounted for the page's lifetime; the catalogs are beside the page.
        std::mem::forget(mount(
            target.unchecked_into(),
            Host::page(),
            params.call_id,
            api,
            (language, "/".into()),
        ));
    }
}

/// Mounts the widget for `call_id` into `target`, in `language` (chosen, and where its
/// catalog is: `crate::i18n::when_loaded`); dropping the answer unmounts it. The page and the
/// element both mount through here, so Leptos' mounting code is in the wasm once.
pub(crate) fn mount(
    target: web_sys::HtmlElement,
    host: Host,
    call_id: Option<String>,
    api: Api,
    (language, assets): (Lang, String),
) -> Box<dyn Any> {
    // Mounted once the agent's words are here (at once in English), never in English first.
    // Not a view that waits for them: wrapping the whole widget in a reactive view would make
    // every part of it rebuildable, at several KB of wasm.
    let mounted: Rc<RefCell<Option<Box<dyn Any>>>> = Rc::default();
    let slot = Rc::downgrade(&mounted);
    let show = move |language: Language| {
        // Unmounted while its catalog was on the way: nothing to show.
        let Some(slot) = slot.upgrade() else { return };
        *slot.borrow_mut() = Some(Box::new(leptos::mount::mount_to(target, move || {
            provide_context(host.clone());
            provide_context(language);
            widget_for(call_id.clone(), api.clone())
        })));
    };
    i18n::when_loaded(language, &assets, Box::new(show));
    Box::new(mounted)
}

/// A panic says why in the console instead of a bare "unreachable". (The
/// `console_error_panic_hook` crate adds a JS stack trace, at 1 KB of the byte budget.)
pub(crate) fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
    }));
}

/// The widget for `call_id`, or what shows without one. The page and the element mount this
/// one view type, so its code is in the wasm once.
pub fn widget_for(call_id: Option<String>, api: Api) -> impl IntoView {
    match call_id {
        Some(call_id) => Either::Left(view! { <Widget call_id api/> }),
        None => Either::Right(view! { <NoCall/> }),
    }
}
