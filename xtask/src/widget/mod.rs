//! The widget's build pipeline, `cargo xtask widget` (and the first step of `run`, `test`,
//! `install` and `bench`): Trunk's release build (cargo's `wasm-release` profile, then
//! wasm-bindgen and `wasm-opt -Oz`, as `frontend/index.html` asks), the JS glue minified and the exports
//! nothing calls taken out ([`minify`]), the German and French catalogs written beside the wasm
//! ([`catalogs`]), and a `.br` and a `.gz` of every asset; then Trunk, the glue and the
//! compressed copies again for the supervisor's view, a bundle of its own in
//! `dist/supervisor/` (its catalogs are the widget's). The tools it runs are installed by
//! `crate::tools::ensure_build_tools`.

mod catalogs;
mod minify;

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

pub use minify::minify_glue;

use crate::{root, tools, Result, StatusOk};

/// Builds the widget with Trunk unless `dist/` is newer than every input.
pub fn build(force: bool) -> Result {
    let root = root();
    let stamp = root.join("dist/.built");
    // i18n: English is built into the wasm, the others are written beside it. xtask/src too:
    // how the widget is built (minify.rs) changes what it is.
    let inputs = [
        "frontend",
        "i18n",
        "shared",
        "style",
        "xtask/src",
        "Cargo.lock",
        "Trunk.toml",
        "Cargo.toml",
    ];
    let newest_input = inputs.iter().filter_map(|p| newest(&root.join(p))).max();
    let built = std::fs::metadata(&stamp).and_then(|m| m.modified()).ok();
    if !force && built.is_some() && built >= newest_input {
        eprintln!("xtask: widget in dist/ is up to date");
        return Ok(());
    }
    eprintln!("xtask: building the widget (trunk build --release)");
    // First: Trunk empties its dist folder, `dist/supervisor/` with it.
    trunk(&root, &[])?;
    minify::minify_glue(&root, &root.join("dist"))?;
    catalogs::write_catalogs(&root.join("dist"))?;
    precompress(&root.join("dist"))?;
    build_supervisor(&root)?;
    std::fs::write(&stamp, b"").map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// The supervisor's view as a bundle of its own in `dist/supervisor/` (served at
/// `/supervisor`), so an agent's widget never downloads it. Its words are the widget's
/// catalogs, fetched from `dist/` itself.
fn build_supervisor(root: &Path) -> Result {
    if !root.join(SUPERVISOR_PAGE).is_file() {
        return Ok(());
    }
    eprintln!("xtask: building the supervisor's view (trunk build --release {SUPERVISOR_PAGE})");
    let dist = root.join("dist/supervisor");
    trunk(
        root,
        &[
            SUPERVISOR_PAGE,
            "--dist",
            "dist/supervisor",
            "--public-url",
            "/supervisor/",
        ],
    )?;
    minify::minify_glue(root, &dist)?;
    precompress(&dist)
}

/// The supervisor's page: the same head as `frontend/index.html`, the supervisor's binary.
const SUPERVISOR_PAGE: &str = "frontend/supervisor.html";

/// `trunk build --release` with `args`, offline, the tools `cargo xtask` installed on PATH.
fn trunk(root: &Path, args: &[&str]) -> Result {
    // `--release` last: it takes an optional value, which a page's path would be read as.
    Command::new("trunk")
        .arg("build")
        .args(args)
        .arg("--release")
        .current_dir(root)
        .env("PATH", tools::path_with_tools(root))
        .env("TRUNK_OFFLINE", "true")
        .status_ok()
}

/// `.br` and `.gz` beside every asset, at their best levels, for the proxy to serve to
/// browsers that accept them (the page and the embed script are compressed per request).
pub fn precompress(dist: &Path) -> Result {
    tools::ensure_brotli()?;
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("reading {}: {e}", dist.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let asset = [".wasm", ".js", ".css", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if !asset {
            continue;
        }
        Command::new("gzip")
            .args(["-9", "-k", "-f", "-n"])
            .arg(&path)
            .status_ok()?;
        Command::new("brotli")
            .args(["-q", "11", "-k", "-f"])
            .arg(&path)
            .status_ok()?;
    }
    Ok(())
}

/// The latest modification time of `path`, or of any file under it.
pub fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| newest(&e.path()))
        .max()
}
