//! Finding the agent's language in the browser, and fetching its catalog when it is not
//! English (see the module above for why it is not in the wasm).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

use super::{choose, Lang, Language, Texts, EN};

/// `first` (the element's `lang`, or the page's `?lang=`), then the browser's languages, most
/// wanted first.
pub fn choose_in_browser(first: &str) -> Lang {
    let browser = web_sys::window()
        .map(|w| w.navigator().languages())
        .unwrap_or_default();
    choose(first, browser.iter().filter_map(|tag| tag.as_string()))
}

thread_local! {
    /// Each language's words once here, by `Lang as usize`: English is built in, and the others
    /// are fetched once per page, however many widgets speak them.
    static HERE: [Cell<Option<&'static Texts>>; 3] =
        const { [Cell::new(Some(&EN)), Cell::new(None), Cell::new(None)] };
}

/// Runs `then` with the widget's language once its words are here: at once for English (or a
/// catalog already fetched), else after fetching `{assets}i18n-{tag}-{FINGERPRINT}.json`; in
/// English if that fails, rather than no widget. `then` is boxed: it mounts the whole widget,
/// and called from two places unboxed it would be in the wasm twice.
pub fn when_loaded(lang: Lang, assets: &str, then: Box<dyn FnOnce(Language)>) {
    if let Some(texts) = HERE.with(|here| here[lang as usize].get()) {
        return then(Language { lang, texts });
    }
    let url = format!(
        "{assets}i18n-{}-{}.json",
        lang.tag(),
        minivoice_i18n::FINGERPRINT
    );
    // Not Leptos' `spawn_local`: before the first widget is mounted, Leptos has no executor.
    // Boxed as Leptos boxes its own, so the wasm has one `spawn_local` for both.
    let fetching: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
        then(match fetch(&url).await {
            Some(texts) => {
                HERE.with(|here| here[lang as usize].set(Some(texts)));
                Language { lang, texts }
            }
            None => Language::english(),
        });
    });
    wasm_bindgen_futures::spawn_local(fetching);
}

/// A catalog as `cargo xtask widget` writes it: its texts as a JSON array, in order; `None`
/// unless it has them all. Kept for the page's lifetime (a few KB, at most once per language).
async fn fetch(url: &str) -> Option<&'static Texts> {
    let list: Vec<String> = crate::fetch::get(url, None).await.ok()?;
    if list.len() != Texts::LEN {
        return None;
    }
    let list: &'static [String] = list.leak();
    Some(Box::leak(Box::new(Texts::from_fn(|i| list[i].as_str()))))
}
