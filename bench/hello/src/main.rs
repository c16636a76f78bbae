//! The floor the widget's first render is compared with: the least a Leptos CSR page can do
//! (mount one paragraph), marked the way the widget marks its first state, so both numbers
//! mean "navigation start → first content in the DOM".

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // Bound directly rather than through web-sys so the floor pulls in no extra bindings.
    #[wasm_bindgen(js_namespace = performance)]
    fn mark(name: &str);
}

fn main() {
    leptos::mount::mount_to_body(|| view! { <p>"Hello, world"</p> });
    mark("minivoice:first-render");
}
