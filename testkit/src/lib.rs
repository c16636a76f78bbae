//! The one test harness: the proxy's integration tests and the browser tests' crate both use
//! it, so each helper exists once.
//!
//! - [`app`]: [`TestApp`], the proxy in this process on a listener the harness holds, with
//!   typed request helpers, and [`Answer`], what every request returns.
//! - [`token`]: agent tokens, minted in one place.
//! - [`fake`]: a scriptable fake MiniVoice, and the standalone sandbox as an upstream.
//! - [`sse`]: the event stream, parsed by `eventsource-stream`, and a raw reader for comments.
//! - [`webhook`]: signed deliveries, as MiniVoice sends them.
//! - [`raw`]: raw sockets, for requests and answers an HTTP client would normalise, clients
//!   that trickle, and connections the server closes.
//! - [`process`]: the binary as its own process.
//! - [`procs`]: any build's binaries as processes, and their memory and CPU time (benches).
//! - [`wait`]: waiting on a condition, with a deadline.
//! - [`story`]: the stores a test runs on; pause, resume, state, timeline, deliveries.
//! - [`supervisor`]: the calls recorded or paused now, every call's events, the pause report.
//! - [`postgres`]: the server `TEST_DATABASE_URL` names, and fresh databases on it.
//! - [`capture`]: log lines caught for a test to search.
//! - [`stats`]: percentiles of a run.

pub mod app;
pub mod capture;
pub mod fake;
pub mod postgres;
pub mod process;
pub mod procs;
pub mod raw;
pub mod sse;
pub mod stats;
pub mod story;
pub mod supervisor;
pub mod token;
pub mod wait;
pub mod webhook;

pub use app::*;
pub use capture::*;
pub use fake::*;
pub use postgres::*;
pub use process::*;
pub use raw::*;
pub use sse::*;
pub use stats::*;
pub use story::*;
pub use token::*;
pub use wait::*;
pub use webhook::*;

/// The API key every proxy with a real key holds; no answer may ever contain it.
pub const KEY: &str = "sk_test_integration_7f3a";

/// A file of the repository's `fixtures/`, for the life of the test.
pub fn fixture(name: &str) -> &'static str {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    Box::leak(std::fs::read_to_string(path).unwrap().into_boxed_str())
}
