//! What the page URL tells the full-page widget: which call, which proxy, and the agent token.

/// What the page URL gives the widget.
pub struct Params {
    pub call_id: Option<String>,
    pub api_base: String,
    pub token: Option<String>,
    /// `?lang=de`: the language asked for, before the browser's (`crate::i18n`).
    pub lang: Option<String>,
}

/// `?call_id=…&api_base=…`, and the agent token from `#token=…` (a fragment never reaches a
/// server log or a Referer) or, failing that, `?token=…`; `?lang=…`.
pub fn params_from_location() -> Params {
    let location = web_sys::window().map(|w| w.location());
    let part = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let query = web_sys::UrlSearchParams::new_with_str(&part(web_sys::Location::search)).ok();
    let hash = part(web_sys::Location::hash);
    let fragment = web_sys::UrlSearchParams::new_with_str(hash.trim_start_matches('#')).ok();
    let get = |p: &Option<web_sys::UrlSearchParams>, k: &str| {
        p.as_ref().and_then(|p| p.get(k)).filter(|v| !v.is_empty())
    };
    Params {
        call_id: get(&query, "call_id"),
        api_base: get(&query, "api_base").unwrap_or_else(|| "/api".into()),
        token: get(&fragment, "token").or_else(|| get(&query, "token")),
        lang: get(&query, "lang"),
    }
}
