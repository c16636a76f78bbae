//! What the project needs on a machine, and how to get each piece when it is missing. Each
//! check is a version probe, so a second run costs well under a second.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, StatusOk};

/// Trunk 0.22 needs a newer rustc than this machine kind has.
const TRUNK_VERSION: &str = "0.21.14";
/// The wasm-opt Trunk picks up from PATH (Debian's binaryen is too old).
const BINARYEN_VERSION: &str = "132";

/// Tools for building the widget.
pub fn ensure_build_tools(root: &Path) -> Result {
    ensure_wasm_target()?;
    ensure_trunk(root)?;
    ensure_wasm_bindgen(root)?;
    ensure_wasm_opt(root)
}

/// Build tools plus the browser the end-to-end tests drive, axe-core they run in it, nginx in
/// front of several replicas, and `ss`, which a test reads a listening socket's backlog with.
pub fn ensure_all(root: &Path) -> Result {
    ensure_build_tools(root)?;
    ensure_browser()?;
    ensure_nginx()?;
    ensure_ss()?;
    ensure_npm_package(root, "axe-core", AXE_VERSION, "axe-core/axe.min.js")
}

/// The accessibility engine the browser tests inject into pages: an exact version, so a new
/// release with new rules cannot turn CI red on its own.
const AXE_VERSION: &str = "4.14.1";

/// `name@version` in `.tools/`, unless that version (or, for a bare major like "132", one of
/// its releases) is installed already.
fn ensure_npm_package(root: &Path, name: &str, version: &str, probe: &str) -> Result {
    let modules = root.join(".tools/node_modules");
    let manifest = std::fs::read_to_string(modules.join(name).join("package.json"));
    let installed = manifest.ok().and_then(|m| {
        let after = m.split("\"version\":").nth(1)?;
        Some(after.split('"').nth(1)?.to_owned())
    });
    let wanted = |v: &str| v == version || v.starts_with(&format!("{version}."));
    if modules.join(probe).exists() && installed.as_deref().is_some_and(wanted) {
        return Ok(());
    }
    if version_of(root, "npm", "--version").is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    eprintln!("xtask: installing {name}@{version} into .tools/");
    std::fs::create_dir_all(root.join(".tools")).map_err(|e| e.to_string())?;
    Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(root.join(".tools"))
        .arg(format!("{name}@{version}"))
        .status_ok()
}

/// The npm packages `dir`'s `package-lock.json` pins, installed there by `npm ci`, unless they
/// were installed from that same lockfile already (a copy of it is kept in `node_modules`).
pub fn ensure_npm_ci(root: &Path, dir: &str) -> Result {
    let dir = root.join(dir);
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("{}: {e}", dir.join("package-lock.json").display()))?;
    let stamp = dir.join("node_modules/.installed-from-lock.json");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    if version_of(root, "npm", "--version").is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    eprintln!("xtask: npm ci in {}", dir.display());
    Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        // Playwright drives the machine's Chromium (`ensure_browser`), never one it downloads.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status_ok()?;
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}

/// `.tools/node_modules/.bin` and cargo's bin directory first, then the caller's PATH.
pub fn path_with_tools(root: &Path) -> String {
    let mut dirs = vec![root.join(".tools/node_modules/.bin"), cargo_bin()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs)
        .unwrap()
        .into_string()
        .expect("PATH is UTF-8")
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

/// The version a tool reports, if it runs at all.
fn version_of(root: &Path, program: &str, arg: &str) -> Option<String> {
    let out = Command::new(program)
        .arg(arg)
        .env("PATH", path_with_tools(root))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ensure_wasm_target() -> Result {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") {
        return Ok(());
    }
    eprintln!("xtask: adding the wasm32-unknown-unknown target");
    Command::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .status_ok()
}

fn ensure_trunk(root: &Path) -> Result {
    if version_of(root, "trunk", "--version").is_some_and(|v| v.ends_with(TRUNK_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing trunk {TRUNK_VERSION} (about 10 minutes, once)");
    Command::new("cargo")
        .args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"])
        .status_ok()
}

/// The dependency checker `cargo xtask lint` runs (`deny.toml`); an exact version, as its
/// database layout is part of how `deny.rs` serves it the advisory snapshot.
pub fn ensure_cargo_deny(root: &Path) -> Result {
    let installed = Command::new("cargo")
        .args(["deny", "--version"])
        .env("PATH", path_with_tools(root))
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    if installed.is_some_and(|v| v.ends_with(CARGO_DENY_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-deny {CARGO_DENY_VERSION} (about 3 minutes, once)");
    Command::new("cargo")
        .args([
            "install",
            "cargo-deny",
            "--version",
            CARGO_DENY_VERSION,
            "--locked",
        ])
        .status_ok()
}

const CARGO_DENY_VERSION: &str = "0.20.2";

/// wasm-bindgen's CLI must match the library version in Cargo.lock exactly.
fn ensure_wasm_bindgen(root: &Path) -> Result {
    let want = locked_version(root, "wasm-bindgen")?;
    if version_of(root, "wasm-bindgen", "--version").is_some_and(|v| v.ends_with(&want)) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {want} (about 5 minutes, once)");
    // Not --locked: its lockfile pins a crate the registry no longer serves.
    Command::new("cargo")
        .args(["install", "wasm-bindgen-cli", "--version", &want, "--force"])
        .status_ok()
}

fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"") {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}

fn ensure_wasm_opt(root: &Path) -> Result {
    let local = root.join(".tools/node_modules/.bin/wasm-opt");
    if local.exists()
        && version_of(root, "wasm-opt", "--version").is_some_and(|v| v.contains(BINARYEN_VERSION))
    {
        return Ok(());
    }
    std::fs::remove_file(&local).ok();
    ensure_npm_package(root, "binaryen", BINARYEN_VERSION, ".bin/wasm-opt")
}

/// promtool, which checks and unit-tests the alert rules (`tests/tests/e2e/alerts.rs`): one on
/// PATH's usual place, else Debian's, taken out of its `prometheus` package into `.tools/bin/`.
/// Not installed as a package: that is the Prometheus server too, whose service starts on
/// install (and it recommends the node exporter, another); promtool alone needs only libc.
pub fn ensure_promtool(root: &Path) -> Result<PathBuf> {
    let runs = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let local = root.join(".tools/bin/promtool");
    for have in [PathBuf::from("/usr/bin/promtool"), local.clone()] {
        if runs(&have) {
            return Ok(have);
        }
    }
    eprintln!("xtask: taking promtool out of Debian's prometheus package into .tools/bin/");
    let work = root.join(".tools/prometheus-deb");
    std::fs::remove_dir_all(&work).ok();
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    Command::new("apt-get").arg("update").status_ok()?;
    Command::new("apt-get")
        .args(["download", "prometheus"])
        .current_dir(&work)
        .status_ok()?;
    let deb = std::fs::read_dir(&work)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("apt-get download prometheus left no .deb")?;
    let unpacked = work.join("unpacked");
    Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&unpacked)
        .status_ok()?;
    std::fs::create_dir_all(root.join(".tools/bin")).map_err(|e| e.to_string())?;
    std::fs::rename(unpacked.join("usr/bin/promtool"), &local)
        .map_err(|e| format!("promtool is not where the package had it: {e}"))?;
    std::fs::remove_dir_all(&work).ok();
    if !runs(&local) {
        return Err(format!("{} does not run", local.display()));
    }
    Ok(local)
}

/// Minifies the widget's JS glue (exact version: its output is part of the size budget).
pub fn ensure_terser(root: &Path) -> Result {
    ensure_npm_package(root, "terser", TERSER_VERSION, ".bin/terser")
}

const TERSER_VERSION: &str = "5.51.4";

/// What the benchmarks drive load with, and put in front of the proxy.
pub fn ensure_bench_tools() -> Result {
    ensure_nginx()?;
    // valgrind: the instruction count per request (callgrind).
    let missing: Vec<&str> = [("wrk", "wrk"), ("valgrind", "valgrind")]
        .into_iter()
        .filter(|(bin, _)| !Path::new("/usr/bin").join(bin).exists())
        .map(|(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

/// What `cargo xtask chaos` runs besides the proxy: nginx in front, and PostgreSQL's server
/// programs (with `pg_stat_statements`) for a cluster of its own.
pub fn ensure_chaos_tools() -> Result {
    ensure_nginx()?;
    let have_server = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.path().join("bin/initdb").exists())
        })
        .unwrap_or(false);
    if have_server {
        return Ok(());
    }
    apt_install(&["postgresql"])
}

/// Compresses the widget's assets at build time.
pub fn ensure_brotli() -> Result {
    if Path::new("/usr/bin/brotli").exists() {
        return Ok(());
    }
    apt_install(&["brotli"])
}

fn ensure_nginx() -> Result {
    if Path::new("/usr/sbin/nginx").exists() {
        return Ok(());
    }
    apt_install(&["nginx-light"])
}

fn ensure_ss() -> Result {
    if Path::new("/usr/bin/ss").exists() || Path::new("/bin/ss").exists() {
        return Ok(());
    }
    apt_install(&["iproute2"])
}

fn ensure_browser() -> Result {
    let have = |p: &str| Path::new(p).exists();
    if have("/usr/bin/chromium") && have("/usr/bin/chromedriver") {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

pub fn apt_install(packages: &[&str]) -> Result {
    eprintln!(
        "xtask: installing {} from Debian's packages",
        packages.join(", ")
    );
    Command::new("apt-get").arg("update").status_ok()?;
    Command::new("apt-get")
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status_ok()
}
