//! `cargo xtask bench`: installs what the measurements need, builds the widget, the release
//! proxy and the floors, then runs the e2e crate's `bench` (release), which prints the table.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::widget::{self, newest, precompress};
use crate::{cargo, root, tools, Result, StatusOk};

pub fn run() -> Result {
    let root = root();
    tools::ensure_all(&root)?;
    tools::ensure_bench_tools()?;
    // The plain static server the hello world is also served by (`python3 -m http.server`).
    Command::new("python3")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status_ok()
        .map_err(|e| format!("the bench serves a page with python3's http.server: {e}"))?;
    widget::build(false)?;
    let floor = hello_floor(&root)?;
    cargo(&root)
        .args(["build", "--release", "--package", "minivoice-proxy"])
        .status_ok()?;
    cargo(&root)
        .args(["build", "--release", "--package", "minivoice-e2e"])
        .args(["--bin", "bench", "--bin", "passthrough"])
        .status_ok()?;
    // Run directly, not through `cargo run`: it finds `passthrough` beside itself.
    Command::new(root.join("target/release/bench"))
        .arg(root.join("target/release/minivoice-proxy"))
        .arg(root.join("dist"))
        .arg(floor)
        .status_ok()
}

/// The Leptos hello-world floor, built by Trunk with the widget's profile and wasm-opt level,
/// its glue minified and precompressed as `widget` does, so the two pages differ only in what
/// they do.
fn hello_floor(root: &Path) -> Result<PathBuf> {
    let dist = root.join("target/bench-hello-dist");
    let stamp = dist.join(".built");
    // xtask/src too: a change to how the widget is built must reach the floor as well.
    let inputs = ["bench/hello", "xtask/src", "Cargo.lock", "Cargo.toml"];
    let newest_input = inputs.iter().filter_map(|p| newest(&root.join(p))).max();
    let built = std::fs::metadata(&stamp).and_then(|m| m.modified()).ok();
    if built.is_some() && built >= newest_input {
        return Ok(dist);
    }
    eprintln!("xtask: building the hello-world floor (trunk build --release)");
    // From its own directory, so the widget's Trunk.toml (target, dist) does not apply.
    Command::new("trunk")
        .args(["build", "--release", "--dist"])
        .arg(&dist)
        .current_dir(root.join("bench/hello"))
        .env("PATH", tools::path_with_tools(root))
        .env("TRUNK_OFFLINE", "true")
        // Trunk logs to stdout, which is the table's alone.
        .stdout(std::io::stderr())
        .status_ok()?;
    widget::minify_glue(root, &dist)?;
    precompress(&dist)?;
    std::fs::write(&stamp, b"").map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(dist)
}
