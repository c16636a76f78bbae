//! The sandbox's webhook sender: signed like a real MiniVoice delivery (Standard Webhooks),
//! sent after the API has answered, retried a few times. With several secrets configured it
//! signs with the first, as the proxy verifies.

use std::time::Duration;

use minivoice_shared::{Recording, WebhookCall, WebhookEvent};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::secret::Secret;
use crate::webhooks::{HeaderNames, WebhookKeys};

/// Where and how the sandbox delivers its webhooks.
#[derive(Clone, Debug)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: Secret,
    pub names: HeaderNames,
}

/// A fresh `whsec_` secret for a sandbox run.
pub fn new_webhook_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Queues deliveries to one sender task, so they arrive in the order things happened
/// (a recording's stop before its call's completion), without delaying the API's answer.
#[derive(Clone)]
pub struct Notifier {
    queue: tokio::sync::mpsc::UnboundedSender<WebhookEvent>,
}

struct Sender {
    target: WebhookTarget,
    signer: WebhookKeys,
    client: reqwest::Client,
}

impl Notifier {
    pub fn new(target: WebhookTarget) -> Result<Self, String> {
        let signer = WebhookKeys::parse(target.secret.expose())?;
        let sender = Sender {
            target,
            signer,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .map_err(|e| e.to_string())?,
        };
        let (queue, mut rx) = tokio::sync::mpsc::unbounded_channel::<WebhookEvent>();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                sender.deliver(&event).await;
            }
        });
        Ok(Notifier { queue })
    }

    pub fn recording(&self, event: &str, call_id: &str, call_status: &str, rec: &Recording) {
        self.send(WebhookEvent {
            event: event.to_owned().into(),
            created_at: Some(now()),
            call: Some(call(call_id, call_status)),
            recording: Some(rec.clone()),
            extra: Default::default(),
        });
    }

    pub fn call_completed(&self, call_id: &str) {
        let mut extra = minivoice_shared::Extra::new();
        extra.insert("variables".into(), json!({}));
        extra.insert("data".into(), json!({}));
        self.send(WebhookEvent {
            event: "call.completed".to_owned().into(),
            created_at: Some(now()),
            call: Some(call(call_id, minivoice_shared::CALL_COMPLETED)),
            recording: None,
            extra,
        });
    }

    fn send(&self, event: WebhookEvent) {
        let _ = self.queue.send(event);
    }
}

impl Sender {
    /// One delivery, retried like MiniVoice would (same ID, so the receiver can de-duplicate).
    async fn deliver(&self, event: &WebhookEvent) {
        let body = serde_json::to_vec(event).unwrap_or_default();
        let id = format!(
            "msg_{:016x}{:08x}",
            rand::random::<u64>(),
            rand::random::<u32>()
        );
        for attempt in 0..3u32 {
            let ts = OffsetDateTime::now_utc().unix_timestamp();
            let signature = self.signer.sign(&id, ts, &body);
            let sent = self
                .client
                .post(&self.target.url)
                .header("content-type", "application/json")
                .header(&self.target.names.id, &id)
                .header(&self.target.names.timestamp, ts.to_string())
                .header(&self.target.names.signature, signature)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => tracing::warn!(status = %r.status(), attempt, "sandbox webhook refused"),
                Err(e) => tracing::warn!(error = %e, attempt, "sandbox webhook not delivered"),
            }
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
    }
}

fn call(call_id: &str, status: &str) -> WebhookCall {
    let mut extra = minivoice_shared::Extra::new();
    extra.insert("direction".into(), json!("inbound"));
    WebhookCall {
        id: call_id.to_owned(),
        status: Some(status.to_owned()),
        extra,
    }
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}
