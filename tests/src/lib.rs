//! Harness for the browser tests: each test gets its own proxy (sandbox mode, serving the built
//! widget) and its own chromedriver + headless Chromium, all on fresh loopback ports, so tests
//! run in parallel without sharing state.

//!
//! The harness is one [`Harness`] per browser, its methods grouped by concern: `server` (the
//! proxy it drives, the sample CRM page), `browser` (chromedriver and Chromium), `page`
//! (waiting, reading and clicking), `shadow` (queries into an embedded widget's shadow root)
//! and `axe` (accessibility checks); `deployment` is several replicas behind nginx; `words`
//! finds English words where another language is expected. What is not about browsers (the
//! proxy in process and as a process, signed webhooks, ports, PostgreSQL databases) is the
//! `testkit` crate's, shared with the proxy's own integration tests.

mod axe;
mod browser;
pub mod deployment;
mod page;
mod server;
mod shadow;
pub mod words;

use std::net::SocketAddr;
use std::process::Child;

use fantoccini::Client;
use minivoice_proxy::ServeConfig;

pub use server::{serve_crm_page, serve_crm_pages, widget_dir};
pub use shadow::in_widget;
// The generic harness lives in `testkit`; these are the parts browser tests use most.
pub use testkit::{free_port, procs, send_webhook, try_send_webhook, InProcess, DEADLINE};

pub struct Harness {
    pub proxy: SocketAddr,
    /// The built-in sandbox (a simulated MiniVoice), for its test-only routes.
    pub sandbox: Option<SocketAddr>,
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// The proxy this harness started and its configuration (stopped when dropped); `None`
    /// for a browser on another's proxy.
    own: Option<(InProcess, ServeConfig)>,
}
