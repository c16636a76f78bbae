//! Exactly one start per intent, across every replica: one action in flight per call (the
//! store's call lock), and answers kept under their idempotency key in the store, so a
//! repeated click, a retried request or the same key on another replica gets the first answer
//! without a second upstream call.

use std::future::Future;
use std::time::Duration;

use axum::http::StatusCode;
use minivoice_shared::Action;
use tokio::time::Instant;

use crate::error::AppError;
use crate::failures;
use crate::store::{Claim, Store};
use crate::upstream::Reply;

/// How often a request waits on another in flight with the same key.
const POLL: Duration = Duration::from_millis(20);
/// A call's lock outlives the longest forward by this much; past that, a replica that died
/// holding it no longer blocks the call.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// An answer, and whether it is a replay of an earlier one.
pub struct Outcome {
    pub reply: Reply,
    pub replayed: bool,
}

fn unavailable(e: sqlx::Error) -> AppError {
    failures::store("idempotency", e)
}

/// Runs `forward` for `call_id` unless another action on that call is in flight (409
/// `action_in_progress`) or `key` already has an answer (replayed). A request whose key is in
/// flight elsewhere waits up to `wait` for that answer.
pub async fn run<F, Fut>(
    store: &Store,
    call_id: &str,
    action: Action,
    key: Option<&str>,
    wait: Duration,
    forward: F,
) -> Result<Outcome, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, AppError>>,
{
    let lease = wait + LEASE_MARGIN;
    let Some(key) = key else {
        let reply = exclusive(store, call_id, lease, forward).await?;
        return Ok(Outcome {
            reply,
            replayed: false,
        });
    };
    let deadline = Instant::now() + wait;
    let mut forward = Some(forward);
    loop {
        match store
            .claim_key(call_id, key, action.as_str())
            .await
            .map_err(unavailable)?
        {
            Claim::Mine => {
                let forward = forward.take().expect("claimed once");
                let result = exclusive(store, call_id, lease, forward).await;
                let kept = match &result {
                    Ok(reply) => {
                        store
                            .answer_key(call_id, key, reply.status.as_u16(), &reply.body)
                            .await
                    }
                    // No answer from MiniVoice: the same key may try again.
                    Err(_) => store.release_key(call_id, key).await,
                };
                // MiniVoice has acted: its answer goes back whatever happened to the key (a
                // repeat is then not replayed, and the claim expires with the sweep).
                if let Err(e) = kept {
                    let _ = unavailable(e);
                }
                return result.map(|reply| Outcome {
                    reply,
                    replayed: false,
                });
            }
            Claim::Answered(answer) if answer.action == action.as_str() => {
                return Ok(Outcome {
                    reply: Reply {
                        status: StatusCode::from_u16(answer.status as u16)
                            .unwrap_or(StatusCode::OK),
                        body: answer.body.into(),
                    },
                    replayed: true,
                });
            }
            Claim::Pending { action: a } if a == action.as_str() => {
                if Instant::now() >= deadline {
                    return Err(AppError::ActionInProgress);
                }
                tokio::time::sleep(POLL).await;
            }
            _ => return Err(AppError::IdempotencyKeyReused),
        }
    }
}

/// Forwards while holding the call's lock. MiniVoice's own answers (success or its error)
/// come back as `Ok` so they are remembered; failures to get an answer stay `Err`.
async fn exclusive<F, Fut>(
    store: &Store,
    call_id: &str,
    lease: Duration,
    forward: F,
) -> Result<Reply, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, AppError>>,
{
    let lock = store
        .try_lock_call(call_id, lease)
        .await
        .map_err(unavailable)?
        .ok_or(AppError::ActionInProgress)?;
    let result = match forward().await {
        Ok(reply) => Ok(reply),
        Err(AppError::Upstream { status, body }) => Ok(Reply { status, body }),
        Err(e) => Err(e),
    };
    lock.release().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const WAIT: Duration = Duration::from_secs(2);

    fn ok() -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Bytes::from_static(b"{}"),
        }
    }

    #[tokio::test]
    async fn same_key_replays_without_forwarding_again() {
        for store in crate::store::test_stores().await {
            let calls = AtomicUsize::new(0);
            for i in 0..3 {
                let out = run(&store, "c", Action::Start, Some("k1"), WAIT, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(ok())
                })
                .await
                .unwrap();
                assert_eq!(out.replayed, i > 0);
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            let lock = store.try_lock_call("c", WAIT).await.unwrap();
            assert!(lock.is_some(), "released");
        }
    }

    #[tokio::test]
    async fn a_key_reused_for_another_action_is_refused() {
        for store in crate::store::test_stores().await {
            run(&store, "c", Action::Start, Some("k"), WAIT, || async {
                Ok(ok())
            })
            .await
            .unwrap();
            let again = run(&store, "c", Action::Stop, Some("k"), WAIT, || async {
                Ok(ok())
            })
            .await;
            assert!(matches!(again, Err(AppError::IdempotencyKeyReused)));
        }
    }

    #[tokio::test]
    async fn transport_failures_are_not_remembered() {
        for store in crate::store::test_stores().await {
            let first = run(&store, "c", Action::Start, Some("k"), WAIT, || async {
                Err(AppError::UpstreamTimeout)
            })
            .await;
            assert!(matches!(first, Err(AppError::UpstreamTimeout)));
            let second = run(&store, "c", Action::Start, Some("k"), WAIT, || async {
                Ok(ok())
            })
            .await
            .unwrap();
            assert!(!second.replayed);
        }
    }

    #[tokio::test]
    async fn minivoice_errors_are_remembered() {
        for store in crate::store::test_stores().await {
            let body = Bytes::from_static(br#"{"error":{"code":"x","message":"m"}}"#);
            let first = run(&store, "c", Action::Stop, Some("k"), WAIT, || async {
                Err(AppError::Upstream {
                    status: StatusCode::CONFLICT,
                    body: body.clone(),
                })
            })
            .await
            .unwrap();
            assert_eq!(first.reply.status, StatusCode::CONFLICT);
            let second = run(&store, "c", Action::Stop, Some("k"), WAIT, || async {
                Ok(ok())
            })
            .await
            .unwrap();
            assert!(second.replayed);
            assert_eq!(second.reply.body, body);
        }
    }
}
