//! `cargo deny check advisories licenses` (`deny.toml`) against a committed snapshot of the
//! RustSec advisory database: this machine kind reaches crates.io but not GitHub, where the
//! database lives, so cargo-deny cannot fetch it here. The snapshot holds every advisory for
//! every crate name in `Cargo.lock` as of one upstream commit, and the check refuses to run when
//! `Cargo.lock` names a crate the snapshot was not taken for.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::tools;
use crate::{Result, StatusOk};

const SNAPSHOT: &str = "deny/advisory-db";
const UPSTREAM: &str = "https://github.com/rustsec/advisory-db";
/// Where cargo-deny 0.20 looks for the database of `deny.toml`'s `db-urls` under its
/// `db-path`: the URL's name and a hash of it.
const DB_DIR: &str = "target/advisory-dbs/advisory-db-3157b0e258782691";

pub fn check(root: &Path) -> Result {
    tools::ensure_cargo_deny(root)?;
    let snapshot = root.join(SNAPSHOT);
    let covered = read_lines(&snapshot.join("covered-crates.txt"))?;
    let missing: Vec<String> = locked_crates(root)?.difference(&covered).cloned().collect();
    if !missing.is_empty() {
        return Err(format!(
            "the advisory snapshot was not taken for {} (new in Cargo.lock); refresh it: \
             cargo xtask advisory-db",
            missing.join(", ")
        ));
    }
    let info = std::fs::read_to_string(snapshot.join("SNAPSHOT")).map_err(|e| e.to_string())?;
    let date = field(&info, "date")?;
    // cargo-deny reads a git checkout (it asks git for the HEAD's date), so the snapshot is
    // served as one, committed at the upstream commit's date.
    let db = root.join(DB_DIR);
    let _ = std::fs::remove_dir_all(&db);
    copy_dir(&snapshot.join("crates"), &db.join("crates"))?;
    let git = |args: &[&str]| {
        Command::new("git")
            .args(["-c", "user.name=xtask", "-c", "user.email=xtask@localhost"])
            .args(args)
            .current_dir(&db)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .status_ok()
    };
    git(&["init", "--quiet"])?;
    git(&["add", "--all"])?;
    git(&["commit", "--quiet", "--message", &info])?;
    eprintln!(
        "xtask: cargo deny against the RustSec snapshot of {date} ({})",
        field(&info, "commit")?
    );
    crate::cargo(root)
        .args(["deny", "--offline", "check", "advisories", "licenses"])
        .status_ok()
}

/// `cargo xtask advisory-db [SOURCE]`: a new snapshot from SOURCE (a clone URL or a local
/// checkout; RustSec's GitHub repository by default) for the crates in `Cargo.lock` now.
pub fn refresh(root: &Path, source: Option<&String>) -> Result {
    let source = source.map(String::as_str).unwrap_or(UPSTREAM);
    let clone = root.join("target/advisory-db-clone");
    let _ = std::fs::remove_dir_all(&clone);
    Command::new("git")
        .args(["clone", "--quiet", "--depth", "1", source])
        .arg(&clone)
        .status_ok()?;
    let head = |format: &str| -> Result<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&clone)
            .args(["log", "-1", &format!("--format={format}")])
            .output()
            .map_err(|e| format!("git: {e}"))?;
        if !out.status.success() {
            return Err(format!("git log in {}: {}", clone.display(), out.status));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let (commit, date) = (head("%H")?, head("%cI")?);
    let crates = locked_crates(root)?;
    let snapshot = root.join(SNAPSHOT);
    let _ = std::fs::remove_dir_all(snapshot.join("crates"));
    for name in &crates {
        let advisories = clone.join("crates").join(name);
        if advisories.is_dir() {
            copy_dir(&advisories, &snapshot.join("crates").join(name))?;
        }
    }
    let list: String = crates.iter().map(|c| format!("{c}\n")).collect();
    write(&snapshot.join("covered-crates.txt"), &list)?;
    write(
        &snapshot.join("SNAPSHOT"),
        &format!("RustSec advisory-db, from {source}\ncommit: {commit}\ndate: {date}\n"),
    )?;
    eprintln!(
        "xtask: advisory snapshot of {date} ({commit}) for {} crates",
        crates.len()
    );
    Ok(())
}

fn locked_crates(root: &Path) -> Result<BTreeSet<String>> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(registry_crates(&lock))
}

/// Every package name in a `Cargo.lock` that comes from a registry or a repository. The
/// workspace's own crates (no `source`) are not the crates.io crates that may share their
/// names, so RustSec's advisories do not apply to them.
fn registry_crates(lock: &str) -> BTreeSet<String> {
    lock.split("[[package]]")
        .filter(|package| package.lines().any(|l| l.starts_with("source = ")))
        .filter_map(|package| {
            package
                .lines()
                .find_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"'))
        })
        .map(str::to_owned)
        .collect()
}

fn read_lines(path: &Path) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading {}: {e} (cargo xtask advisory-db)", path.display()))?;
    Ok(text.lines().map(str::to_owned).collect())
}

fn field<'a>(info: &'a str, name: &str) -> Result<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .ok_or_else(|| format!("{SNAPSHOT}/SNAPSHOT has no {name}"))
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_workspace_s_own_crates_need_no_advisories() {
        let lock = "version = 4\n\n[[package]]\nname = \"testkit\"\nversion = \"0.1.0\"\n\n\
                    [[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n\
                    source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let crates: Vec<_> = super::registry_crates(lock).into_iter().collect();
        assert_eq!(crates, ["serde"]);
    }
}
