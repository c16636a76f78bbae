//! Queries into an embedded widget's shadow root, as JavaScript expressions for
//! [`Harness::js`](crate::Harness::js) and [`Harness::wait_js`](crate::Harness::wait_js).

/// The first element matching `css` inside the shadow root of the element with ID `widget`;
/// `undefined` while the element or its root does not exist yet.
pub fn in_widget(widget: &str, css: &str) -> String {
    format!("document.getElementById('{widget}')?.shadowRoot?.querySelector('{css}')")
}
