//! Panics as log lines: a background task (the webhook worker, the automatic resume, a
//! retention sweep) that panics would otherwise leave only Rust's plain-text note on stderr,
//! which a JSON log shipper drops and no `level=error` alert sees.

/// Replaces the panic hook with one that logs at error, through the installed subscriber.
pub fn log_panics() {
    let rusts_own = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let thread = std::thread::current();
        tracing::error!(
            panic = message,
            at = info.location().map(|l| l.to_string()).unwrap_or_default(),
            thread = thread.name().unwrap_or("unnamed"),
            "panicked"
        );
        // Whoever asked for a backtrace still gets Rust's own report, with it.
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            rusts_own(info);
        }
    }));
}
