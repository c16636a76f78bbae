//! `POST /webhooks/minivoice`: verify, store in the inbox (the de-duplication key and the raw
//! body in one row), answer, then process in the background (MiniVoice's advice). A delivery
//! acknowledged is on disk: one left unprocessed by a crash is processed after the restart.
//!
//! Signatures follow Standard Webhooks 1.0 (our assumption: MiniVoice's page does not say how
//! it signs): HMAC-SHA256 over `id.timestamp.raw_body`, a 5-minute timestamp tolerance, and
//! header names that are configurable.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName};
use base64::Engine;
use minivoice_shared::timeline::KnownVerdict;
use standardwebhooks::{Webhook, WebhookError};
use tokio::sync::Notify;

use crate::events::Hub;
use crate::store::{InspectKeep, Store};

mod facts;
pub mod inspect;
pub mod receiver;
mod worker;

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
/// Shorter secrets can be guessed; Standard Webhooks secrets are 24 bytes or more.
pub const MIN_SECRET_BYTES: usize = 24;

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
            id: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_ID),
            timestamp: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP),
            signature: HeaderName::from_static(standardwebhooks::HEADER_WEBHOOK_SIGNATURE),
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
    verifier: Option<Webhook>,
    names: HeaderNames,
    store: Store,
    wake: Arc<Notify>,
    /// Deliveries stored and not yet processed, counted here rather than in the store so the
    /// receiver's back-pressure check costs nothing however long the queue is.
    waiting: Arc<AtomicI64>,
    /// Deliveries the inspector keeps of each kind (`WEBHOOK_INSPECT_KEEP`); 0 logs none.
    keep: InspectKeep,
}

/// `whsec_<base64>` (or bare base64) that decodes to at least [`MIN_SECRET_BYTES`].
pub fn check_secret(secret: &str) -> Result<(), String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("MINIVOICE_WEBHOOK_SECRET must be whsec_<base64>: {e}"))?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "MINIVOICE_WEBHOOK_SECRET must decode to at least {MIN_SECRET_BYTES} bytes \
             (it has {})",
            bytes.len()
        ));
    }
    Ok(())
}

impl Webhooks {
    /// Starts the worker, which first processes whatever an earlier run left in the inbox.
    pub async fn start(
        secret: Option<&str>,
        names: HeaderNames,
        store: Store,
        hub: Arc<Hub>,
        inspect_keep: usize,
    ) -> Result<Arc<Self>, String> {
        let verifier = secret
            .map(|s| {
                check_secret(s)?;
                Webhook::new(s).map_err(|e| format!("MINIVOICE_WEBHOOK_SECRET: {e}"))
            })
            .transpose()?;
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

    /// Checks the signature; a refusal says which verdict it is, and why in words.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), (KnownVerdict, String)> {
        let Some(verifier) = &self.verifier else {
            return Ok(());
        };
        // The crate reads the standard names; ours may be configured differently.
        let mut standard = HeaderMap::new();
        for (ours, theirs) in [
            (&self.names.id, standardwebhooks::HEADER_WEBHOOK_ID),
            (
                &self.names.timestamp,
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            ),
            (
                &self.names.signature,
                standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
            ),
        ] {
            if let Some(v) = headers.get(ours) {
                standard.insert(HeaderName::from_static(theirs), v.clone());
            }
        }
        verifier.verify(body, &standard).map_err(|e| {
            let verdict = match e {
                WebhookError::TimestampTooOldError => KnownVerdict::TooOld,
                WebhookError::FutureTimestampError => KnownVerdict::TooNew,
                WebhookError::MissingHeader(_)
                | WebhookError::InvalidHeader(_)
                | WebhookError::InvalidTimestamp
                | WebhookError::InvalidPayload => KnownVerdict::Malformed,
                WebhookError::InvalidSignature | WebhookError::InvalidSecret(_) => {
                    KnownVerdict::InvalidSignature
                }
            };
            (verdict, self.rename(e.to_string()))
        })
    }

    /// The crate's messages name the standard headers; ours may be configured otherwise.
    fn rename(&self, message: String) -> String {
        [
            (standardwebhooks::HEADER_WEBHOOK_ID, &self.names.id),
            (
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                &self.names.timestamp,
            ),
            (
                standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
                &self.names.signature,
            ),
        ]
        .iter()
        .fold(message, |m, (theirs, ours)| {
            m.replace(&format!("header {theirs}"), &format!("header {ours}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::worker::understand;
    use super::*;

    #[test]
    fn secrets_must_be_long_enough() {
        assert!(check_secret("whsec_").is_err());
        assert!(check_secret("whsec_c2hvcnQ=").is_err());
        assert!(check_secret("whsec_not base64!").is_err());
        assert!(check_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_secret(&crate::sandbox::new_webhook_secret()).is_ok());
    }

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
