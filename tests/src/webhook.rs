//! A webhook as MiniVoice sends it: signed (Standard Webhooks) with the shared secret.

use std::net::SocketAddr;

/// Posts `body` to the proxy at `proxy` as delivery `id`, signed now with `secret` (the first,
/// if it lists several as the proxy's setting may); answers the proxy's status.
pub async fn send_webhook(
    client: &reqwest::Client,
    proxy: SocketAddr,
    secret: &str,
    id: &str,
    body: String,
) -> reqwest::StatusCode {
    try_send_webhook(client, proxy, secret, id, body, crate::DEADLINE)
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
    timeout: std::time::Duration,
) -> Result<reqwest::StatusCode, reqwest::Error> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // A proxy may hold several secrets while rotating (`"new old"`); MiniVoice signs with one.
    let signing = secret.split_whitespace().next().unwrap_or(secret);
    let signature = standardwebhooks::Webhook::new(signing)
        .unwrap()
        .sign(id, ts, body.as_bytes())
        .unwrap();
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
