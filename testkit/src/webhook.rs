//! Signed webhook deliveries, as MiniVoice would send them (Standard Webhooks), to a test's
//! own app or to any proxy's address, and the payloads tests deliver.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use minivoice_proxy::auth::unix_now;
use minivoice_proxy::{Secret, ServeConfig};
use serde_json::json;

use super::app::TestApp;
use super::fixture;
use super::wait::DEADLINE;

/// A secret of the documented shape (24 bytes).
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Another secret of the documented shape, for rotation.
pub const NEW_WEBHOOK_SECRET: &str = "whsec_bmV3LXdlYmhvb2stc2VjcmV0LXJvdGF0ZWQtaW4=";

/// A third, held by a sender the proxy does not trust: what it signs is refused.
pub const OTHER_WEBHOOK_SECRET: &str = "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==";

/// The `webhook-signature` of `body` delivered as `id` at `ts` (Unix seconds), by the
/// `standardwebhooks` crate: the proxy's own signature code is checked against another's.
pub fn sign(id: &str, ts: u64, body: &str, secret: &str) -> String {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(id, ts as i64, body.as_bytes())
        .unwrap()
}

/// As [`sign`], for a body of any bytes (the crate only signs UTF-8): HMAC-SHA256 over
/// `id.ts.` and the bytes, keyed with the secret's decoded base64, as Standard Webhooks says.
pub fn sign_bytes(id: &str, ts: u64, body: &[u8], secret: &str) -> String {
    use base64::Engine;
    use hmac::Mac;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    format!("v1,{}", b64.encode(mac.finalize().into_bytes()))
}

/// The smallest `call.completed` MiniVoice could send.
pub fn call_completed(call_id: &str) -> String {
    json!({"event": "call.completed", "call": {"id": call_id, "status": "completed"}}).to_string()
}

/// The documentation's `call.completed` (the fixture), for `call_id`.
pub fn documented_call_completed(call_id: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(fixture("webhook.call_completed.json")).unwrap();
    v["call"]["id"] = json!(call_id);
    v.to_string()
}

/// A `recording.stopped`, padded with `pad` bytes to make it as large as a test needs.
pub fn recording_stopped(call_id: &str, rec_id: &str, pad: usize) -> String {
    json!({
        "event": "recording.stopped",
        "created_at": "2026-05-29T12:10:00Z",
        "call": {"id": call_id, "status": "in_progress"},
        "recording": {"id": rec_id, "status": "stopped", "duration_seconds": 7,
                      "size_bytes": 112000, "pad": "x".repeat(pad)}
    })
    .to_string()
}

impl TestApp {
    /// Sandbox mode, verifying webhooks with [`WEBHOOK_SECRET`]; adjusted.
    pub async fn receiving_webhooks(adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
        TestApp::with(|c| {
            c.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
            adjust(c);
        })
        .await
    }

    /// Posts `body` (text or any bytes) to the webhook endpoint with exactly `headers`.
    pub async fn post_webhook(
        &self,
        headers: &[(&str, String)],
        body: impl AsRef<[u8]>,
    ) -> reqwest::Response {
        let mut req = self.request("POST", "/webhooks/minivoice");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        req.body(body.as_ref().to_vec()).send().await.unwrap()
    }

    /// Delivers `body` as `id` at `ts` with `signature` as its whole signature header (one
    /// signature, or several separated by spaces): the answer's status.
    pub async fn deliver_signed(&self, id: &str, ts: u64, body: &[u8], signature: String) -> u16 {
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signature),
        ];
        self.post_webhook(&headers, body).await.status().as_u16()
    }

    /// Delivers `body` as `id`, signed with `secret` at `ts` under the standard header names:
    /// the answer's status and how long it took.
    pub async fn deliver_at(&self, id: &str, ts: u64, body: &str, secret: &str) -> (u16, Duration) {
        let t = Instant::now();
        let signature = sign(id, ts, body, secret);
        let status = self
            .deliver_signed(id, ts, body.as_bytes(), signature)
            .await;
        (status, t.elapsed())
    }

    /// Delivers `body` as `id`, signed now with [`WEBHOOK_SECRET`]: the answer's status.
    pub async fn deliver(&self, id: &str, body: &str) -> u16 {
        self.deliver_at(id, unix_now(), body, WEBHOOK_SECRET)
            .await
            .0
    }
}

/// Posts `body` to the proxy at `proxy` as delivery `id`, signed now with `secret` (the first,
/// if it lists several as the proxy's setting may); answers the proxy's status.
pub async fn send_webhook(
    client: &reqwest::Client,
    proxy: SocketAddr,
    secret: &str,
    id: &str,
    body: String,
) -> reqwest::StatusCode {
    try_send_webhook(client, proxy, secret, id, body, DEADLINE)
        .await
        .expect("deliver the webhook")
}

/// As [`send_webhook`], bounded by `timeout`, with a failure to deliver as an error: a sender
/// that retries (MiniVoice does, with the same `id` and a fresh signature) decides what next.
pub async fn try_send_webhook(
    client: &reqwest::Client,
    proxy: SocketAddr,
    secret: &str,
    id: &str,
    body: String,
    timeout: Duration,
) -> Result<reqwest::StatusCode, reqwest::Error> {
    let ts = unix_now();
    // A proxy may hold several secrets while rotating (`"new old"`); MiniVoice signs with one.
    let signing = secret.split_whitespace().next().unwrap_or(secret);
    let signature = sign(id, ts, &body, signing);
    let sent = client
        .post(format!("http://{proxy}/webhooks/minivoice"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .timeout(timeout)
        .send()
        .await?;
    Ok(sent.status())
}
