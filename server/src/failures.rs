//! Failures counted and logged where they happen, before they become answers: `error/` only
//! shapes responses. Counted here rather than by a middleware reading the answer, because the
//! automatic resume meets them in the background, where no answer is ever made.

use crate::error::AppError;
use crate::telemetry;

/// The store failed during `op`: counted and logged with its detail, answered 503 without
/// it (a database error can name users, tables or hosts).
pub fn store(op: &'static str, e: sqlx::Error) -> AppError {
    telemetry::store_error(op);
    tracing::error!(op, error = %e, "store error");
    AppError::StoreUnavailable
}
