//! Answers from the proxy as plain signals. Leptos' `LocalResource` with `Transition` does
//! the same job, but every instance of it costs several KB of wasm (its async-derived
//! machinery is generic over each answer type); a signal that a spawned task sets costs a
//! fraction of that and reads the same way in a view.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// The latest answer of `request`, asked again whenever a signal it reads (before its
/// `async` part) changes; `None` until the first answer. An answer that arrives after a newer
/// request's answer is dropped, and one for a widget that is gone is ignored.
pub fn load<T, F>(request: impl Fn() -> F + 'static) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    F: Future<Output = T> + 'static,
{
    let (answer, set_answer) = signal(None);
    latest_only(Box::new(move || {
        let pending = request();
        Box::pin(async move {
            let value = pending.await;
            Box::new(move || {
                set_answer.try_set(Some(value));
            }) as Shown
        })
    }));
    answer
}

/// Shows an answer that has arrived.
type Shown = Box<dyn FnOnce()>;

/// The part of [`load`] that does not depend on the answer's type, type-erased so that the
/// wasm holds it once rather than once per kind of answer.
fn latest_only(request: Box<dyn Fn() -> Pin<Box<dyn Future<Output = Shown>>>>) {
    let asked = Rc::new(Cell::new(0u64));
    Effect::new(move |_| {
        let pending = request();
        let n = asked.get() + 1;
        asked.set(n);
        let asked = asked.clone();
        spawn_local(async move {
            let show = pending.await;
            if asked.get() == n {
                show();
            }
        });
    });
}
