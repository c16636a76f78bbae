//! One request to the proxy, through gloo-net, and its answer decoded with serde into
//! `minivoice_shared`'s own types: the types the proxy serialises. Every request the widget
//! makes goes through [`get`] or [`post`]; [`decode`] is the one place an answer becomes a
//! value.
//!
//! The browser parses the JSON (`Response.json()`) and serde-wasm-bindgen hands the parsed
//! value to the shared types' `Deserialize`: measured against serde_json over the text
//! (gloo-net's own `.json()`), it costs the cold load fewer bytes (`BENCHMARKS.md`, "Decoding
//! the proxy's answers"). [`decode`] is generic over the deserializer, so the host tests
//! (`frontend/tests/decode.rs`) run this very function, and the very `Deserialize` impls,
//! with serde_json standing in for the browser's parser.

use gloo_net::http::{Request, RequestBuilder, Response};
use minivoice_shared::{ClientCode, ErrorEnvelope};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::model::{client_error, ApiError};

/// Longer than the proxy's own upstream bound, so the proxy's clearer error normally wins;
/// this only catches a proxy that hangs.
const CLIENT_TIMEOUT_MS: u32 = 30_000;

/// `GET url` with the agent's `token`: the answer's body as `T`, or the error it means.
pub async fn get<T: DeserializeOwned>(url: &str, token: Option<&str>) -> Result<T, ApiError> {
    let (status, body) = answer(url, token).await?;
    decode(status, body.map(serde_wasm_bindgen::Deserializer::from))
}

/// `GET url`'s status and parsed body, or the page's early answer to it. Not generic, so the
/// wasm holds it once.
async fn answer(url: &str, token: Option<&str>) -> Result<(u16, Option<JsValue>), ApiError> {
    match take_prefetched(url).ok().filter(|p| !p.is_undefined()) {
        Some(early) => read_early(early).await,
        None => send(Request::get(url), token, None).await,
    }
}

/// `POST url` with the agent's `token`, `body` as JSON (none: an empty body) and the
/// idempotency `key`: the answer's body as `T`, or the error it means.
pub async fn post<B: Serialize, T: DeserializeOwned>(
    url: &str,
    token: Option<&str>,
    body: Option<&B>,
    key: &str,
) -> Result<T, ApiError> {
    let body = body.map(|b| crate::model::json_text(b, false));
    let (status, answer) = send(Request::post(url), token, Some((body, key))).await?;
    decode(status, answer.map(serde_wasm_bindgen::Deserializer::from))
}

/// An answer with HTTP `status` whose body, when it is JSON at all, `body` reads: a success
/// (2xx) as `T`; any other as the proxy's error envelope, or, when it is not one, a
/// [`ClientCode::BadResponse`] naming the status.
pub fn decode<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    status: u16,
    body: Option<D>,
) -> Result<T, ApiError> {
    let success = (200..300).contains(&status);
    match body {
        Some(body) if success => T::deserialize(body).map_err(|e| unreadable(e.to_string())),
        Some(body) => Err(ErrorEnvelope::deserialize(body)
            .map(|envelope| envelope.error)
            .unwrap_or_else(|_| refused(status))),
        None if success => Err(unreadable("not JSON".into())),
        None => Err(refused(status)),
    }
}

/// An answer that is not the proxy's error envelope.
fn refused(status: u16) -> ApiError {
    client_error(
        ClientCode::BadResponse,
        format!("the recording service answered HTTP {status}"),
    )
}

fn unreadable(why: String) -> ApiError {
    client_error(
        ClientCode::BadResponse,
        format!("the answer is not the JSON the widget expects: {why}"),
    )
}

/// Sends one request, with the token and (`post`) a JSON body and its idempotency key:
/// the answer's status and body as the browser parsed it (`None`: not JSON), whatever the
/// status. Not generic, so the wasm holds it once.
async fn send(
    request: RequestBuilder,
    token: Option<&str>,
    post: Option<(Option<String>, &str)>,
) -> Result<(u16, Option<JsValue>), ApiError> {
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

/// The status and parsed body of an answer that arrived (or the network error of one that
/// did not).
async fn read(answer: Result<Response, String>) -> Result<(u16, Option<JsValue>), ApiError> {
    let response = web_sys::Response::from(answer.map_err(network)?);
    let parsed = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    Ok((response.status(), parsed))
}

#[wasm_bindgen]
extern "C" {
    /// `index.html`'s: the page's early answer to `url` (see [`read_early`]), taken at most
    /// once; `undefined` for any other URL. Pages without it (the element's) throw, hence
    /// `catch`.
    #[wasm_bindgen(catch, js_name = __minivoiceTake)]
    fn take_prefetched(url: &str) -> Result<JsValue, JsValue>;
}

/// The page's early answer (a promise of `[status, parsed body]`, the body left out when it was
/// not JSON), as [`read`] gives a response's. The page read the body while the wasm downloaded:
/// awaiting it here takes no turn of the event loop, so the first state is in the DOM before
/// the browser lays out the page, not after (`index.html`).
async fn read_early(early: JsValue) -> Result<(u16, Option<JsValue>), ApiError> {
    let answer = JsFuture::from(early.unchecked_into::<js_sys::Promise>())
        .await
        .map_err(|reason| network(browser_reason(&reason)))?;
    let answer = answer.unchecked_into::<js_sys::Array>();
    let body = answer.get(1);
    let status = answer.get(0).as_f64().unwrap_or_default() as u16;
    Ok((status, (!body.is_undefined()).then_some(body)))
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
