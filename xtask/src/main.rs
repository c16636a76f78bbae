//! Set-up and orchestration: `cargo xtask run` and `cargo xtask test` work on a fresh machine
//! (they install what is missing) and are quick the second time (they skip what is present).

mod bench;
mod chaos;
mod deny;
mod pip;
mod playwright;
mod postgres;
mod tools;
mod widget;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <command>
  run [ARGS…]   install what is missing, build the widget, start the proxy (sandbox without a key)
  test          install what is missing, build the widget, run every test (unit, proxy, browser)
  lint          cargo fmt --check, cargo clippy -D warnings (host and wasm32), and cargo deny
                (licenses; advisories against deny/advisory-db)
  deny          only cargo deny (licenses; advisories against deny/advisory-db)
  advisory-db [SOURCE]
                refresh deny/advisory-db from RustSec's repository (or SOURCE, a clone URL or path)
  install [ARGS…]
                build the widget, then `cargo install --path server` with it built in
  load [--requests N] [--concurrency C]
                bounded loopback load run through the release proxy to its sandbox
  soak [CALLS]  100,000 calls (or CALLS) through the release proxy; prints its RSS after
                warm-up and at the end
  postgres      start the tests' PostgreSQL (installing it when missing); print its URL
  replicas [--events N] [--seconds S]
                two release replicas on PostgreSQL behind nginx: cross-replica event
                latency, and throughput of one vs two replicas (wrk)
  chaos [--seconds N]
                two release replicas on their own PostgreSQL behind nginx, the sandbox as
                MiniVoice, under load for N s (240) while a replica is killed, PostgreSQL
                restarted, its connection cut and MiniVoice fails; fails if anything is lost
                (docs/chaos.md)
  bench         one table of figures against their floors: widget bytes and first render vs
                a Leptos hello world, proxy throughput vs a passthrough and nginx, live-event
                fan-out to 10,000 subscribers (BENCHMARKS.md)
  setup         only install what is missing
  widget        only build the widget into dist/ (release, size-optimised)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("lint") => lint(),
        Some("deny") => deny::check(&root()),
        Some("advisory-db") => deny::refresh(&root(), args.get(1)),
        Some("install") => install(&args[1..]),
        Some("load") => load(&args[1..]),
        Some("soak") => soak(args.get(1)),
        Some("replicas") => replicas(&args[1..]),
        Some("bench") => bench::run(),
        Some("chaos") => chaos::run(&args[1..]),
        Some("setup") => tools::ensure_all(&root())
            .and_then(|_| pip::ensure_schemathesis(&root()))
            .and_then(|_| pip::ensure_openapi_spec_validator(&root()))
            .and_then(|_| tools::ensure_npm_ci(&root(), "tests/contract"))
            .and_then(|_| tools::ensure_promtool(&root()))
            .map(drop),
        Some("postgres") => postgres::ensure().map(|url| println!("{url}")),
        Some("widget") => tools::ensure_build_tools(&root()).and_then(|_| widget::build(true)),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run(args: &[String]) -> Result {
    let root = root();
    tools::ensure_build_tools(&root)?;
    widget::build(false)?;
    eprintln!("xtask: starting the proxy; it prints the URL to open");
    cargo(&root)
        .args(["run", "--release", "--package", "minivoice-proxy", "--"])
        .args(args)
        .env("WIDGET_DIR", root.join("dist"))
        .status_ok()
}

fn test() -> Result {
    let root = root();
    tools::ensure_all(&root)?;
    let postgres = postgres::ensure()?;
    // The OpenAPI contract test (tests/tests/e2e/openapi.rs) fuzzes the proxy with it.
    let schemathesis = pip::ensure_schemathesis(&root)?;
    // …and holds its document to what integrators' tools accept: openapi-spec-validator,
    // and tests/contract's redocly, openapi-typescript, openapi-fetch and tsc.
    let spec_validator = pip::ensure_openapi_spec_validator(&root)?;
    tools::ensure_npm_ci(&root, "tests/contract")?;
    // The alert rules' tests (tests/tests/e2e/alerts.rs) run it.
    let promtool = tools::ensure_promtool(&root)?;
    // The element's typings compiled as a CRM's TypeScript (tests/tests/e2e/element.rs), and
    // the CRM-style Playwright suite run after the workspace's tests.
    tools::ensure_npm_ci(&root, "examples/typescript")?;
    tools::ensure_npm_ci(&root, playwright::DIR)?;
    widget::build(false)?;
    cargo(&root)
        .args(["test", "--workspace"])
        .env("WIDGET_DIR", root.join("dist"))
        .env("TEST_DATABASE_URL", postgres)
        .env("SCHEMATHESIS", schemathesis)
        .env("OPENAPI_SPEC_VALIDATOR", spec_validator)
        .env("PROMTOOL", promtool)
        .status_ok()?;
    playwright::run(&root)?;
    // The fault run's short form, alone after the suite (it starts its own PostgreSQL and
    // loads both cores), on the debug binaries the suite just built.
    chaos::short()
}

fn replicas(args: &[String]) -> Result {
    let postgres = postgres::ensure()?;
    tools::ensure_bench_tools()?;
    run_against_release_proxy("replicas", args, &[("TEST_DATABASE_URL", postgres)])
}

fn load(args: &[String]) -> Result {
    run_against_release_proxy("load", args, &[])
}

/// Builds the release proxy, then runs the e2e crate's `bin` (release) with its path first.
fn run_against_release_proxy(bin: &str, args: &[String], env: &[(&str, String)]) -> Result {
    let root = root();
    cargo(&root)
        .args(["build", "--release", "--package", "minivoice-proxy"])
        .status_ok()?;
    let mut run = cargo(&root);
    run.args([
        "run",
        "--release",
        "--package",
        "minivoice-e2e",
        "--bin",
        bin,
        "--",
    ])
    .arg(root.join("target/release/minivoice-proxy"))
    .args(args);
    for (k, v) in env {
        run.env(k, v);
    }
    run.status_ok()
}

/// The soak is the proxy's own (ignored) soak test on the release build, so the suite's
/// plateau check and this run share one driver.
fn soak(calls: Option<&String>) -> Result {
    let root = root();
    let mut c = cargo(&root);
    c.args([
        "test",
        "--release",
        "--package",
        "minivoice-proxy",
        "--test",
        "api",
        "soak::soak_full",
        "--",
        "--ignored",
        "--nocapture",
    ]);
    if let Some(n) = calls {
        c.env("SOAK_CALLS", n);
    }
    c.status_ok()
}

fn lint() -> Result {
    let root = root();
    cargo(&root)
        .args(["fmt", "--all", "--", "--check"])
        .status_ok()?;
    cargo(&root)
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .status_ok()?;
    tools::ensure_build_tools(&root)?;
    cargo(&root)
        .args([
            "clippy",
            "--package",
            "minivoice-widget",
            "--target",
            "wasm32-unknown-unknown",
            // The supervisor's bundle is the `supervisor` feature (frontend/Cargo.toml).
            "--all-features",
        ])
        .args(["--", "-D", "warnings"])
        .status_ok()?;
    deny::check(&root)
}

/// The single binary, with the widget built into it (`server/src/widget/files.rs`).
fn install(args: &[String]) -> Result {
    let root = root();
    tools::ensure_build_tools(&root)?;
    widget::build(false)?;
    cargo(&root)
        .args(["install", "--locked", "--path"])
        .arg(root.join("server"))
        .args(args)
        .status_ok()
}

fn cargo(root: &Path) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root)
        .env("PATH", tools::path_with_tools(root));
    c
}

trait StatusOk {
    fn status_ok(&mut self) -> Result;
}

impl StatusOk for Command {
    fn status_ok(&mut self) -> Result {
        let status = self
            .status()
            .map_err(|e| format!("cannot run {:?}: {e}", self.get_program()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{:?} failed ({status})", self.get_program()))
        }
    }
}
