//! The widget in any page, through the `<minivoice-recordings>` element (its script is
//! `server/src/embed/minivoice-recordings.js`): mounting into the element's shadow root,
//! releasing on unmount, the DOM events the embedding page hears, and the actions it may ask
//! for (`el.pause({reason})` and the like).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Object, Promise};
use leptos::prelude::*;
use minivoice_shared::{Action, ClientCode, ProxyCode, Recording};
use send_wrapper::SendWrapper;
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::api::Api;
use crate::model::ApiError;

/// The widget's action, as buttons press it: the recording it started or stopped, or why not.
pub(crate) type Act = Rc<
    dyn Fn(Action, Option<String>) -> Pin<Box<dyn Future<Output = Result<Recording, ApiError>>>>,
>;

/// Where a mounted widget puts its [`Act`] for the element's methods; empty before it is
/// mounted, after it is gone, and when no call is named.
type ActSlot = Rc<RefCell<Option<Act>>>;

/// A widget mounted by the `<minivoice-recordings>` element; unmounting releases everything
/// it holds (its event stream, timers, handlers).
#[wasm_bindgen]
pub struct WidgetHandle {
    mounted: Option<Box<dyn std::any::Any>>,
    call_id: String,
    act: ActSlot,
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn unmount(&mut self) {
        // First, so nothing can reach the widget's (disposed) state any more.
        self.act.take();
        self.mounted.take();
    }

    /// `action` (`"start"`, `"stop"`, `"pause"`, `"resume"`), as the widget's own button would
    /// take it, `reason` going with a pause. The proxy decides whether it is valid now (the
    /// page may know more than the buttons show). Resolves with `{callId, recordingId,
    /// status}`; rejects with an `Error` whose `code` is the proxy's error code.
    pub fn act(&self, action: JsValue, reason: JsValue) -> Promise {
        let pending = match action.as_string().as_deref().and_then(Action::from_known) {
            None => Err((ProxyCode::InvalidAction.as_str(), "no such action")),
            Some(action) => match self.act.borrow().as_ref() {
                Some(act) => Ok(act(action, reason.as_string())),
                None => Err((
                    ClientCode::WidgetUnavailable.as_str(),
                    "no widget is mounted for a call",
                )),
            },
        };
        let call_id = self.call_id.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            match pending {
                Ok(done) => match done.await {
                    Ok(r) => Ok(recording_detail(&call_id, &r)),
                    Err(e) => Err(error(e.code.as_str(), &e.message)),
                },
                Err((code, message)) => Err(error(code, message)),
            }
        })
    }
}

/// Mounts a widget into `target` (inside the element's shadow root); `host` is the custom
/// element, where the widget's DOM events are dispatched for the page to hear. `lang` is the
/// element's own `lang` (the page's may well be a template's `en`, whatever the agent reads);
/// `assets` is where the widget's files are, the language catalogs among them.
#[wasm_bindgen]
pub fn mount_widget(
    target: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    call_id: String,
    api_base: String,
    token: Option<String>,
    lang: String,
    assets: String,
) -> WidgetHandle {
    crate::report_panics();
    let api = Api::new(&api_base, token.filter(|t| !t.is_empty()));
    let act = ActSlot::default();
    let host = Host(Some(host), SendWrapper::new(act.clone()));
    let named = Some(call_id.clone()).filter(|c| !c.is_empty());
    WidgetHandle {
        mounted: Some(crate::mount(
            target,
            host,
            named,
            api,
            (crate::i18n::choose_in_browser(&lang), assets),
        )),
        call_id,
        act,
    }
}

/// The element hosting an embedded widget, if any: DOM events go there, and the element's
/// methods reach the widget's action through the slot. (Contexts must be `Send`; the page
/// has one thread, so the `Rc` is wrapped, not made an `Arc<Mutex>`.)
#[derive(Clone)]
pub(crate) struct Host(Option<web_sys::HtmlElement>, SendWrapper<ActSlot>);

impl Host {
    /// Our own page's: no element, so events go nowhere and nothing calls the slot.
    pub(crate) fn page() -> Host {
        Host(None, SendWrapper::new(ActSlot::default()))
    }

    /// The host the widget was mounted with (see `crate::mount`).
    pub(crate) fn from_context() -> Host {
        use_context::<Host>().unwrap_or_else(Host::page)
    }

    /// Offers the widget's action to the element's methods.
    pub(crate) fn serve(&self, act: Act) {
        *self.1.borrow_mut() = Some(act);
    }

    /// Tells the page how an action ended: `minivoice-recording-started`, `-stopped`,
    /// `-paused` or `-resumed` with the recording, or `minivoice-error` with the code.
    pub(crate) fn action_done(
        &self,
        call_id: &str,
        action: Action,
        result: &Result<Recording, ApiError>,
    ) {
        let (name, detail) = match result {
            Ok(r) => (
                match action {
                    Action::Start => "minivoice-recording-started",
                    Action::Stop => "minivoice-recording-stopped",
                    Action::Pause => "minivoice-recording-paused",
                    Action::Resume => "minivoice-recording-resumed",
                },
                recording_detail(call_id, r),
            ),
            Err(e) => (
                "minivoice-error",
                to_js(&ErrorDetail {
                    call_id,
                    action: action.as_str(),
                    code: e.code.as_str(),
                    message: &e.message,
                }),
            ),
        };
        // Bubbling and composed, so it crosses the shadow root to the page.
        let Some(el) = &self.0 else { return };
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = el.dispatch_event(&ev);
        }
    }
}

/// `{callId, recordingId, status}`: what the page hears of a recording, in events and promises.
fn recording_detail(call_id: &str, r: &Recording) -> JsValue {
    to_js(&RecordingDetail {
        call_id,
        recording_id: &r.id,
        status: r.status.as_str(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordingDetail<'a> {
    call_id: &'a str,
    recording_id: &'a str,
    status: &'a str,
}

/// `{callId, action, code, message}`: a `minivoice-error` event's detail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetail<'a> {
    call_id: &'a str,
    action: &'a str,
    code: &'a str,
    message: &'a str,
}

/// A plain object for the page, written by serde (the serializer the request bodies use).
fn to_js(value: &impl Serialize) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// An `Error` carrying the code, as a promise rejects with it.
fn error(code: &str, message: &str) -> JsValue {
    #[derive(Serialize)]
    struct Code<'a> {
        code: &'a str,
    }
    let e = js_sys::Error::new(message);
    Object::assign(&e, &Object::from(to_js(&Code { code }))).into()
}
