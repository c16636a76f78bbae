//! Typed client for the proxy: the only code in the widget that knows URLs. It never talks to
//! MiniVoice and never holds a key.

use minivoice_shared::{Action, ActivityEntry, CallState, ProxyInfo};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::json::{self, FromJson};
use crate::recording::Recording;

/// Codes the widget itself raises when no proxy answer can be read.
pub const NETWORK_ERROR: &str = "network_error";
pub const BAD_RESPONSE: &str = "bad_response";

/// Longer than the proxy's own upstream bound, so the proxy's clearer error normally wins;
/// this only catches a proxy that hangs.
const CLIENT_TIMEOUT_MS: u32 = 30_000;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: Option<u16>,
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

    pub async fn activity(&self, call_id: &str) -> Result<Vec<ActivityEntry>, ApiError> {
        let url = format!("{}/calls/{}/activity", self.base, encode(call_id));
        self.get_data(&url).await
    }

    pub async fn info(&self) -> Result<ProxyInfo, ApiError> {
        let (status, text) = self
            .fetch("GET", &format!("{}/info", self.base), None)
            .await?;
        decode(status, &text, json::parse)
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<Recording>, ApiError> {
        self.get_data(&self.recordings(call_id)).await
    }

    pub async fn get(&self, call_id: &str, recording_id: &str) -> Result<Recording, ApiError> {
        let url = format!("{}/{}", self.recordings(call_id), encode(recording_id));
        self.get_data(&url).await
    }

    /// One agent intent; answers the recording it started or stopped. `intent` is the idempotency key: the same key, sent again (a retry,
    /// a second click that slipped through), gets the first answer instead of a second action.
    pub async fn act(
        &self,
        call_id: &str,
        action: Action,
        intent: &str,
    ) -> Result<Recording, ApiError> {
        let body = format!(r#"{{"action":"{}"}}"#, action.as_str());
        let url = self.recordings(call_id);
        let (status, text) = self.fetch("POST", &url, Some((body, intent))).await?;
        decode(status, &text, json::acted)
    }

    pub async fn status(&self, call_id: &str) -> Result<CallState, ApiError> {
        let url = format!("{}/calls/{}/status", self.base, encode(call_id));
        self.get_data(&url).await
    }

    /// The call's event stream. EventSource cannot send headers, so the token rides in the
    /// query (the proxy accepts it there for this route only). Relative bases are resolved
    /// against the page.
    pub fn events_url(&self, call_id: &str) -> String {
        let mut url = format!("{}/calls/{}/events", self.base, encode(call_id));
        if let Some(t) = &self.token {
            url.push_str("?access_token=");
            url.push_str(&encode(t));
        }
        url
    }

    fn recordings(&self, call_id: &str) -> String {
        format!("{}/calls/{}/recordings", self.base, encode(call_id))
    }

    async fn get_data<T: FromJson>(&self, url: &str) -> Result<T, ApiError> {
        let (status, text) = match prefetched(url) {
            Some(early) => {
                let pair: js_sys::Array = early.await.map_err(network)?.unchecked_into();
                let status = pair.get(0).as_f64().unwrap_or(0.0) as u16;
                (status, pair.get(1).as_string().unwrap_or_default())
            }
            None => self.fetch("GET", url, None).await?,
        };
        decode(status, &text, json::data)
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

/// A success answer read with `read`, or the error the answer (or its absence) means.
fn decode<T>(status: u16, text: &str, read: fn(&str) -> Option<T>) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return read(text).ok_or_else(|| ApiError {
            status: Some(status),
            code: BAD_RESPONSE.into(),
            message: "the answer is not the JSON the widget expects".into(),
        });
    }
    Err(match json::error(text) {
        Some((code, message)) => ApiError {
            status: Some(status),
            code,
            message,
        },
        None => ApiError {
            status: Some(status),
            code: BAD_RESPONSE.into(),
            message: format!("the recording service answered HTTP {status}"),
        },
    })
}

/// The network failed (or the request timed out): the browser's reason as the message.
fn network(reason: JsValue) -> ApiError {
    let message = reason
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "the request failed".into());
    ApiError {
        status: None,
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
