//! `cargo xtask chaos`: builds the proxy and the e2e crate's `chaos` harness, installs nginx
//! and PostgreSQL's server programs when missing, and runs the harness, which starts its own
//! PostgreSQL cluster (so the machine's, and other tests on it, are left alone).

use std::path::Path;
use std::process::Command;

use crate::{cargo, root, tools, Result, StatusOk};

/// The short form `cargo xtask test` runs: the same faults and checks in 75 s of load.
const SHORT_SECONDS: &str = "75";

/// `chaos [--seconds N] [--debug]`: the release binaries unless `--debug`.
pub fn run(args: &[String]) -> Result {
    let debug = args.iter().any(|a| a == "--debug");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--debug").cloned().collect();
    harness(!debug, &rest)
}

/// The short form, on the debug binaries (the test suite has built them already).
pub fn short() -> Result {
    harness(false, &["--seconds".into(), SHORT_SECONDS.into()])
}

fn harness(release: bool, args: &[String]) -> Result {
    let root = root();
    tools::ensure_chaos_tools()?;
    let profile = if release { "release" } else { "debug" };
    let mut build = cargo(&root);
    build.arg("build");
    if release {
        build.arg("--release");
    }
    build
        .args(["--package", "minivoice-proxy", "--package", "minivoice-e2e"])
        .args(["--bin", "minivoice-proxy", "--bin", "chaos"])
        .status_ok()?;
    let dir = root.join("target").join(profile);
    eprintln!("xtask: chaos run ({profile} binaries)");
    Command::new(dir.join("chaos"))
        .arg(dir.join("minivoice-proxy"))
        .args(args)
        .env("PATH", tools::path_with_tools(&root))
        .current_dir(Path::new("/"))
        .status_ok()
}
