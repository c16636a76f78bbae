//! `POST /webhooks/minivoice`: verify, store in the inbox (the de-duplication key and the raw
//! body in one row), answer, then process in the background (MiniVoice's advice). A delivery
//! acknowledged is on disk: one left unprocessed by a crash is processed after the restart.
//!
//! Signatures follow Standard Webhooks 1.0 (our assumption: MiniVoice's page does not say how
//! it signs): HMAC-SHA256 over `id.timestamp.raw_body`, a 5-minute timestamp tolerance, and
//! header names that are configurable. Several secrets may be configured (rotation): any
//! verifies, the first signs what the built-in sandbox sends (`signature.rs`).

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName};
use minivoice_shared::timeline::KnownVerdict;
use tokio::sync::Notify;

pub use crate::config::TIMESTAMP_TOLERANCE;
use crate::events::Hub;
use crate::store::{InspectKeep, Store};

mod facts;
pub mod inspect;
pub mod receiver;
mod signature;
mod worker;

pub use signature::{check_secret, WebhookKeys, MIN_SECRET_BYTES};

use signature::Refusal;
use worker::Worker;

/// Deliveries waiting for the worker; past this the receiver answers 503 and MiniVoice
/// retries later, so a stuck worker cannot fill the disk.
const MAX_UNPROCESSED: i64 = 10_000;
/// Deliveries the worker takes from the inbox at a time.
const BATCH: i64 = 64;
/// How often the worker looks at the inbox without being woken (a delivery stored by another
/// replica, a retry after a store error).
const POLL: Duration = Duration::from_secs(1);
/// A webhook body is a few hundred bytes.
pub const MAX_WEBHOOK_BODY: usize = 64 * 1024;
/// The header names carrying id, timestamp and signature.
#[derive(Clone, Debug)]
pub struct HeaderNames {
    pub id: HeaderName,
    pub timestamp: HeaderName,
    pub signature: HeaderName,
}

impl Default for HeaderNames {
    fn default() -> Self {
        HeaderNames {
            id: HeaderName::from_static("webhook-id"),
            timestamp: HeaderName::from_static("webhook-timestamp"),
            signature: HeaderName::from_static("webhook-signature"),
        }
    }
}

impl From<&crate::config::ServeConfig> for HeaderNames {
    fn from(cfg: &crate::config::ServeConfig) -> Self {
        HeaderNames {
            id: cfg.webhook_id_header.clone(),
            timestamp: cfg.webhook_timestamp_header.clone(),
            signature: cfg.webhook_signature_header.clone(),
        }
    }
}

pub struct Webhooks {
    verifier: Option<WebhookKeys>,
    names: HeaderNames,
    store: Store,
    wake: Arc<Notify>,
    /// Deliveries stored and not yet processed, counted here rather than in the store so the
    /// receiver's back-pressure check costs nothing however long the queue is.
    waiting: Arc<AtomicI64>,
    /// Deliveries the inspector keeps of each kind (`WEBHOOK_INSPECT_KEEP`); 0 logs none.
    keep: InspectKeep,
}

impl Webhooks {
    /// Starts the worker, which first processes whatever an earlier run left in the inbox.
    /// `secret` lists the secrets, separated by whitespace.
    pub async fn start(
        secret: Option<&str>,
        names: HeaderNames,
        store: Store,
        hub: Arc<Hub>,
        inspect_keep: usize,
    ) -> Result<Arc<Self>, String> {
        let verifier = secret.map(WebhookKeys::parse).transpose()?;
        let left = store
            .unprocessed_count()
            .await
            .map_err(|e| format!("webhook inbox: {e}"))?;
        let waiting = Arc::new(AtomicI64::new(left));
        let wake = Arc::new(Notify::new());
        let worker = Worker {
            store: store.clone(),
            hub,
            wake: wake.clone(),
            waiting: waiting.clone(),
        };
        tokio::spawn(worker.run());
        Ok(Arc::new(Webhooks {
            verifier,
            names,
            store,
            wake,
            waiting,
            keep: InspectKeep::new(inspect_keep),
        }))
    }

    /// Checks the signature: which secret signed (0 is the first; `None` when none is
    /// configured), or a refusal saying which verdict it is, and why in words.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<usize>, (KnownVerdict, String)> {
        let Some(verifier) = &self.verifier else {
            return Ok(None);
        };
        let now = i64::try_from(crate::auth::unix_now()).unwrap_or(i64::MAX);
        verifier
            .verify(&self.names, headers, body, now)
            .map(Some)
            .map_err(|refusal| {
                let verdict = match refusal {
                    Refusal::TooOld => KnownVerdict::TooOld,
                    Refusal::TooNew => KnownVerdict::TooNew,
                    Refusal::Missing(_) | Refusal::Unreadable(_) | Refusal::BadTimestamp => {
                        KnownVerdict::Malformed
                    }
                    Refusal::NoMatch => KnownVerdict::InvalidSignature,
                };
                (verdict, refusal.to_string())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::worker::understand;

    #[test]
    fn shapes_we_partly_know_are_read_as_far_as_possible() {
        let minimal = understand(br#"{"event":"call.completed","call":{"id":"c"}}"#).unwrap();
        assert_eq!(minimal.call.unwrap().id, "c");
        let odd = understand(
            br#"{"event":"recording.stopped","call":{"id":"c"},"recording":{"id":"r"}}"#,
        )
        .unwrap();
        assert!(odd.recording.is_none());
        assert!(understand(b"[1,2]").is_none());
        assert!(understand(b"not json").is_none());
    }
}
