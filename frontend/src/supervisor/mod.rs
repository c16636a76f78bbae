//! The supervisor's view: every call being recorded or paused now, on every replica, with who,
//! why and the countdown to the automatic resume; Resume on a paused call, in the supervisor's
//! own name; a link to each call's story; and the pause report for a range, as CSV. Served as
//! `/supervisor` ([`mount_page`]) and as the `<minivoice-supervisor>` element
//! ([`mount_supervisor`], from the recordings element's script). The routes it reads are in
//! `docs/supervisor.md`.

mod calls;
mod report;

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;

use minivoice_shared::ProxyCode;

use crate::i18n::{self, Lang, Language, Texts};
use crate::model::ApiError;
use crate::state::human_message;

/// Where the supervisor's requests go, with their token, and where a call's story is.
#[derive(Clone)]
pub(crate) struct Endpoints {
    /// The proxy's API root, without a trailing `/` (`/api`, `https://proxy.example/api`).
    base: String,
    token: Option<String>,
    /// The widget's page (`/`, `https://proxy.example/`): a call's story is its `?call_id=`.
    page: String,
}

impl Endpoints {
    fn new(base: &str, token: Option<String>, page: String) -> Endpoints {
        Endpoints {
            base: base.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
            page,
        }
    }

    fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A page of the calls being recorded or paused.
    fn calls(&self, cursor: Option<&str>) -> String {
        let mut url = format!("{}/calls?state=active&limit=200", self.base);
        if let Some(cursor) = cursor {
            url.push_str("&cursor=");
            url.push_str(&encode(cursor));
        }
        url
    }

    /// Every call's event stream. EventSource sends no headers: the token rides in the query.
    fn events(&self) -> String {
        let mut url = format!("{}/events", self.base);
        if let Some(t) = self.token() {
            url.push_str("?access_token=");
            url.push_str(&encode(t));
        }
        url
    }

    /// The route an agent's widget resumes through: the supervisor acts in their own name.
    fn resume(&self, call_id: &str) -> String {
        format!("{}/calls/{}/resume", self.base, encode(call_id))
    }

    /// The pause report for `[from, to)` (RFC 3339).
    fn report(&self, from: &str, to: &str) -> String {
        format!(
            "{}/reports/pauses?from={}&to={}",
            self.base,
            encode(from),
            encode(to)
        )
    }

    /// The call's widget, its story (the activity) with it; the token in the fragment, as
    /// `/embed` takes it.
    fn story(&self, call_id: &str) -> String {
        let mut url = format!("{}?call_id={}", self.page, encode(call_id));
        if let Some(t) = self.token() {
            url.push_str("#token=");
            url.push_str(&encode(t));
        }
        url
    }
}

/// What a supervisor reads for an error: the supervisor's routes' own refusals, else as the
/// widget says it.
fn explained(t: &Texts, err: &ApiError) -> String {
    let text = match err.code.as_str() {
        c if c == ProxyCode::SupervisorRequired.as_str() => t.sup_err_supervisor_required(),
        c if c == ProxyCode::InvalidRange.as_str() => t.sup_err_invalid_range(),
        c if c == ProxyCode::InvertedRange.as_str() => t.sup_err_inverted_range(),
        c if c == ProxyCode::RangeTooLong.as_str() => t.sup_err_range_too_long(),
        _ => return human_message(t, err),
    };
    text.into()
}

/// One URL component, percent-encoded (the proxy validates IDs; this keeps any inside it).
fn encode(part: &str) -> String {
    js_sys::encode_uri_component(part).into()
}

/// Mounts the supervisor's view where the page asks for it (`supervisor.html`, served at
/// `/supervisor`).
pub fn mount_page() {
    let target = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("minivoice-app"));
    let Some(target) = target else { return };
    crate::report_panics();
    let params = crate::params_from_location();
    let endpoints = Endpoints::new(&params.api_base, params.token, "/".into());
    let lang = i18n::choose_in_browser(&params.lang.unwrap_or_default());
    // Mounted for the page's lifetime; the catalogs are the widget's, at the site's root.
    std::mem::forget(mount(target.unchecked_into(), endpoints, lang, "/".into()));
}

/// A supervisor's view mounted by the `<minivoice-supervisor>` element; unmounting releases
/// its event stream and timers.
#[wasm_bindgen]
pub struct SupervisorHandle {
    mounted: Option<Box<dyn Any>>,
}

#[wasm_bindgen]
impl SupervisorHandle {
    pub fn unmount(&mut self) {
        self.mounted.take();
    }
}

/// Mounts the supervisor's view into `target` (inside the element's shadow root), talking to
/// `api_base` with `token`, in the element's `lang` (else the browser's); `assets` is where
/// the widget's files are: the language catalogs, and the page a call's story is on.
#[wasm_bindgen]
pub fn mount_supervisor(
    target: web_sys::HtmlElement,
    api_base: String,
    token: Option<String>,
    lang: String,
    assets: String,
) -> SupervisorHandle {
    crate::report_panics();
    let endpoints = Endpoints::new(&api_base, token, assets.clone());
    let lang = i18n::choose_in_browser(&lang);
    SupervisorHandle {
        mounted: Some(mount(target, endpoints, lang, assets)),
    }
}

/// Mounts the view once its words are here (at once in English); dropping the answer
/// unmounts it.
fn mount(
    target: web_sys::HtmlElement,
    endpoints: Endpoints,
    lang: Lang,
    assets: String,
) -> Box<dyn Any> {
    let mounted: Rc<RefCell<Option<Box<dyn Any>>>> = Rc::default();
    let slot = Rc::downgrade(&mounted);
    let show = move |language: Language| {
        // Unmounted while its catalog was on the way: nothing to show.
        let Some(slot) = slot.upgrade() else { return };
        *slot.borrow_mut() = Some(Box::new(leptos::mount::mount_to(target, move || {
            provide_context(language);
            view! { <calls::Supervisor endpoints/> }
        })));
    };
    i18n::when_loaded(lang, &assets, Box::new(show));
    Box::new(mounted)
}
