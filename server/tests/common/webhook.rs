//! Signed webhook deliveries, as MiniVoice would send them (Standard Webhooks).

use std::net::SocketAddr;

/// A secret of the documented shape (24 bytes).
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Posts `body` signed with `secret` under delivery `id`; the answer's status.
pub async fn deliver_signed(
    client: &reqwest::Client,
    proxy: SocketAddr,
    id: &str,
    body: &str,
    secret: &str,
) -> u16 {
    let ts = unix_now();
    let sig = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(id, ts, body.as_bytes())
        .unwrap();
    client
        .post(format!("http://{proxy}/webhooks/minivoice"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The smallest `call.completed` MiniVoice could send.
pub fn call_completed(call_id: &str) -> String {
    serde_json::json!({"event": "call.completed", "call": {"id": call_id, "status": "completed"}})
        .to_string()
}
