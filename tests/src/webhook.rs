//! A webhook as MiniVoice sends it: signed (Standard Webhooks) with the shared secret.

use std::net::SocketAddr;

/// Posts `body` to the proxy at `proxy` as delivery `id`, signed with `secret` now; answers the
/// proxy's status.
pub async fn send_webhook(
    client: &reqwest::Client,
    proxy: SocketAddr,
    secret: &str,
    id: &str,
    body: String,
) -> reqwest::StatusCode {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signature = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(id, ts, body.as_bytes())
        .unwrap();
    client
        .post(format!("http://{proxy}/webhooks/minivoice"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .timeout(crate::DEADLINE)
        .send()
        .await
        .expect("deliver the webhook")
        .status()
}
