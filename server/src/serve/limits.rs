//! `MAX_CONNECTIONS` against the process's file limit (RLIMIT_NOFILE), at start-up. A cap
//! above what the process may open is no cap: the descriptors run out first, `accept` fails
//! (EMFILE) and nobody is served, `/healthz` included. So the soft limit is raised as far as
//! the cap needs (up to the hard limit, as an unprivileged process may), and a hard limit too
//! low for it refuses to start, saying which value fits.

use crate::config::ServeConfig;

/// Descriptors the proxy needs besides its clients' connections: the listener, the runtime's
/// own, logs, the sandbox's listener, connections to MiniVoice. An estimate: the accept loop
/// backs off should it be short.
const OWN_FILES: u64 = 64;
/// Per store connection: a socket on PostgreSQL; the database, its WAL and shared memory on
/// SQLite.
const FILES_PER_STORE_CONNECTION: u64 = 3;

/// Descriptors `cfg` needs at most, its connections and everything else.
pub fn files_needed(cfg: &ServeConfig) -> (u64, u64) {
    let own = OWN_FILES + FILES_PER_STORE_CONNECTION * u64::from(cfg.database_max_connections);
    (cfg.max_connections as u64 + own, own)
}

/// Raises the soft file limit to fit `MAX_CONNECTIONS`, or says why it cannot.
pub fn fit_file_limit(cfg: &ServeConfig) -> Result<(), String> {
    if cfg.max_event_streams >= cfg.max_connections {
        tracing::warn!(
            max_event_streams = cfg.max_event_streams,
            max_connections = cfg.max_connections,
            "MAX_EVENT_STREAMS is not below MAX_CONNECTIONS: each stream holds a connection, \
             so open streams can leave none for requests"
        );
    }
    fit(cfg)
}

#[cfg(unix)]
fn fit(cfg: &ServeConfig) -> Result<(), String> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

    let (needed, own) = files_needed(cfg);
    let limit = getrlimit(Resource::Nofile);
    // `None` is "unlimited".
    let soft = limit.current.unwrap_or(u64::MAX);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(());
    }
    if hard < needed {
        let fits = match hard.checked_sub(own) {
            Some(n) if n > 0 => format!("set MAX_CONNECTIONS to at most {n}, or raise the limit"),
            _ => format!("raise the limit above {own}"),
        };
        return Err(format!(
            "MAX_CONNECTIONS={} needs about {needed} open files (the connections, and {own} \
             for the store, MiniVoice and the proxy itself), but this process may open only \
             {hard} (`ulimit -n`, systemd's LimitNOFILE=): {fits}",
            cfg.max_connections
        ));
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(needed),
            maximum: limit.maximum,
        },
    )
    .map_err(|e| format!("raising the file limit from {soft} to {needed}: {e}"))?;
    tracing::info!(
        from = soft,
        to = needed,
        "raised the soft file limit to fit MAX_CONNECTIONS"
    );
    Ok(())
}

#[cfg(not(unix))]
fn fit(_: &ServeConfig) -> Result<(), String> {
    Ok(())
}
