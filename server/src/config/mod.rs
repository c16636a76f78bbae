//! Command line and environment. Every option is both a flag and a variable, and `--help`
//! documents each.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

mod range;
pub mod ranges;
mod serve;
mod values;

pub use serve::ServeConfig;
pub use values::{parse_origin, parse_public_url, Exempt, LogFormat, TIMESTAMP_TOLERANCE};

use crate::secret::Secret;

/// MiniVoice call-recording proxy: holds the API key, validates and forwards the widget's
/// requests, and serves the widget.
#[derive(Debug, Parser)]
#[command(
    name = "minivoice-proxy",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
    /// Log lines as `text` (for people) or `json` (one object per line, for log shippers);
    /// `RUST_LOG` sets what is logged. With a subcommand, the flag follows its name.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy (the default when no subcommand is given).
    Serve(Box<ServeConfig>),
    /// Run only the simulated MiniVoice, for pointing your own tests at.
    Sandbox(SandboxConfig),
    /// Print a signed agent token for the widget (HS256, WIDGET_TOKEN_SECRET).
    Token(TokenConfig),
}

#[derive(Clone, Debug, Args)]
pub struct TokenConfig {
    /// The agent the token speaks for (its `sub`).
    #[arg(long)]
    pub agent: String,
    /// A call the agent may act on; repeat for several.
    #[arg(long = "call", required_unless_present = "all_calls")]
    pub calls: Vec<String>,
    /// Every call (supervisors).
    #[arg(long, conflicts_with = "calls")]
    pub all_calls: bool,
    /// Lifetime: `30s`, `15m`, `8h`, `1d`.
    #[arg(long, default_value = "15m", value_parser = parse_ttl)]
    pub ttl: std::time::Duration,
    #[command(flatten)]
    pub secret: TokenSecret,
    #[command(flatten)]
    pub policy: TokenPolicy,
}

/// What a token must satisfy beyond its signature and expiry; minting follows it too.
#[derive(Clone, Debug, Args)]
pub struct TokenPolicy {
    /// Longest lifetime a token may have (`exp` minus `iat`, or minus now without `iat`);
    /// longer ones are refused, so a leaked token cannot live for months. Between 1m and 365d.
    #[arg(long, env = "MAX_TOKEN_TTL", default_value = "24h", value_parser = ranges::MAX_TOKEN_TTL.duration())]
    pub max_token_ttl: Duration,
    /// When set, tokens must carry this `aud` (and minted tokens do).
    #[arg(long, env = "TOKEN_AUDIENCE")]
    pub token_audience: Option<String>,
    /// When set, tokens must carry this `iss` (and minted tokens do).
    #[arg(long, env = "TOKEN_ISSUER")]
    pub token_issuer: Option<String>,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            max_token_ttl: Duration::from_secs(24 * 3600),
            token_audience: None,
            token_issuer: None,
        }
    }
}

/// The secret that signs agent tokens, shared with any CRM backend that mints its own.
#[derive(Clone, Debug, Args)]
pub struct TokenSecret {
    /// HS256 secret for agent tokens (at least 32 bytes). Without it the proxy runs
    /// anonymous: allowed on loopback, elsewhere only with --allow-anonymous. Several,
    /// separated by spaces, while rotating (docs/rotation.md): any verifies, the first signs.
    #[arg(
        long = "token-secret",
        env = "WIDGET_TOKEN_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<Secret>,
    /// File holding the token secret, instead of WIDGET_TOKEN_SECRET (while rotating, one
    /// secret a line, the signing one first).
    #[arg(
        long = "token-secret-file",
        env = "WIDGET_TOKEN_SECRET_FILE",
        conflicts_with = "secret"
    )]
    pub secret_file: Option<PathBuf>,
}

impl TokenSecret {
    pub fn resolve(&self) -> std::io::Result<Option<Secret>> {
        Secret::given_or_read(self.secret.as_ref(), self.secret_file.as_deref())
    }
}

#[derive(Clone, Debug, Args)]
pub struct SandboxConfig {
    /// Address the sandbox listens on.
    #[arg(
        long = "listen",
        env = "SANDBOX_LISTEN_ADDR",
        default_value = "127.0.0.1:8090"
    )]
    pub listen: SocketAddr,
    /// Key the sandbox requires as `Authorization: Bearer …`; without it any bearer token is
    /// accepted (but one must be sent, as MiniVoice requires).
    #[arg(long, env = "SANDBOX_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,
}

/// `15m`, `1h`, `30s`, `2d`, or plain seconds.
pub fn parse_ttl(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let per_unit: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bad duration unit in {s:?} (use s, m, h or d)")),
    };
    // Checked: `999999999999999999d` overflowed (a panic, or a wrapped small value in release).
    let secs = n
        .checked_mul(per_unit)
        .ok_or_else(|| format!("duration {s:?} is too long"))?;
    if secs == 0 {
        return Err("the token lifetime must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn debug_never_shows_the_key() {
        let mut cfg = ServeConfig::sandbox_on_loopback("dist".into());
        cfg.api_key = Some(Secret::new("sk_live_secret"));
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("sk_live_secret"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn defaults_match_the_documentation() {
        use clap::CommandFactory;
        // Read from the definition, not a parse: the test must not depend on the environment.
        let cmd = Cli::command();
        let default = |id: &str| {
            let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
            let env = arg.get_env().unwrap().to_str().unwrap().to_owned();
            let value = arg
                .get_default_values()
                .first()
                .map(|v| v.to_str().unwrap().to_owned());
            (env, value)
        };
        assert_eq!(default("api_key"), ("MINIVOICE_API_KEY".into(), None));
        assert_eq!(
            default("base_url"),
            (
                "MINIVOICE_BASE_URL".into(),
                Some("https://api.minivoice.eu".into())
            )
        );
        assert_eq!(
            default("listen_addr"),
            ("LISTEN_ADDR".into(), Some("127.0.0.1:8080".into()))
        );
        assert_eq!(default("widget_dir"), ("WIDGET_DIR".into(), None));
        assert_eq!(
            default("upstream_timeout_ms"),
            ("UPSTREAM_TIMEOUT_MS".into(), Some("10000".into()))
        );
        let cli =
            Cli::try_parse_from(["minivoice-proxy", "sandbox", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Sandbox(_))));
    }

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_ttl("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_ttl("45").unwrap(), Duration::from_secs(45));
        assert!(parse_ttl("0m").is_err());
        assert!(parse_ttl("5y").is_err());
        assert!(parse_ttl("m").is_err());
        assert!(parse_ttl("999999999999999999d").is_err());
    }
}
