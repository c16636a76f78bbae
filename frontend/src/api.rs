//! Typed client for the proxy: the only code in the widget that knows URLs. It never talks to
//! MiniVoice and never holds a key.

use minivoice_shared::{Action, CallState, ProxyInfo};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::json::{self, FromJson};
use crate::recording::Recording;
use crate::timeline::Entry;

/// Codes the widget itself raises when no proxy answer can be read.
pub const NETWORK_ERROR: &str = "network_error";
pub const BAD_RESPONSE: &str = "bad_response";

/// Longer than the proxy's own upstream bound, so the proxy's clearer error normally wins;
/// this only catches a proxy that hangs.
const CLIENT_TIMEOUT_MS: u32 = 30_000;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    base: String,
    /// The agent token, sent as `Authorization: Bearer` on every call.
    token: Option<String>,
}

impl Api {
    /// `base` is the proxy's API root, e.g. `/api` (same origin) or `https://proxy.example/api`.
    pub fn new(base: &str, token: Option<String>) -> Self {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The call's story, oldest first: actions and webhooks.
    pub async fn timeline(&self, call_id: &str) -> Result<Vec<Entry>, ApiError> {
        read(self.get(&self.call(call_id, "timeline")).await, &["data"])
    }

    pub async fn info(&self) -> Result<ProxyInfo, ApiError> {
        read(self.get(&format!("{}/info", self.base)).await, &[])
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<Recording>, ApiError> {
        read(self.get(&self.recordings(call_id)).await, &["data"])
    }

    pub async fn recording(
        &self,
        call_id: &str,
        recording_id: &str,
    ) -> Result<Recording, ApiError> {
        let url = format!("{}/{}", self.recordings(call_id), encode(recording_id));
        read(self.get(&url).await, &["data"])
    }

    /// One agent intent; answers the recording it started or stopped (a pause answers the
    /// segment it stopped, a resume the one it started). `reason` goes with a pause. `intent`
    /// is the idempotency key: the same key, sent again (a retry, a second click that slipped
    /// through), gets the first answer instead of a second action.
    pub async fn act(
        &self,
        call_id: &str,
        action: Action,
        reason: Option<String>,
        intent: &str,
    ) -> Result<Recording, ApiError> {
        let (url, body) = if action.is_minivoice() {
            let body = format!(r#"{{"action":"{}"}}"#, action.as_str());
            (self.recordings(call_id), body)
        } else {
            // Pause and resume have routes of their own; an empty body is a pause without a
            // reason (and all a resume needs).
            let body = reason.map_or_else(String::new, |r| {
                format!(r#"{{"reason":{}}}"#, json::quote(&r))
            });
            (self.call(call_id, action.as_str()), body)
        };
        let answer = match self.fetch("POST", &url, Some((body, intent))).await {
            Ok((status, text)) => decode(status, &text),
            Err(e) => Err(e),
        };
        read(answer, &["data", "recording"])
    }

    pub async fn status(&self, call_id: &str) -> Result<CallState, ApiError> {
        read(self.get(&self.call(call_id, "status")).await, &["data"])
    }

    /// The call's event stream. EventSource cannot send headers, so the token rides in the
    /// query (the proxy accepts it there for this route only). Relative bases are resolved
    /// against the page.
    pub fn events_url(&self, call_id: &str) -> String {
        let mut url = self.call(call_id, "events");
        if let Some(t) = &self.token {
            url.push_str("?access_token=");
            url.push_str(&encode(t));
        }
        url
    }

    fn recordings(&self, call_id: &str) -> String {
        self.call(call_id, "recordings")
    }

    /// `{base}/calls/{call_id}/{what}`.
    fn call(&self, call_id: &str, what: &str) -> String {
        format!("{}/calls/{}/{what}", self.base, encode(call_id))
    }

    /// `GET url` (or the answer the page asked for early): its JSON, or the error it means.
    /// Not generic, so the wasm holds it once; [`read`] is the typed part.
    async fn get(&self, url: &str) -> Result<JsValue, ApiError> {
        let (status, text) = match prefetched(url) {
            Some(early) => {
                let pair: js_sys::Array = early.await.map_err(network)?.unchecked_into();
                let status = pair.get(0).as_f64().unwrap_or(0.0) as u16;
                (status, pair.get(1).as_string().unwrap_or_default())
            }
            None => self.fetch("GET", url, None).await?,
        };
        decode(status, &text)
    }

    /// One request to the proxy, with the agent's token; `post` is a JSON body and its
    /// idempotency key. Answers the status and the body's text, whatever the status.
    async fn fetch(
        &self,
        method: &str,
        url: &str,
        post: Option<(String, &str)>,
    ) -> Result<(u16, String), ApiError> {
        let headers = web_sys::Headers::new().map_err(network)?;
        if let Some(t) = &self.token {
            headers
                .set("Authorization", &format!("Bearer {t}"))
                .map_err(network)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        if let Some((body, key)) = post {
            headers
                .set("Content-Type", "application/json")
                .map_err(network)?;
            headers.set("Idempotency-Key", key).map_err(network)?;
            init.set_body(&JsValue::from_str(&body));
        }
        init.set_headers(&headers);
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
            CLIENT_TIMEOUT_MS,
        )));
        let window = web_sys::window().ok_or_else(|| network(JsValue::NULL))?;
        let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(network)?
            .unchecked_into();
        let text = JsFuture::from(resp.text().map_err(network)?)
            .await
            .map_err(network)?;
        Ok((resp.status(), text.as_string().unwrap_or_default()))
    }
}

/// A JSON file of the widget's own (a language's catalog): through the proxy's client, whose
/// code is in the wasm anyway.
pub async fn file(url: &str) -> Result<JsValue, ApiError> {
    Api::new("", None).get(url).await
}

/// The answer to `url` that the page asked for before the widget's code arrived
/// (`index.html`), as a promise of `[status, text]`; taken at most once.
fn prefetched(url: &str) -> Option<JsFuture> {
    let window: JsValue = web_sys::window()?.into();
    let early = js_sys::Reflect::get(&window, &"__minivoicePrefetched".into()).ok()?;
    if !early.is_object() {
        return None;
    }
    let key = JsValue::from_str(url);
    let answer: js_sys::Promise = js_sys::Reflect::get(&early, &key).ok()?.dyn_into().ok()?;
    let _ = js_sys::Reflect::delete_property(early.unchecked_ref::<js_sys::Object>(), &key);
    Some(JsFuture::from(answer))
}

/// Percent-encodes one path segment. The proxy validates IDs; this keeps a hostile one inside
/// its segment on the way there.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A success answer's JSON, or the error the answer (or its absence) means.
fn decode(status: u16, text: &str) -> Result<JsValue, ApiError> {
    let parsed = js_sys::JSON::parse(text).ok();
    if (200..300).contains(&status) {
        return parsed.ok_or_else(unreadable);
    }
    Err(match parsed.as_ref().and_then(json::error) {
        Some((code, message)) => ApiError { code, message },
        None => ApiError {
            code: BAD_RESPONSE.into(),
            message: format!("the recording service answered HTTP {status}"),
        },
    })
}

/// The `T` at `path` in a success answer.
fn read<T: FromJson>(answer: Result<JsValue, ApiError>, path: &[&str]) -> Result<T, ApiError> {
    T::from_json(&json::at(&answer?, path)).ok_or_else(unreadable)
}

fn unreadable() -> ApiError {
    ApiError {
        code: BAD_RESPONSE.into(),
        message: "the answer is not the JSON the widget expects".into(),
    }
}

/// The network failed (or the request timed out): the browser's reason as the message.
fn network(reason: JsValue) -> ApiError {
    let message = reason
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "the request failed".into());
    ApiError {
        code: NETWORK_ERROR.into(),
        message,
    }
}

/// A fresh idempotency key for one click: 128 random bits, hex. `getRandomValues` works on
/// plain-HTTP intranet pages too (unlike `randomUUID`, which needs a secure context).
pub fn new_intent() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
