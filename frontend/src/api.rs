//! Typed client for the proxy: the only code in the widget that knows URLs. It never talks to
//! MiniVoice and never holds a key. Requests and answers are `minivoice_shared`'s types,
//! through [`crate::fetch`].

use minivoice_shared::{
    Action, ActionRequest, ActionResult, CallState, Data, PauseRequest, ProxyInfo, Recording,
    TimelineEntry,
};

use crate::fetch::{get, post};
use crate::model::ApiError;

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
    pub async fn timeline(&self, call_id: &str) -> Result<Vec<TimelineEntry>, ApiError> {
        self.data(&self.call(call_id, "timeline")).await
    }

    pub async fn info(&self) -> Result<ProxyInfo, ApiError> {
        get(&format!("{}/info", self.base), self.token()).await
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<Recording>, ApiError> {
        self.data(&self.recordings(call_id)).await
    }

    pub async fn recording(
        &self,
        call_id: &str,
        recording_id: &str,
    ) -> Result<Recording, ApiError> {
        let url = format!("{}/{}", self.recordings(call_id), encode(recording_id));
        self.data(&url).await
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
        let answer: Data<ActionResult> = if action.is_minivoice() {
            let body = ActionRequest { action };
            post(&self.recordings(call_id), self.token(), Some(&body), intent).await?
        } else {
            // Pause and resume have routes of their own, named as the action; only a pause
            // carries a body.
            let url = self.call(call_id, action.as_str());
            let body = (action == Action::Pause).then_some(PauseRequest { reason });
            post(&url, self.token(), body.as_ref(), intent).await?
        };
        Ok(answer.data.recording)
    }

    pub async fn status(&self, call_id: &str) -> Result<CallState, ApiError> {
        self.data(&self.call(call_id, "status")).await
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

    /// `GET url`'s `{"data": …}`.
    async fn data<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ApiError> {
        get::<Data<T>>(url, self.token()).await.map(|d| d.data)
    }

    fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn recordings(&self, call_id: &str) -> String {
        self.call(call_id, "recordings")
    }

    /// `{base}/calls/{call_id}/{what}`.
    fn call(&self, call_id: &str, what: &str) -> String {
        format!("{}/calls/{}/{what}", self.base, encode(call_id))
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
