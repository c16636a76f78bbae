//! The sane range of every number and duration the proxy takes, in one table. clap's value
//! parsers read it (so a bad flag or variable is refused at parse time, naming both), and
//! [`ServeConfig::check`] reads it again for configurations built in code (tests, embedders),
//! which never pass through clap; `startup::start_on` calls it first.
//!
//! Why ranges at all: a value far outside them was accepted and broke later, not at start-up
//! (`PAUSE_MAX_S=18446744073709551615` panicked after MiniVoice had stopped the recording,
//! `WEBHOOK_RETENTION=99999999999d` killed the retention sweep, `SSE_HEARTBEAT_MS=0` sent
//! hundreds of keep-alives a second). Each `--help` text states its range; a unit test holds
//! the text to this table.

use super::range::DAY;
pub use super::range::{OutOfRange, Range, Unit};
use super::ServeConfig;
use super::TIMESTAMP_TOLERANCE;

pub static UPSTREAM_TIMEOUT_MS: Range = Range {
    var: "UPSTREAM_TIMEOUT_MS",
    min: 100,
    max: 300_000,
    unit: Unit::Millis,
    too_low: None,
};
pub static MAX_EVENT_STREAMS: Range = Range {
    var: "MAX_EVENT_STREAMS",
    min: 0,
    max: 1_000_000,
    unit: Unit::Count,
    too_low: None,
};
pub static MAX_STREAMS_PER_AGENT: Range = Range {
    var: "MAX_STREAMS_PER_AGENT",
    min: 0,
    max: 1_000_000,
    unit: Unit::Count,
    too_low: None,
};
pub static LIVE_EVENT_RETENTION: Range = Range {
    var: "LIVE_EVENT_RETENTION",
    min: 60,
    max: 30 * DAY,
    unit: Unit::Duration,
    too_low: None,
};
pub static DATABASE_MAX_CONNECTIONS: Range = Range {
    var: "DATABASE_MAX_CONNECTIONS",
    min: 1,
    max: 1_000,
    unit: Unit::Count,
    too_low: None,
};
pub static DATABASE_ACQUIRE_TIMEOUT_MS: Range = Range {
    var: "DATABASE_ACQUIRE_TIMEOUT_MS",
    min: 100,
    max: 60_000,
    unit: Unit::Millis,
    too_low: None,
};
pub static DATABASE_STATEMENT_TIMEOUT_MS: Range = Range {
    var: "DATABASE_STATEMENT_TIMEOUT_MS",
    min: 100,
    max: 600_000,
    unit: Unit::Millis,
    // PostgreSQL reads 0 as "no timeout at all".
    too_low: None,
};
pub static WEBHOOK_RETENTION: Range = Range {
    var: "WEBHOOK_RETENTION",
    // A delivery is accepted while its timestamp is within the tolerance of now, either way:
    // one stamped that far ahead is still accepted twice the tolerance after it first came,
    // so its de-duplication key must live at least that long.
    min: 2 * TIMESTAMP_TOLERANCE.as_secs(),
    max: 365 * DAY,
    unit: Unit::Duration,
    too_low: Some(
        "shorter than twice the 5-minute webhook timestamp tolerance, a signed delivery \
         replayed after the sweep would be applied again",
    ),
};
pub static WEBHOOK_INSPECT_KEEP: Range = Range {
    var: "WEBHOOK_INSPECT_KEEP",
    min: 0,
    // Up to 64 KiB each: 640 MiB at most.
    max: 10_000,
    unit: Unit::Count,
    too_low: None,
};
pub static PAUSE_MAX_S: Range = Range {
    var: "PAUSE_MAX_S",
    min: 0,
    max: DAY,
    unit: Unit::Seconds,
    too_low: None,
};
pub static HEADER_READ_TIMEOUT_MS: Range = Range {
    var: "HEADER_READ_TIMEOUT_MS",
    min: 100,
    max: 300_000,
    unit: Unit::Millis,
    too_low: None,
};
pub static BODY_TIMEOUT_MS: Range = Range {
    var: "BODY_TIMEOUT_MS",
    min: 100,
    max: 300_000,
    unit: Unit::Millis,
    too_low: None,
};
pub static SSE_HEARTBEAT_MS: Range = Range {
    var: "SSE_HEARTBEAT_MS",
    min: 1_000,
    max: 300_000,
    unit: Unit::Millis,
    too_low: None,
};
pub static MAX_TOKEN_TTL: Range = Range {
    var: "MAX_TOKEN_TTL",
    min: 60,
    max: 365 * DAY,
    unit: Unit::Duration,
    too_low: None,
};
pub static MAX_CONNECTIONS: Range = Range {
    var: "MAX_CONNECTIONS",
    min: 1,
    max: 1_000_000,
    unit: Unit::Count,
    too_low: None,
};
pub static MAX_CONNECTIONS_PER_CLIENT: Range = Range {
    var: "MAX_CONNECTIONS_PER_CLIENT",
    min: 1,
    max: 1_000_000,
    unit: Unit::Count,
    too_low: None,
};

/// Every range, for the tests that hold `--help` and [`ServeConfig::check`] to the table.
pub static ALL: &[&Range] = &[
    &UPSTREAM_TIMEOUT_MS,
    &MAX_EVENT_STREAMS,
    &MAX_STREAMS_PER_AGENT,
    &LIVE_EVENT_RETENTION,
    &DATABASE_MAX_CONNECTIONS,
    &DATABASE_ACQUIRE_TIMEOUT_MS,
    &DATABASE_STATEMENT_TIMEOUT_MS,
    &WEBHOOK_RETENTION,
    &WEBHOOK_INSPECT_KEEP,
    &PAUSE_MAX_S,
    &HEADER_READ_TIMEOUT_MS,
    &BODY_TIMEOUT_MS,
    &SSE_HEARTBEAT_MS,
    &MAX_TOKEN_TTL,
    &MAX_CONNECTIONS,
    &MAX_CONNECTIONS_PER_CLIENT,
];

impl ServeConfig {
    /// Every number and duration against its range: the first one outside refuses the start.
    /// clap already checked what came from the command line; this catches what was built in
    /// code.
    pub fn check(&self) -> Result<(), OutOfRange> {
        UPSTREAM_TIMEOUT_MS.check(self.upstream_timeout_ms)?;
        MAX_EVENT_STREAMS.check(self.max_event_streams)?;
        MAX_STREAMS_PER_AGENT.check(self.max_streams_per_agent)?;
        LIVE_EVENT_RETENTION.check_duration(self.live_event_retention)?;
        DATABASE_MAX_CONNECTIONS.check(self.database_max_connections)?;
        DATABASE_ACQUIRE_TIMEOUT_MS.check(self.database_acquire_timeout_ms)?;
        DATABASE_STATEMENT_TIMEOUT_MS.check(self.database_statement_timeout_ms)?;
        WEBHOOK_RETENTION.check_duration(self.webhook_retention)?;
        WEBHOOK_INSPECT_KEEP.check(self.webhook_inspect_keep)?;
        PAUSE_MAX_S.check(self.pause_max_s)?;
        HEADER_READ_TIMEOUT_MS.check(self.header_read_timeout_ms)?;
        BODY_TIMEOUT_MS.check(self.body_timeout_ms)?;
        SSE_HEARTBEAT_MS.check(self.sse_heartbeat_ms)?;
        MAX_TOKEN_TTL.check_duration(self.token_policy.max_token_ttl)?;
        MAX_CONNECTIONS.check(self.max_connections)?;
        MAX_CONNECTIONS_PER_CLIENT.check(self.max_connections_per_client)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cli;
    use clap::{CommandFactory, Parser};
    use std::time::Duration;

    fn config() -> ServeConfig {
        ServeConfig::sandbox_on_loopback("dist".into())
    }

    fn refused(adjust: impl FnOnce(&mut ServeConfig)) -> String {
        let mut cfg = config();
        adjust(&mut cfg);
        cfg.check().expect_err("out of range").to_string()
    }

    #[test]
    fn the_defaults_are_in_range() {
        config().check().unwrap();
        let cli = Cli::try_parse_from(["minivoice-proxy"]).unwrap();
        cli.serve.check().unwrap();
    }

    #[test]
    fn values_that_used_to_panic_later_are_refused_naming_the_variable_and_range() {
        assert_eq!(
            refused(|c| c.pause_max_s = u64::MAX),
            "PAUSE_MAX_S must be between 0 and 86400 (seconds); got 18446744073709551615"
        );
        assert_eq!(
            refused(|c| c.webhook_retention = Duration::from_secs(99_999_999_999 * DAY)),
            "WEBHOOK_RETENTION must be between 10m and 365d (a duration: 30s, 15m, 8h, 1d); \
             got 99999999999d"
        );
        assert!(refused(|c| c.live_event_retention = Duration::MAX)
            .starts_with("LIVE_EVENT_RETENTION must be between 1m and 30d"));
        assert!(refused(|c| c.sse_heartbeat_ms = 0)
            .starts_with("SSE_HEARTBEAT_MS must be between 1000 and 300000 (milliseconds); got 0"));
        assert!(refused(|c| c.database_statement_timeout_ms = 0)
            .starts_with("DATABASE_STATEMENT_TIMEOUT_MS must be between 100 and 600000"));
        assert!(
            refused(|c| c.token_policy.max_token_ttl = Duration::from_millis(1500))
                .contains("got 1.5s")
        );
    }

    #[test]
    fn webhook_retention_outlasts_a_replay_within_the_timestamp_tolerance() {
        let why = refused(|c| c.webhook_retention = Duration::from_secs(1));
        assert!(
            why.starts_with("WEBHOOK_RETENTION must be between 10m"),
            "{why}"
        );
        assert!(
            why.ends_with(&format!("got 1s ({})", WEBHOOK_RETENTION.too_low.unwrap())),
            "{why}"
        );
        let mut cfg = config();
        cfg.webhook_retention = 2 * TIMESTAMP_TOLERANCE;
        cfg.check().unwrap();
        cfg.webhook_retention -= Duration::from_secs(1);
        assert!(cfg.check().is_err());
    }

    #[test]
    fn every_bound_is_inclusive_and_one_past_it_is_refused() {
        for range in ALL {
            assert!(range.check(range.min).is_ok() && range.check(range.max).is_ok());
            assert!(range.check(range.max + 1).is_err(), "{}", range.var);
            if range.min > 0 {
                assert!(range.check(range.min - 1).is_err(), "{}", range.var);
            }
        }
    }

    #[test]
    fn clap_refuses_out_of_range_values_naming_flag_variable_and_range() {
        let parse = |args: &[&str]| {
            let mut all = vec!["minivoice-proxy"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).map(|cli| cli.serve)
        };
        let why = parse(&["--pause-max-s", "18446744073709551616"])
            .unwrap_err()
            .to_string();
        assert!(why.contains("--pause-max-s"), "{why}");
        assert!(
            why.contains(
                "PAUSE_MAX_S must be between 0 and 86400 (seconds); got 18446744073709551616"
            ),
            "{why}"
        );
        for arg in [
            "--webhook-retention=99999999999d",
            "--webhook-retention=1s",
            "--live-event-retention=99999999999d",
            "--live-event-retention=soon",
            "--sse-heartbeat-ms=0",
            "--max-token-ttl=999999999999999999d",
            "--webhook-inspect-keep=-1",
            "--database-max-connections=0",
        ] {
            let why = parse(&[arg]).unwrap_err().to_string();
            let flag = arg.split('=').next().unwrap();
            let var = flag
                .trim_start_matches("--")
                .replace('-', "_")
                .to_uppercase();
            assert!(why.contains(&format!("{var} must be between")), "{why}");
        }
        let ok = parse(&["--pause-max-s", "86400", "--webhook-retention", "10m"]).unwrap();
        assert_eq!(ok.pause_max_s, 86_400);
        assert_eq!(ok.webhook_retention, Duration::from_secs(600));
    }

    #[test]
    fn the_documented_table_is_this_table() {
        let doc = include_str!("../../../docs/ranges.md");
        for range in ALL {
            let row = format!(
                "| `{}` | {} | {} |",
                range.var,
                range.show(range.min),
                range.show(range.max)
            );
            assert!(doc.contains(&row), "docs/ranges.md should have {row}");
        }
        assert_eq!(
            doc.matches("\n| `").count(),
            ALL.len(),
            "a row for each range, no more"
        );
    }

    /// One place decides: every option whose default is a number or a duration has a range
    /// here, and its `--help` says what the range is.
    #[test]
    fn every_numeric_option_has_a_range_and_its_help_states_it() {
        let cmd = Cli::command();
        let with_range = |var: &str| ALL.iter().find(|r| r.var == var);
        let mut seen = 0;
        for arg in cmd.get_arguments() {
            let Some(var) = arg.get_env().and_then(|v| v.to_str()) else {
                continue;
            };
            let numeric = arg.get_default_values().first().is_some_and(|d| {
                let d = d.to_str().unwrap();
                d.parse::<u64>().is_ok() || super::super::parse_ttl(d).is_ok()
            });
            let Some(range) = with_range(var) else {
                assert!(
                    !numeric,
                    "{var} takes a number but has no range in config/ranges.rs"
                );
                continue;
            };
            seen += 1;
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let bounds = range.bounds();
            assert!(
                help.to_lowercase().contains(&bounds),
                "the --help of {var} should say \"{bounds}\": {help}"
            );
        }
        assert_eq!(seen, ALL.len(), "every range belongs to an option");
    }
}
