//! `examples/playwright/`, the suite a CRM team would write around the element, run as they
//! would run it (`npx playwright test`) against the machine's Chromium, with the proxy it
//! starts (its config's `webServer`) being the debug binary the test suite has just built.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use crate::{tools, Result, StatusOk};

/// Where the suite lives, for `tools::ensure_npm_ci`.
pub const DIR: &str = "examples/playwright";

/// Runs the suite; the proxy and the CRM's pages on loopback ports free now.
pub fn run(root: &Path) -> Result {
    let free_port = || -> Result<u16> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
    };
    let dir = root.join(DIR);
    Command::new(dir.join("node_modules/.bin/playwright"))
        .arg("test")
        .current_dir(&dir)
        .env("PATH", tools::path_with_tools(root))
        .env("MINIVOICE_PROXY", root.join("target/debug/minivoice-proxy"))
        .env("WIDGET_DIR", root.join("dist"))
        .env("MINIVOICE_PORT", free_port()?.to_string())
        .env("CRM_PORT", free_port()?.to_string())
        .env("CHROMIUM", "/usr/bin/chromium")
        // As CI: `test.only` fails the run.
        .env("CI", "1")
        .status_ok()
}
