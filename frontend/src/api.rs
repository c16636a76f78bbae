//! Typed client for the proxy: the only code in the widget that knows URLs. It never talks to
//! MiniVoice and never holds a key.

use gloo_net::http::{Request, RequestBuilder, Response};
use minivoice_shared::{
    Action, ActionRequest, ActionResult, ActivityEntry, CallState, Data, ErrorEnvelope, ProxyInfo,
    Recording,
};
use serde::de::DeserializeOwned;

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
        let d: Data<Vec<ActivityEntry>> = self.send(Request::get(&url), None).await?;
        Ok(d.data)
    }

    pub async fn info(&self) -> Result<ProxyInfo, ApiError> {
        self.send(Request::get(&format!("{}/info", self.base)), None)
            .await
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<Recording>, ApiError> {
        let d: Data<Vec<Recording>> = self
            .send(Request::get(&self.recordings(call_id)), None)
            .await?;
        Ok(d.data)
    }

    pub async fn get(&self, call_id: &str, recording_id: &str) -> Result<Recording, ApiError> {
        let url = format!("{}/{}", self.recordings(call_id), encode(recording_id));
        let d: Data<Recording> = self.send(Request::get(&url), None).await?;
        Ok(d.data)
    }

    /// One agent intent. `intent` is the idempotency key: the same key, sent again (a retry,
    /// a second click that slipped through), gets the first answer instead of a second action.
    pub async fn act(
        &self,
        call_id: &str,
        action: Action,
        intent: &str,
    ) -> Result<ActionResult, ApiError> {
        let body = ActionRequest { action };
        let req = Request::post(&self.recordings(call_id)).header("Idempotency-Key", intent);
        let d: Data<ActionResult> = self.send(req, Some(&body)).await?;
        Ok(d.data)
    }

    pub async fn status(&self, call_id: &str) -> Result<CallState, ApiError> {
        let url = format!("{}/calls/{}/status", self.base, encode(call_id));
        let d: Data<CallState> = self.send(Request::get(&url), None).await?;
        Ok(d.data)
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

    async fn send<T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
        body: Option<&ActionRequest>,
    ) -> Result<T, ApiError> {
        let req = match &self.token {
            Some(t) => req.header("Authorization", &format!("Bearer {t}")),
            None => req,
        };
        send(req, body).await
    }
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

async fn send<T: DeserializeOwned>(
    req: RequestBuilder,
    body: Option<&ActionRequest>,
) -> Result<T, ApiError> {
    let signal = web_sys::AbortSignal::timeout_with_u32(CLIENT_TIMEOUT_MS);
    let req = req.abort_signal(Some(&signal));
    let req = match body {
        Some(body) => req.json(body),
        None => req.build(),
    }
    .map_err(|e| network(e.to_string()))?;
    let resp = req.send().await.map_err(|e| network(e.to_string()))?;
    decode(resp).await
}

async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    let status = resp.status();
    let text = resp.text().await.map_err(|e| network(e.to_string()))?;
    if resp.ok() {
        return serde_json::from_str(&text).map_err(|e| ApiError {
            status: Some(status),
            code: BAD_RESPONSE.into(),
            message: e.to_string(),
        });
    }
    Err(match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(env) => ApiError {
            status: Some(status),
            code: env.error.code.as_str().to_owned(),
            message: env.error.message,
        },
        Err(_) => ApiError {
            status: Some(status),
            code: BAD_RESPONSE.into(),
            message: format!("the recording service answered HTTP {status}"),
        },
    })
}

fn network(detail: String) -> ApiError {
    ApiError {
        status: None,
        code: NETWORK_ERROR.into(),
        message: detail,
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
