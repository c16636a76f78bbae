//! One request to the proxy, through gloo-net, and its answer decoded with serde into
//! `minivoice_shared`'s own types: the types the proxy serialises. Every request the widget
//! makes goes through [`get`] or [`post`]; [`decode`] is the one place an answer becomes a
//! value, and it is plain Rust over the answer's text, so the host tests run this very function
//! on every answer shape (`tests` below).
//!
//! The text is parsed by serde_json, not by the browser: measured against
//! `serde-wasm-bindgen` over `Response::json()`, it costs the cold load fewer bytes
//! (`BENCHMARKS.md`, "Decoding the proxy's answers").

use gloo_net::http::{Request, RequestBuilder, Response};
use minivoice_shared::{ClientCode, ErrorEnvelope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::model::{client_error, ApiError};

/// Longer than the proxy's own upstream bound, so the proxy's clearer error normally wins;
/// this only catches a proxy that hangs.
const CLIENT_TIMEOUT_MS: u32 = 30_000;

/// `GET url` with the agent's `token`: the answer's body as `T`, or the error it means.
pub async fn get<T: DeserializeOwned>(url: &str, token: Option<&str>) -> Result<T, ApiError> {
    let (status, text) = match prefetched(url) {
        Some(early) => read(early.await).await?,
        None => send(Request::get(url), token, None).await?,
    };
    decode(status, &text)
}

/// `POST url` with the agent's `token`, `body` as JSON (none: an empty body) and the
/// idempotency `key`: the answer's body as `T`, or the error it means.
pub async fn post<B: Serialize, T: DeserializeOwned>(
    url: &str,
    token: Option<&str>,
    body: Option<&B>,
    key: &str,
) -> Result<T, ApiError> {
    // The widget's own request types always serialise.
    let body = body.map(|b| serde_json::to_string(b).unwrap_or_default());
    let (status, text) = send(Request::post(url), token, Some((body, key))).await?;
    decode(status, &text)
}

/// A success answer (2xx) as `T`; any other as the proxy's error envelope, or, when it is not
/// one, a [`ClientCode::BadResponse`] naming the status.
pub fn decode<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(text).map_err(|e| unreadable(&e))
    } else {
        Err(refusal(status, text))
    }
}

/// Not generic, so that the wasm holds it once.
fn refusal(status: u16, text: &str) -> ApiError {
    match serde_json::from_str::<ErrorEnvelope>(text) {
        Ok(envelope) => envelope.error,
        Err(_) => client_error(
            ClientCode::BadResponse,
            format!("the recording service answered HTTP {status}"),
        ),
    }
}

fn unreadable(why: &serde_json::Error) -> ApiError {
    client_error(
        ClientCode::BadResponse,
        format!("the answer is not the JSON the widget expects: {why}"),
    )
}

/// Sends one request, with the token and (`post`) a JSON body and its idempotency key:
/// the answer's status and text, whatever the status. Not generic, so the wasm holds it once.
async fn send(
    request: RequestBuilder,
    token: Option<&str>,
    post: Option<(Option<String>, &str)>,
) -> Result<(u16, String), ApiError> {
    let signal = web_sys::AbortSignal::timeout_with_u32(CLIENT_TIMEOUT_MS);
    let mut request = request.abort_signal(Some(&signal));
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let request = match post {
        Some((body, key)) => {
            let request = request.header("Idempotency-Key", key);
            match body {
                Some(json) => request
                    .header("Content-Type", "application/json")
                    .body(json),
                None => request.build(),
            }
        }
        None => request.build(),
    };
    let sent = async { request?.send().await };
    read(sent.await.map_err(|e| e.to_string())).await
}

/// The status and text of an answer that arrived (or the network error of one that did not).
async fn read(answer: Result<Response, String>) -> Result<(u16, String), ApiError> {
    let response = answer.map_err(network)?;
    let text = response.text().await.map_err(|e| network(e.to_string()))?;
    Ok((response.status(), text))
}

#[wasm_bindgen]
extern "C" {
    /// `index.html`'s: the page's early answer to `url` (a promise of its `Response`), taken at
    /// most once; `undefined` for any other URL. Pages without it (the element's) throw, hence
    /// `catch`.
    #[wasm_bindgen(catch, js_name = __minivoiceTake)]
    fn take_prefetched(url: &str) -> Result<JsValue, JsValue>;
}

/// The answer to `url` that the page asked for before the widget's code arrived.
fn prefetched(url: &str) -> Option<impl std::future::Future<Output = Result<Response, String>>> {
    let early = take_prefetched(url).ok().filter(|p| !p.is_undefined())?;
    let early = JsFuture::from(early.unchecked_into::<js_sys::Promise>());
    Some(async move {
        match early.await {
            Ok(raw) => Ok(Response::from(raw.unchecked_into::<web_sys::Response>())),
            Err(reason) => Err(browser_reason(&reason)),
        }
    })
}

/// Why the browser says a request failed (or timed out).
fn browser_reason(reason: &JsValue) -> String {
    reason
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "the request failed".into())
}

/// No answer: the network failed, or the request timed out.
fn network(message: String) -> ApiError {
    client_error(ClientCode::NetworkError, message)
}
