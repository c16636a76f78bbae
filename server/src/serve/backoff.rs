//! What the accept loop does when `accept` fails. Out of descriptors (EMFILE, ENFILE) or
//! memory, every retry fails at once until something closes: retrying at once spins a core,
//! and logging each failure wrote "accept failed" 704 times in 25 s. So: wait, doubling from
//! 5 ms to at most [`MAX_PAUSE`] (short, so `/healthz` answers again soon after descriptors free
//! up), log a failure at most every [`LOG_EVERY`], and say once after each such line when a
//! connection is accepted again.

use std::io;
use std::time::{Duration, Instant};

use crate::telemetry;

const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// Longest wait between two accepts while they fail.
pub const MAX_PAUSE: Duration = Duration::from_millis(500);
/// Least time between two log lines about one run of failures.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct AcceptBackoff {
    /// Failed accepts since the last line about them.
    unlogged: u64,
    /// When the last "accept failed" line was written.
    logged: Option<Instant>,
    /// Whether that line still awaits its "accepting again".
    reported: bool,
    next_pause: Option<Duration>,
}

impl AcceptBackoff {
    /// After a failed accept: how long to wait before the next (`None`: at once).
    pub fn failed(&mut self, error: &io::Error) -> Option<Duration> {
        if is_per_connection(error) {
            // One client's connection went away while it waited to be accepted: the
            // listener is fine.
            tracing::debug!(%error, "a connection ended before it was accepted");
            return None;
        }
        telemetry::accept_error();
        self.unlogged += 1;
        let pause = self.next_pause.unwrap_or(FIRST_PAUSE);
        self.next_pause = Some((pause * 2).min(MAX_PAUSE));
        let now = Instant::now();
        // At the edge of the limit accepts alternate (each closed connection lets one in), so
        // the throttle spans such runs rather than restarting with each.
        if self.logged.is_none_or(|at| now - at >= LOG_EVERY) {
            tracing::warn!(
                %error,
                failed_accepts = self.unlogged,
                pause_ms = pause.as_millis() as u64,
                "accept failed; backing off (logged at most every {}s)",
                LOG_EVERY.as_secs()
            );
            self.logged = Some(now);
            self.reported = true;
            self.unlogged = 0;
        }
        Some(pause)
    }

    /// After a connection was accepted: the next failure waits the shortest pause again, and
    /// the last "accept failed" line gets its answer (once).
    pub fn accepted(&mut self) {
        self.next_pause = None;
        if self.reported {
            self.reported = false;
            tracing::warn!(
                failed_accepts_since_logged = self.unlogged,
                "accepted a connection again"
            );
        }
    }
}

/// Errors about one pending connection, not the listener (as hyper's and axum's loops tell).
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_to_a_bound_and_reset_once_accepting_works() {
        let emfile = io::Error::from_raw_os_error(24);
        let mut b = AcceptBackoff::default();
        let pauses: Vec<_> = (0..10).map(|_| b.failed(&emfile).unwrap()).collect();
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert_eq!(pauses[1], FIRST_PAUSE * 2);
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE);
        b.accepted();
        assert_eq!(b.failed(&emfile), Some(FIRST_PAUSE));
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(b.failed(&aborted), None);
    }
}
