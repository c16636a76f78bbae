//! Python tools from PyPI, each in a virtualenv of its own in `.tools/`, at an exact version.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::apt_install;
use crate::{Result, StatusOk};

/// The OpenAPI fuzzer the contract test runs (`tests/tests/e2e/openapi.rs`): an exact version, so
/// a release with new checks cannot turn CI red on its own.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The validator the same tests hold the document to, exact for the same reason.
const OPENAPI_SPEC_VALIDATOR_VERSION: &str = "0.9.0";

/// schemathesis in `.tools/schemathesis`; returns its executable.
pub fn ensure_schemathesis(root: &Path) -> Result<PathBuf> {
    ensure_pip_tool(root, "schemathesis", SCHEMATHESIS_VERSION)
}

/// openapi-spec-validator in `.tools/openapi-spec-validator`; returns its executable.
pub fn ensure_openapi_spec_validator(root: &Path) -> Result<PathBuf> {
    ensure_pip_tool(
        root,
        "openapi-spec-validator",
        OPENAPI_SPEC_VALIDATOR_VERSION,
    )
}

/// `package` (PyPI, with pip) in a virtualenv of its own, `.tools/<package>`, unless that
/// version is there already; returns its executable, named as the package.
fn ensure_pip_tool(root: &Path, package: &str, version: &str) -> Result<PathBuf> {
    let venv = root.join(".tools").join(package);
    let exe = venv.join("bin").join(package);
    let probe = format!("import importlib.metadata as m; print(m.version('{package}'))");
    let reported = Command::new(venv.join("bin/python"))
        .args(["-c", &probe])
        .output()
        .ok();
    let installed = reported
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installed.as_deref() == Some(version) && exe.exists() {
        return Ok(exe);
    }
    eprintln!("xtask: installing {package} {version} into .tools/{package}");
    let make_venv = || {
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv)
            .status_ok()
    };
    // Debian's python3 makes virtualenvs only with python3-venv.
    if make_venv().is_err() {
        apt_install(&["python3", "python3-venv"])?;
        make_venv()?;
    }
    Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("{package}=={version}"))
        .status_ok()?;
    Ok(exe)
}
