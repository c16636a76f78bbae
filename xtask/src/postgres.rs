//! PostgreSQL for the tests (the store's second engine, and several replicas sharing it):
//! Debian's server on loopback, installed when missing and started when it is not running.
//! Each test makes its own database on it; `ensure` drops those an earlier run left.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tools::apt_install;
use crate::{Result, StatusOk};

const PASSWORD: &str = "postgres";

/// The server's URL (no database), e.g. `postgres://postgres:postgres@127.0.0.1:5432`.
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
    psql(&format!("ALTER USER postgres PASSWORD '{PASSWORD}'"))?;
    let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}");
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

fn psql(sql: &str) -> Result {
    Command::new("su")
        .args(["postgres", "-c", &format!("psql -qAt -c \"{sql}\"")])
        .current_dir("/")
        .status_ok()
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

/// Test databases (`mv_…`) an earlier run left behind.
fn drop_leftovers() -> Result {
    let out = Command::new("su")
        .args([
            "postgres",
            "-c",
            "psql -qAt -c \"SELECT datname FROM pg_database WHERE datname LIKE 'mv\\_%'\"",
        ])
        .current_dir("/")
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    for db in String::from_utf8_lossy(&out.stdout).lines() {
        psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    }
    Ok(())
}
