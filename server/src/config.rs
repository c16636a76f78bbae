//! Command line and environment. Every option is both a flag and a variable, and `--help`
//! documents each.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

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
    #[arg(long, default_value = "15m", value_parser = crate::auth::parse_ttl)]
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
    /// longer ones are refused, so a leaked token cannot live for months.
    #[arg(long, env = "MAX_TOKEN_TTL", default_value = "24h", value_parser = crate::auth::parse_ttl)]
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
    /// anonymous: allowed on loopback, elsewhere only with --allow-anonymous.
    #[arg(
        long = "token-secret",
        env = "WIDGET_TOKEN_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<ApiKey>,
    /// File holding the token secret, instead of WIDGET_TOKEN_SECRET.
    #[arg(
        long = "token-secret-file",
        env = "WIDGET_TOKEN_SECRET_FILE",
        conflicts_with = "secret"
    )]
    pub secret_file: Option<PathBuf>,
}

impl TokenSecret {
    pub fn resolve(&self) -> std::io::Result<Option<ApiKey>> {
        match &self.secret_file {
            Some(path) => read_secret(path).map(Some),
            None => Ok(self.secret.clone()),
        }
    }
}

fn read_secret(path: &std::path::Path) -> std::io::Result<ApiKey> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
    text.parse::<ApiKey>().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// MiniVoice API key. Without one the proxy starts a built-in sandbox (a simulated
    /// MiniVoice on loopback) and forwards to it instead.
    #[arg(long, env = "MINIVOICE_API_KEY", hide_env_values = true)]
    pub api_key: Option<ApiKey>,
    /// File holding the MiniVoice API key (for secret mounts); instead of MINIVOICE_API_KEY.
    #[arg(long, env = "MINIVOICE_API_KEY_FILE", conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
    /// MiniVoice base URL, without the `/v1` prefix. Ignored in sandbox mode.
    #[arg(
        long,
        env = "MINIVOICE_BASE_URL",
        default_value = "https://api.minivoice.eu"
    )]
    pub base_url: String,
    /// Address the proxy listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,
    /// Directory holding the built widget (Trunk's output), served at `/`.
    #[arg(long, env = "WIDGET_DIR", default_value = "dist")]
    pub widget_dir: PathBuf,
    /// Upper bound, in milliseconds, on one MiniVoice request (connect, answer and body).
    #[arg(long, env = "UPSTREAM_TIMEOUT_MS", default_value_t = 10_000)]
    pub upstream_timeout_ms: u64,
    /// Address of the built-in sandbox when no API key is set (port 0: any free port).
    #[arg(long, env = "SANDBOX_LISTEN_ADDR", default_value = "127.0.0.1:0")]
    pub sandbox_listen_addr: SocketAddr,
    /// Comma-separated origins (scheme://host[:port]) whose pages may call `/api`. Empty:
    /// same-origin only.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',', value_parser = crate::security::parse_origin)]
    pub allowed_origins: Vec<axum::http::HeaderValue>,
    #[command(flatten)]
    pub token_secret: TokenSecret,
    #[command(flatten)]
    pub token_policy: TokenPolicy,
    /// Serve without agent tokens on a non-loopback address (anyone who can reach the proxy
    /// can then record any call). Never needed on loopback.
    #[arg(long, env = "ALLOW_ANONYMOUS")]
    pub allow_anonymous: bool,
    /// Allow the built-in sandbox on a non-loopback address. Without it, a missing
    /// MINIVOICE_API_KEY there refuses to start (agents would see recordings that are not).
    #[arg(long, env = "SANDBOX")]
    pub sandbox: bool,
    /// Accept unsigned webhooks on a non-loopback address. Without it, a real key there
    /// without MINIVOICE_WEBHOOK_SECRET refuses to start (anyone could forge call events).
    #[arg(long, env = "ALLOW_UNSIGNED_WEBHOOKS")]
    pub allow_unsigned_webhooks: bool,
    /// Directory for the proxy's own data (the audit database).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Audit database; default `sqlite://{DATA_DIR}/minivoice.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Secret that MiniVoice signs webhooks with (`whsec_<base64>`, Standard Webhooks).
    /// Without it webhooks are accepted unsigned (fine on a closed network, not in public).
    /// In sandbox mode a fresh one is made when unset.
    #[arg(long, env = "MINIVOICE_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<ApiKey>,
    /// Header carrying the webhook's unique ID (our assumption; configurable).
    #[arg(long, env = "WEBHOOK_ID_HEADER", default_value = "webhook-id")]
    pub webhook_id_header: axum::http::HeaderName,
    /// Header carrying the webhook's Unix timestamp.
    #[arg(
        long,
        env = "WEBHOOK_TIMESTAMP_HEADER",
        default_value = "webhook-timestamp"
    )]
    pub webhook_timestamp_header: axum::http::HeaderName,
    /// Header carrying the webhook's signature (`v1,<base64>`).
    #[arg(
        long,
        env = "WEBHOOK_SIGNATURE_HEADER",
        default_value = "webhook-signature"
    )]
    pub webhook_signature_header: axum::http::HeaderName,
    /// Most live event streams open at once; past it widgets fall back to polling.
    #[arg(long, env = "MAX_EVENT_STREAMS", default_value_t = 1000)]
    pub max_event_streams: usize,
    /// Most live event streams one agent (one client address when anonymous) holds at once.
    #[arg(long, env = "MAX_STREAMS_PER_AGENT", default_value_t = 20)]
    pub max_streams_per_agent: usize,
    /// Calls without an open stream whose recent events stay in memory for resumes (least
    /// recently used beyond it are dropped; a resume then gets `resync`).
    #[arg(long, env = "LIVE_IDLE_CALLS", default_value_t = 1000)]
    pub live_idle_calls: usize,
    /// How long processed webhook deliveries (and their de-duplication keys) are kept.
    #[arg(long, env = "WEBHOOK_RETENTION", default_value = "7d", value_parser = crate::auth::parse_ttl)]
    pub webhook_retention: Duration,
    /// A client must send its request headers within this many milliseconds.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// A client must send its request body within this many milliseconds.
    #[arg(long, env = "BODY_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,
    /// Interval of the keep-alive comments on live event streams, in milliseconds.
    #[arg(long, env = "SSE_HEARTBEAT_MS", default_value_t = 15_000)]
    pub sse_heartbeat_ms: u64,
}

impl ServeConfig {
    /// The API key from the flag, the variable or the key file; `None` means sandbox mode.
    pub fn resolved_key(&self) -> std::io::Result<Option<ApiKey>> {
        match &self.api_key_file {
            Some(path) => read_secret(path).map(Some),
            None => Ok(self.api_key.clone()),
        }
    }

    /// Where the audit trail lives; creates the data directory for the default file.
    pub fn database(&self) -> std::io::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("minivoice.db").display()
        ))
    }

    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }

    /// A configuration for tests and embedding: sandbox mode on free loopback ports.
    pub fn sandbox_on_loopback(widget_dir: PathBuf) -> Self {
        ServeConfig {
            api_key: None,
            api_key_file: None,
            base_url: "https://api.minivoice.eu".into(),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            widget_dir,
            upstream_timeout_ms: 10_000,
            sandbox_listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            allowed_origins: vec![],
            token_secret: TokenSecret {
                secret: None,
                secret_file: None,
            },
            token_policy: TokenPolicy::default(),
            allow_anonymous: false,
            sandbox: false,
            allow_unsigned_webhooks: false,
            data_dir: PathBuf::from("data"),
            // Tests and embedders get a private database that vanishes with the process.
            database_url: Some("sqlite::memory:".into()),
            webhook_secret: None,
            webhook_id_header: axum::http::HeaderName::from_static("webhook-id"),
            webhook_timestamp_header: axum::http::HeaderName::from_static("webhook-timestamp"),
            webhook_signature_header: axum::http::HeaderName::from_static("webhook-signature"),
            max_event_streams: 1000,
            max_streams_per_agent: 20,
            live_idle_calls: 1000,
            webhook_retention: Duration::from_secs(7 * 86_400),
            header_read_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            sse_heartbeat_ms: 15_000,
        }
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
    pub api_key: Option<ApiKey>,
}

/// A secret that never prints: `Debug` and `Display` are redacted, so neither a log line nor a
/// panic message can carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl std::str::FromStr for ApiKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the API key is empty".into());
        }
        Ok(ApiKey(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let mut cfg = ServeConfig::sandbox_on_loopback("dist".into());
        cfg.api_key = Some(ApiKey::new("sk_live_secret"));
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
        assert_eq!(
            default("widget_dir"),
            ("WIDGET_DIR".into(), Some("dist".into()))
        );
        assert_eq!(
            default("upstream_timeout_ms"),
            ("UPSTREAM_TIMEOUT_MS".into(), Some("10000".into()))
        );
        let cli =
            Cli::try_parse_from(["minivoice-proxy", "sandbox", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Sandbox(_))));
    }
}
