//! Figures of a run.

use std::time::Duration;

/// The `p` quantile (0 < p ≤ 1) of `sorted`, by the nearest-rank method; `sorted` ascends and
/// is not empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}
