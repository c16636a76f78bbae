//! The proxy's own options (`minivoice-proxy` / `minivoice-proxy serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{ranges, TokenPolicy, TokenSecret};
use crate::secret::Secret;

#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// MiniVoice API key. Without one the proxy starts a built-in sandbox (a simulated
    /// MiniVoice on loopback) and forwards to it instead.
    #[arg(long, env = "MINIVOICE_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,
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
    /// Directory holding the built widget (Trunk's output), served at `/`. Unset: the widget
    /// built into this binary.
    #[arg(long, env = "WIDGET_DIR")]
    pub widget_dir: Option<PathBuf>,
    /// Upper bound, in milliseconds, on one MiniVoice request (connect, answer and body).
    /// Between 100 and 300000.
    #[arg(long, env = "UPSTREAM_TIMEOUT_MS", default_value_t = 10_000, value_parser = ranges::UPSTREAM_TIMEOUT_MS.number::<u64>())]
    pub upstream_timeout_ms: u64,
    /// Address of the built-in sandbox when no API key is set (port 0: any free port).
    #[arg(long, env = "SANDBOX_LISTEN_ADDR", default_value = "127.0.0.1:0")]
    pub sandbox_listen_addr: SocketAddr,
    /// Comma-separated origins (scheme://host[:port]) whose pages may call `/api`. Empty:
    /// same-origin only.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',', value_parser = super::parse_origin)]
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
    /// The address others reach the proxy at through a reverse proxy
    /// (`https://recordings.example.com`). Set, no request counts as coming from this machine
    /// and every refusal of a non-loopback address applies, even listening on 127.0.0.1.
    #[arg(long, env = "PUBLIC_URL", value_parser = super::parse_public_url)]
    pub public_url: Option<reqwest::Url>,
    /// Directory for the proxy's own data (the audit database).
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The store: `sqlite://…` (embedded, one machine; default `sqlite://{DATA_DIR}/minivoice.db`)
    /// or `postgres://…` (several replicas sharing one database).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    /// A `Secret`: the URL may carry the database password.
    pub database_url: Option<Secret>,
    /// Secret that MiniVoice signs webhooks with (`whsec_<base64>`, Standard Webhooks).
    /// Without it webhooks are accepted unsigned (fine on a closed network, not in public).
    /// In sandbox mode a fresh one is made when unset. Several, separated by spaces, while
    /// rotating (docs/rotation.md): any verifies, the first signs the sandbox's deliveries.
    #[arg(long, env = "MINIVOICE_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<Secret>,
    /// File holding the webhook secret, instead of MINIVOICE_WEBHOOK_SECRET (while rotating,
    /// one secret a line, the signing one first).
    #[arg(
        long,
        env = "MINIVOICE_WEBHOOK_SECRET_FILE",
        conflicts_with = "webhook_secret"
    )]
    pub webhook_secret_file: Option<PathBuf>,
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
    /// Between 0 and 1000000 (0: widgets always poll).
    #[arg(long, env = "MAX_EVENT_STREAMS", default_value_t = 1000, value_parser = ranges::MAX_EVENT_STREAMS.number::<usize>())]
    pub max_event_streams: usize,
    /// Most live event streams one agent (one client address when anonymous) holds at once.
    /// Between 0 and 1000000.
    #[arg(long, env = "MAX_STREAMS_PER_AGENT", default_value_t = 20, value_parser = ranges::MAX_STREAMS_PER_AGENT.number::<usize>())]
    pub max_streams_per_agent: usize,
    /// How long live events stay in the store for streams that resume (`Last-Event-ID`);
    /// a resume from before that gets `resync`. Between 1m and 30d.
    #[arg(long, env = "LIVE_EVENT_RETENTION", default_value = "1h", value_parser = ranges::LIVE_EVENT_RETENTION.duration())]
    pub live_event_retention: Duration,
    /// Most connections to the store (PostgreSQL). Between 1 and 1000.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10, value_parser = ranges::DATABASE_MAX_CONNECTIONS.number::<u32>())]
    pub database_max_connections: u32,
    /// How long a request waits for a store connection, in milliseconds, before the store
    /// counts as unavailable (503 `store_unavailable`). Between 100 and 60000.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 2_000, value_parser = ranges::DATABASE_ACQUIRE_TIMEOUT_MS.number::<u64>())]
    pub database_acquire_timeout_ms: u64,
    /// Longest a store statement may run, in milliseconds (PostgreSQL `statement_timeout`).
    /// Between 100 and 600000 (PostgreSQL would read 0 as no limit).
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 5_000, value_parser = ranges::DATABASE_STATEMENT_TIMEOUT_MS.number::<u64>())]
    pub database_statement_timeout_ms: u64,
    /// How long processed webhook deliveries (and their de-duplication keys) are kept.
    /// Between 10m and 365d: at least twice the 5-minute timestamp tolerance, so a signed
    /// delivery replayed while its timestamp is still accepted is recognised.
    #[arg(long, env = "WEBHOOK_RETENTION", default_value = "7d", value_parser = ranges::WEBHOOK_RETENTION.duration())]
    pub webhook_retention: Duration,
    /// Most verified webhook deliveries the delivery inspector (`GET /api/webhooks/deliveries`)
    /// keeps; refused ones, which anyone can send, have a bound of their own (the newest 100,
    /// or this if lower). The oldest go first. `0` keeps none.
    /// Between 0 and 10000.
    #[arg(long, env = "WEBHOOK_INSPECT_KEEP", default_value_t = 500, value_parser = ranges::WEBHOOK_INSPECT_KEEP.number::<usize>())]
    pub webhook_inspect_keep: usize,
    /// Longest a pause lasts, in seconds: the server then starts the next segment by itself,
    /// so a forgotten pause cannot leave the rest of a call unrecorded. `0`: never by itself.
    /// Between 0 and 86400.
    #[arg(long, env = "PAUSE_MAX_S", default_value_t = 180, value_parser = ranges::PAUSE_MAX_S.number::<u64>())]
    pub pause_max_s: u64,
    /// A client must send its request headers within this many milliseconds, counted from
    /// when its connection is accepted (one that sends nothing is closed then) and, between
    /// requests, from the end of the last answer (an idle keep-alive connection lasts as long).
    /// Between 100 and 300000.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000, value_parser = ranges::HEADER_READ_TIMEOUT_MS.number::<u64>())]
    pub header_read_timeout_ms: u64,
    /// A request's whole body must arrive within this many milliseconds of its headers,
    /// however it is trickled; past it the answer is 408 `request_timeout`.
    /// Between 100 and 300000.
    #[arg(long, env = "BODY_TIMEOUT_MS", default_value_t = 10_000, value_parser = ranges::BODY_TIMEOUT_MS.number::<u64>())]
    pub body_timeout_ms: u64,
    /// Most client connections open at once; past it a new one is closed at once. Kept below
    /// the file limit (`ulimit -n`): the soft limit is raised to fit it, and a limit too low for
    /// it refuses to start. Keep it above MAX_EVENT_STREAMS (each stream holds a connection).
    /// Between 1 and 1000000.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 2048, value_parser = ranges::MAX_CONNECTIONS.number::<usize>())]
    pub max_connections: usize,
    /// Most connections one client address holds at once; past it its new ones are closed at
    /// once. Addresses in PER_CLIENT_CAP_EXEMPT are not held to it. Between 1 and 1000000.
    #[arg(long, env = "MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256, value_parser = ranges::MAX_CONNECTIONS_PER_CLIENT.number::<usize>())]
    pub max_connections_per_client: usize,
    /// Client addresses not held to MAX_CONNECTIONS_PER_CLIENT (IPs or CIDR ranges,
    /// comma-separated; `none`): reverse proxies, which bring many clients on one address.
    /// Behind the reference nginx every client is 127.0.0.1, hence the default. They still
    /// count towards MAX_CONNECTIONS.
    #[arg(long, env = "PER_CLIENT_CAP_EXEMPT", default_value = "127.0.0.0/8,::1", value_parser = super::Exempt::parse)]
    pub per_client_cap_exempt: super::Exempt,
    /// Interval of the keep-alive comments on live event streams, in milliseconds.
    /// Between 1000 and 300000 (keep it below the reverse proxy's read timeout).
    #[arg(long, env = "SSE_HEARTBEAT_MS", default_value_t = 15_000, value_parser = ranges::SSE_HEARTBEAT_MS.number::<u64>())]
    pub sse_heartbeat_ms: u64,
    /// Bearer token that `GET /metrics` requires (`Authorization: Bearer …`). Without it
    /// `/metrics` answers anyone who can reach the proxy.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
}

impl ServeConfig {
    /// The API key from the flag, the variable or the key file; `None` means sandbox mode.
    pub fn resolved_key(&self) -> std::io::Result<Option<Secret>> {
        Secret::given_or_read(self.api_key.as_ref(), self.api_key_file.as_deref())
    }

    /// The webhook secrets from the flag, the variable or the secret file.
    pub fn resolved_webhook_secret(&self) -> std::io::Result<Option<Secret>> {
        Secret::given_or_read(
            self.webhook_secret.as_ref(),
            self.webhook_secret_file.as_deref(),
        )
    }

    /// Where the audit trail lives; creates the data directory for the default file.
    pub fn database(&self) -> std::io::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.expose().to_owned());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        Ok(format!(
            "sqlite://{}",
            self.data_dir.join("minivoice.db").display()
        ))
    }

    /// How long a pause lasts before the server resumes by itself; `None`: never.
    pub fn pause_max(&self) -> Option<Duration> {
        (self.pause_max_s > 0).then(|| Duration::from_secs(self.pause_max_s))
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
            widget_dir: Some(widget_dir),
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
            public_url: None,
            data_dir: PathBuf::from("data"),
            // Tests and embedders get a private database that vanishes with the process.
            database_url: Some(Secret::new("sqlite::memory:")),
            webhook_secret: None,
            webhook_secret_file: None,
            webhook_id_header: axum::http::HeaderName::from_static("webhook-id"),
            webhook_timestamp_header: axum::http::HeaderName::from_static("webhook-timestamp"),
            webhook_signature_header: axum::http::HeaderName::from_static("webhook-signature"),
            max_event_streams: 1000,
            max_streams_per_agent: 20,
            live_event_retention: Duration::from_secs(3600),
            database_max_connections: 10,
            database_acquire_timeout_ms: 2_000,
            database_statement_timeout_ms: 5_000,
            webhook_retention: Duration::from_secs(7 * 86_400),
            webhook_inspect_keep: 500,
            pause_max_s: 180,
            header_read_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            max_connections: 2048,
            max_connections_per_client: 256,
            per_client_cap_exempt: super::Exempt::loopback(),
            sse_heartbeat_ms: 15_000,
            metrics_token: None,
        }
    }
}
