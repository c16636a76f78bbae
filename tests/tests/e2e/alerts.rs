//! The alert rules an operator loads (`deploy/prometheus/alerts.yml`) are valid, fire and stay
//! quiet as their unit tests say (`alerts.test.yml`, run by `promtool test rules`), and read
//! only metrics the proxy really serves: every `minivoice_*` name they mention, and every exact
//! label value they select, must appear in a scrape of a running proxy, so a renamed metric or
//! outcome fails here rather than leaving an alert that can never fire.
//!
//! `cargo xtask test` installs promtool (from Debian's `prometheus` package) and names it in
//! `PROMTOOL`; without it these tests fail rather than skip.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use minivoice_e2e::{free_port, InProcess, DEADLINE};
use minivoice_proxy::{Secret, ServeConfig};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus")
}

fn promtool() -> Command {
    let promtool = std::env::var_os("PROMTOOL").expect(
        "PROMTOOL must name the promtool executable: run `cargo xtask test`, which installs it",
    );
    let mut cmd = Command::new(promtool);
    cmd.current_dir(rules_dir());
    cmd
}

/// Runs promtool with `args`, failing the test with its output unless it succeeds.
fn promtool_passes(args: &[&str]) {
    let out = promtool().args(args).output().expect("promtool runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{said}");
}

#[test]
fn the_alert_rules_are_valid_and_their_unit_tests_pass() {
    promtool_passes(&["check", "rules", "alerts.yml"]);
    promtool_passes(&["test", "rules", "alerts.test.yml"]);
}

/// A metric the rules read, with the exact label values (`label="value"`) they select it by.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Selector {
    name: String,
    labels: Vec<(String, String)>,
}

/// Every `minivoice_*` name in the rules (expressions and annotations alike: an annotation
/// that names a metric sends the operator to it), each with its exact label matchers. Regex
/// and negative matchers (`=~`, `!=`) are not checked: they select no one value.
fn selectors(rules: &str) -> BTreeSet<Selector> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = BTreeSet::new();
    let mut rest = rules;
    while let Some(at) = rest.find("minivoice_") {
        let preceded = rest[..at].chars().next_back().is_some_and(is_name);
        let tail = &rest[at..];
        let end = tail.find(|c| !is_name(c)).unwrap_or(tail.len());
        let name = &tail[..end];
        let after = &tail[end..];
        let mut labels = vec![];
        if let Some(inner) = after.strip_prefix('{').and_then(|a| a.split('}').next()) {
            for matcher in inner.split(',') {
                let Some((label, value)) = matcher.split_once('=') else {
                    continue;
                };
                let label = label.trim();
                if label.ends_with('!') || value.starts_with('~') {
                    continue;
                }
                labels.push((label.to_owned(), value.trim().trim_matches('"').to_owned()));
            }
        }
        if !preceded {
            found.insert(Selector {
                name: name.to_owned(),
                labels,
            });
        }
        rest = after;
    }
    found
}

/// Whether a series line of the scrape is `selector`'s metric with its label values.
fn served(scrape: &str, selector: &Selector) -> bool {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(selector.name.as_str())
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .any(|line| {
            selector
                .labels
                .iter()
                .all(|(label, value)| line.contains(&format!("{label}=\"{value}\"")))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_alerts_read_is_in_a_real_scrape() {
    let rules = std::fs::read_to_string(rules_dir().join("alerts.yml")).unwrap();
    let wanted = selectors(&rules);
    let names: BTreeSet<&str> = wanted.iter().map(|s| s.name.as_str()).collect();
    // The reading itself is checked too: a rule per metric family the alerts watch.
    for name in [
        "minivoice_store_up",
        "minivoice_webhook_deliveries_total",
        "minivoice_webhook_inbox_depth",
        "minivoice_upstream_failures_total",
        "minivoice_upstream_operations_total",
        "minivoice_upstream_request_duration_seconds_bucket",
        "minivoice_event_streams_open",
        "minivoice_event_streams_max",
        "minivoice_connections_open",
        "minivoice_connections_max",
        "minivoice_accept_errors_total",
    ] {
        assert!(
            names.contains(name),
            "{name} not found in alerts.yml: {names:?}"
        );
    }

    // The sandbox proxy (its webhook secret generated) and one whose MiniVoice is a port
    // where nothing listens: between them every series the rules read has a reason to exist.
    // Metrics are per process, so either one's scrape shows both.
    let widget = tempfile::tempdir().unwrap();
    let mut sandbox = InProcess::start(
        ServeConfig::sandbox_on_loopback(widget.path().to_owned()),
        None,
    )
    .await;
    let mut cfg = ServeConfig::sandbox_on_loopback(widget.path().to_owned());
    cfg.api_key = Some(Secret::new("sk_test_alerts_7f3a"));
    cfg.base_url = format!("http://127.0.0.1:{}", free_port());
    cfg.upstream_timeout_ms = 400;
    let mut unreachable = InProcess::start(cfg, None).await;

    let client = reqwest::Client::builder()
        .timeout(DEADLINE)
        .build()
        .unwrap();
    let listed = client
        .get(format!(
            "http://{}/api/calls/call_alerts/recordings",
            sandbox.addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let unsigned = client
        .post(format!("http://{}/webhooks/minivoice", sandbox.addr))
        .header("content-type", "application/json")
        .body(r#"{"event":"call.completed","call":{"id":"call_alerts"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let failed = client
        .get(format!(
            "http://{}/api/calls/call_alerts/recordings",
            unreachable.addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 502);

    // The store check and the inbox worker report on their own schedule: scrape until every
    // selector is served, or show what is missing from the last scrape.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let scrape = client
            .get(format!("http://{}/metrics", sandbox.addr))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let missing: Vec<&Selector> = wanted.iter().filter(|s| !served(&scrape, s)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alerts.yml reads series the proxy does not serve: {missing:#?}\nscrape:\n{scrape}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sandbox.stop().await;
    unreachable.stop().await;
}

#[test]
fn the_selectors_are_read_as_prometheus_reads_them() {
    let rules = r#"sum(rate(minivoice_a_total{outcome="bad", job=~"x|y", kind!="z"}[5m]))
        / minivoice_b > 1 # see minivoice_c_total; not xminivoice_d"#;
    let found: Vec<Selector> = selectors(rules).into_iter().collect();
    let selector = |name: &str, labels: &[(&str, &str)]| Selector {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(l, v)| (l.to_string(), v.to_string()))
            .collect(),
    };
    assert_eq!(
        found,
        vec![
            selector("minivoice_a_total", &[("outcome", "bad")]),
            selector("minivoice_b", &[]),
            selector("minivoice_c_total", &[]),
        ]
    );
    let scrape = "# TYPE minivoice_a_total counter\n\
                  minivoice_a_total{outcome=\"good\"} 1\n\
                  minivoice_b 0\n";
    assert!(!served(scrape, &found[0]), "a different outcome");
    assert!(served(scrape, &found[1]));
    assert!(!served(scrape, &found[2]), "only named in a comment");
}
