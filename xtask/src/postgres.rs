//! PostgreSQL for the tests (the store's second engine, and several replicas sharing it):
//! Debian's server on loopback, installed when missing and started when it is not running.
//! Each test makes its own database on it; `ensure` drops those an earlier run left.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tools::apt_install;
use crate::{Result, StatusOk};

/// A role of its own (it may create databases, nothing more), so the tests never touch the
/// server's superuser or anyone else's databases.
const ROLE: &str = "minivoice_test";
const PASSWORD: &str = "minivoice_test";

/// The server's URL (no database), e.g. `postgres://minivoice_test:…@127.0.0.1:5432/postgres`.
pub fn ensure() -> Result<String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return Ok(url);
    }
    if !Path::new("/usr/bin/pg_lsclusters").exists() {
        apt_install(&["postgresql"])?;
    }
    let (version, name, port, online) = cluster()?;
    if !online {
        eprintln!("xtask: starting PostgreSQL {version}/{name}");
        Command::new("pg_ctlcluster")
            .args([&version, &name, "start"])
            .status_ok()?;
    }
    psql(&format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
             CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}';
           END IF;
         END $$;"
    ))?;
    let url = format!("postgres://{ROLE}:{PASSWORD}@127.0.0.1:{port}/postgres");
    wait_for(&port)?;
    drop_leftovers()?;
    Ok(url)
}

/// The first cluster `pg_lsclusters` lists: version, name, port, whether it is online.
fn cluster() -> Result<(String, String, String, bool)> {
    let out = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .map_err(|e| format!("pg_lsclusters: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .next()
        .ok_or("no PostgreSQL cluster: create one with pg_createcluster")?;
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 4 {
        return Err(format!("cannot read pg_lsclusters: {line}"));
    }
    Ok((f[0].into(), f[1].into(), f[2].into(), f[3] == "online"))
}

/// Runs `sql` as the server's superuser (through `su`, on its local socket), fed on stdin so
/// no shell quoting gets in the way.
fn psql_output(sql: &str) -> Result<String> {
    use std::io::Write;
    let mut child = Command::new("su")
        .args(["postgres", "-c", "psql -qAt -v ON_ERROR_STOP=1"])
        .current_dir("/")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("psql: {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .map_err(|e| format!("psql: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("psql: {e}"))?;
    if !out.status.success() {
        return Err(format!("psql failed on: {sql}"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn psql(sql: &str) -> Result {
    psql_output(sql).map(|_| ())
}

fn wait_for(port: &str) -> Result {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-U",
                ROLE,
                "-d",
                "postgres",
                "-qAt",
                "-c",
                "SELECT 1",
            ])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("PostgreSQL did not accept connections on 127.0.0.1".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Test databases (`mv_…`, owned by the tests' role) an earlier run left behind.
fn drop_leftovers() -> Result {
    let names = psql_output(&format!(
        "SELECT datname FROM pg_database d JOIN pg_roles r ON d.datdba = r.oid
         WHERE r.rolname = '{ROLE}' AND datname LIKE 'mv\\_%';"
    ))?;
    for db in names.lines().filter(|l| !l.is_empty()) {
        psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE);"))?;
    }
    Ok(())
}
