//! Exactly one start per intent: one action in flight per call, and answers remembered by
//! idempotency key so a repeated click (or a retried request) gets the first answer without a
//! second upstream call.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minivoice_shared::Action;
use tokio::sync::OnceCell;

use crate::error::AppError;
use crate::upstream::Reply;

/// How long an answer is replayed for its key: longer than any agent's retry.
const ANSWER_TTL: Duration = Duration::from_secs(10 * 60);
/// Bound on remembered answers, so a flood of fresh keys cannot grow memory without limit.
const MAX_ANSWERS: u64 = 10_000;

pub struct Gate {
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Bounded and expiring, with O(1) eviction: a flood of fresh keys costs nothing extra.
    answers: moka::sync::Cache<(String, String), Arc<Slot>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            in_flight: Mutex::default(),
            answers: moka::sync::Cache::builder()
                .max_capacity(MAX_ANSWERS)
                .time_to_live(ANSWER_TTL)
                .build(),
        }
    }
}

struct Slot {
    action: Action,
    answer: OnceCell<Reply>,
}

/// An answer, and whether it is a replay of an earlier one.
pub struct Outcome {
    pub reply: Reply,
    pub replayed: bool,
}

impl Gate {
    /// Runs `forward` for `call_id` unless another action on that call is in flight (409
    /// `action_in_progress`) or `key` already has an answer (replayed).
    pub async fn run<F, Fut>(
        &self,
        call_id: &str,
        action: Action,
        key: Option<&str>,
        forward: F,
    ) -> Result<Outcome, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Reply, AppError>>,
    {
        let Some(key) = key else {
            let reply = self.exclusive(call_id, forward).await?;
            return Ok(Outcome {
                reply,
                replayed: false,
            });
        };
        let slot = self.slot(call_id, key, action)?;
        let mut ran = false;
        let reply = slot
            .answer
            .get_or_try_init(|| {
                ran = true;
                self.exclusive(call_id, forward)
            })
            .await?;
        Ok(Outcome {
            reply: reply.clone(),
            replayed: !ran,
        })
    }

    /// Forwards while holding the call's lock. MiniVoice's own answers (success or its error)
    /// come back as `Ok` so they are remembered; failures to get an answer stay `Err`, so the
    /// same key may try again.
    async fn exclusive<F, Fut>(&self, call_id: &str, forward: F) -> Result<Reply, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Reply, AppError>>,
    {
        let lock = self
            .in_flight
            .lock()
            .unwrap()
            .entry(call_id.to_owned())
            .or_default()
            .clone();
        let result = match lock.clone().try_lock_owned() {
            Ok(_guard) => match forward().await {
                Ok(reply) => Ok(reply),
                Err(AppError::Upstream { status, body }) => Ok(Reply { status, body }),
                Err(e) => Err(e),
            },
            Err(_) => Err(AppError::ActionInProgress),
        };
        let mut map = self.in_flight.lock().unwrap();
        // Ours and the map's are the last references: nobody else is waiting on this call.
        if Arc::strong_count(&lock) <= 2 {
            map.remove(call_id);
        }
        result
    }

    fn slot(&self, call_id: &str, key: &str, action: Action) -> Result<Arc<Slot>, AppError> {
        let slot = self
            .answers
            .get_with((call_id.to_owned(), key.to_owned()), || {
                Arc::new(Slot {
                    action,
                    answer: OnceCell::new(),
                })
            });
        if slot.action == action {
            Ok(slot)
        } else {
            Err(AppError::IdempotencyKeyReused)
        }
    }

    #[cfg(test)]
    fn calls_tracked(&self) -> usize {
        self.in_flight.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use bytes::Bytes;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ok() -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Bytes::from_static(b"{}"),
        }
    }

    #[tokio::test]
    async fn same_key_replays_without_forwarding_again() {
        let gate = Gate::default();
        let calls = AtomicUsize::new(0);
        for i in 0..3 {
            let out = gate
                .run("c", Action::Start, Some("k1"), || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(ok())
                })
                .await
                .unwrap();
            assert_eq!(out.replayed, i > 0);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(gate.calls_tracked(), 0, "per-call locks are released");
    }

    #[tokio::test]
    async fn a_key_reused_for_another_action_is_refused() {
        let gate = Gate::default();
        gate.run("c", Action::Start, Some("k"), || async { Ok(ok()) })
            .await
            .unwrap();
        let again = gate
            .run("c", Action::Stop, Some("k"), || async { Ok(ok()) })
            .await;
        assert!(matches!(again, Err(AppError::IdempotencyKeyReused)));
    }

    #[tokio::test]
    async fn transport_failures_are_not_remembered() {
        let gate = Gate::default();
        let first = gate
            .run("c", Action::Start, Some("k"), || async {
                Err(AppError::UpstreamTimeout)
            })
            .await;
        assert!(matches!(first, Err(AppError::UpstreamTimeout)));
        let second = gate
            .run("c", Action::Start, Some("k"), || async { Ok(ok()) })
            .await
            .unwrap();
        assert!(!second.replayed);
    }

    #[tokio::test]
    async fn minivoice_errors_are_remembered() {
        let gate = Gate::default();
        let body = Bytes::from_static(br#"{"error":{"code":"x","message":"m"}}"#);
        let first = gate
            .run("c", Action::Stop, Some("k"), || async {
                Err(AppError::Upstream {
                    status: StatusCode::CONFLICT,
                    body: body.clone(),
                })
            })
            .await
            .unwrap();
        assert_eq!(first.reply.status, StatusCode::CONFLICT);
        let second = gate
            .run("c", Action::Stop, Some("k"), || async { Ok(ok()) })
            .await
            .unwrap();
        assert!(second.replayed);
        assert_eq!(second.reply.body, body);
    }
}
