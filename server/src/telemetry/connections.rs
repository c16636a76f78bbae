//! The accept loop's metrics (`serve.rs`): connections open and allowed, connections a cap
//! refused, and failed accepts (out of descriptors).

use metrics::Unit;

use super::prometheus;

pub const CONNECTIONS_OPEN: &str = "minivoice_connections_open";
pub const CONNECTIONS_MAX: &str = "minivoice_connections_max";
pub const CONNECTIONS_REFUSED: &str = "minivoice_connections_refused_total";
pub const ACCEPT_ERRORS: &str = "minivoice_accept_errors_total";

/// Client connections open now.
pub fn connections_open(n: usize) {
    prometheus::install();
    metrics::gauge!(CONNECTIONS_OPEN).set(n as f64);
}

/// How many may be open (`MAX_CONNECTIONS`): set once, so an alert can divide by it.
pub fn connections_max(n: usize) {
    prometheus::install();
    metrics::gauge!(CONNECTIONS_MAX).set(n as f64);
}

/// A new connection was closed at once by a cap (`cap`: `total` or `per_client`).
pub fn connection_refused(cap: &'static str) {
    prometheus::install();
    metrics::counter!(CONNECTIONS_REFUSED, "cap" => cap).increment(1);
}

/// `accept` failed for want of descriptors or memory (the loop backs off).
pub fn accept_error() {
    prometheus::install();
    metrics::counter!(ACCEPT_ERRORS).increment(1);
}

pub(super) fn describe() {
    metrics::describe_gauge!(
        CONNECTIONS_OPEN,
        Unit::Count,
        "Client connections open now."
    );
    metrics::describe_gauge!(
        CONNECTIONS_MAX,
        Unit::Count,
        "Client connections allowed at once (MAX_CONNECTIONS)."
    );
    metrics::describe_counter!(
        CONNECTIONS_REFUSED,
        Unit::Count,
        "New connections closed at once because a cap was reached, by cap."
    );
    metrics::describe_counter!(
        ACCEPT_ERRORS,
        Unit::Count,
        "Failed accepts (out of file descriptors or memory); the accept loop backs off."
    );
    // Served at 0 from the start: an alert's `rate()` needs a sample before the first
    // failure to see it, and a failure may never come before the alert's test scrapes.
    metrics::counter!(ACCEPT_ERRORS).increment(0);
}
