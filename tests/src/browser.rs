//! A browser per harness: its own chromedriver, headless Chromium and profile, on fresh
//! loopback ports, so tests run in parallel without sharing state.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use serde_json::json;

use testkit::free_port;

use crate::{Harness, DEADLINE};

impl Harness {
    /// A browser on a proxy (or a load balancer) this harness does not own.
    pub async fn at(proxy: SocketAddr) -> Harness {
        Self::browser(proxy, false).await
    }

    /// Another browser (its own chromedriver and profile) on this harness's proxy, as a
    /// second agent or a second tab would be.
    pub async fn second(&self) -> Harness {
        let mut h = Self::browser(self.proxy, false).await;
        h.sandbox = self.sandbox;
        h
    }

    pub(crate) async fn browser(proxy: SocketAddr, dark: bool) -> Harness {
        Self::browser_in(proxy, dark, None).await
    }

    /// As [`Harness::browser`], with the browser preferring `languages` (`"de-AT,de"`, as
    /// `navigator.languages` and Accept-Language) instead of its default.
    pub(crate) async fn browser_in(
        proxy: SocketAddr,
        dark: bool,
        languages: Option<&str>,
    ) -> Harness {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {chromedriver}: {e} (cargo xtask test installs it)")
            });
        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--window-size=800,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if dark {
            // prefers-color-scheme: dark.
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut options = json!({ "binary": chromium, "args": args });
        if let Some(languages) = languages {
            options["prefs"] = json!({ "intl.accept_languages": languages });
            options["args"]
                .as_array_mut()
                .unwrap()
                .push(format!("--lang={languages}").into());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            // chromedriver is on loopback: plain HTTP, no TLS stack needed.
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() < DEADLINE => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Harness {
            proxy,
            sandbox: None,
            client,
            driver,
            _profile: profile,
            own: None,
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // A failed test panics before `close`: never leave a chromedriver behind.
        let _ = self.driver.kill();
    }
}
