//! The log subscriber: human-readable lines (`text`, the default) or one JSON object per line
//! (`json`, for log shippers), both on stderr and filtered by `RUST_LOG`.

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::{SubscriberInitExt, TryInitError};
use tracing_subscriber::EnvFilter;

/// `LOG_FORMAT` / `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, the request's span fields before it.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields` (the event's, with
    /// `message`), `target`, `span` (the innermost span's fields: `request_id`, `call_id`,
    /// `agent`, …) and `spans`.
    Json,
}

/// What `RUST_LOG` does not override: INFO, so each request's answer line shows.
pub const DEFAULT_FILTER: &str = "info,tower_http=info";

/// The subscriber for `format`, writing to `writer` (stderr in the binary, a buffer in tests);
/// `colour` applies to text only.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    colour: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(colour).finish()),
        // Never colour codes: a shipper would store them inside the JSON strings.
        LogFormat::Json => Box::new(builder.json().with_ansi(false).finish()),
    }
}

/// Installs the process's subscriber: `RUST_LOG` or [`DEFAULT_FILTER`], on stderr, in colour
/// only when stderr is a terminal (a file or a collector gets plain text).
pub fn init(format: LogFormat) -> Result<(), TryInitError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    subscriber(format, filter, colour, std::io::stderr).try_init()
}
