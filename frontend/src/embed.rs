//! The widget in any page, through the `<minivoice-recordings>` element (its script is
//! `server/src/embed/minivoice-recordings.js`): mounting into the element's shadow root,
//! releasing on unmount, and the DOM events the embedding page hears.

use leptos::prelude::*;

use crate::api::{Api, ApiError};
use crate::recording::Recording;

/// A widget mounted by the `<minivoice-recordings>` element; unmounting releases everything
/// it holds (its event stream, timers, handlers).
#[wasm_bindgen::prelude::wasm_bindgen]
pub struct WidgetHandle {
    mounted: Option<Box<dyn std::any::Any>>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
impl WidgetHandle {
    pub fn unmount(&mut self) {
        self.mounted.take();
    }
}

/// Mounts a widget into `target` (inside the element's shadow root); `host` is the custom
/// element, where the widget's DOM events are dispatched for the page to hear.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount_widget(
    target: web_sys::HtmlElement,
    host: web_sys::HtmlElement,
    call_id: String,
    api_base: String,
    token: Option<String>,
) -> WidgetHandle {
    crate::report_panics();
    let api = Api::new(&api_base, token.filter(|t| !t.is_empty()));
    let host = Host(Some(host));
    let handle = leptos::mount::mount_to(target, move || {
        provide_context(host.clone());
        crate::widget_for(Some(call_id.clone()).filter(|c| !c.is_empty()), api.clone())
    });
    WidgetHandle {
        mounted: Some(Box::new(handle)),
    }
}

/// The element hosting an embedded widget, if any: DOM events go there.
#[derive(Clone)]
pub(crate) struct Host(Option<web_sys::HtmlElement>);

impl Host {
    /// The host [`mount_widget`] provided; none on our own page, where events go nowhere.
    pub(crate) fn from_context() -> Host {
        use_context::<Host>().unwrap_or(Host(None))
    }

    /// Tells the page how a Start or Stop ended: `minivoice-recording-started` or
    /// `minivoice-recording-stopped` with the recording, or `minivoice-error` with the code.
    pub(crate) fn action_done(
        &self,
        call_id: &str,
        action: minivoice_shared::Action,
        result: &Result<Recording, ApiError>,
    ) {
        let (event, detail): (_, &[(&str, &str)]) = match result {
            Ok(r) => (
                match action {
                    minivoice_shared::Action::Start => "minivoice-recording-started",
                    minivoice_shared::Action::Stop => "minivoice-recording-stopped",
                    minivoice_shared::Action::Pause => "minivoice-recording-paused",
                    minivoice_shared::Action::Resume => "minivoice-recording-resumed",
                },
                &[
                    ("callId", call_id),
                    ("recordingId", &r.id),
                    ("status", r.status.as_str()),
                ],
            ),
            Err(e) => (
                "minivoice-error",
                &[
                    ("callId", call_id),
                    ("action", action.as_str()),
                    ("code", &e.code),
                    ("message", &e.message),
                ],
            ),
        };
        self.emit(event, detail);
    }

    /// A bubbling, composed event, so it crosses the shadow root to the page.
    fn emit(&self, name: &str, detail: &[(&str, &str)]) {
        let Some(el) = &self.0 else { return };
        let object = js_sys::Object::new();
        for (k, v) in detail {
            let _ = js_sys::Reflect::set(&object, &(*k).into(), &(*v).into());
        }
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&object);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = el.dispatch_event(&ev);
        }
    }
}
