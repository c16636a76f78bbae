//! The reference deployment on loopback (docs/operations.md, "Running several replicas"):
//! replicas of the proxy sharing one fresh PostgreSQL database, MiniVoice's sandbox as their
//! upstream, and nginx with `deploy/nginx.conf` in front. The replicas run in this process,
//! each with its own listener, hub, workers and store pool: nothing is shared but the database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use minivoice_proxy::{Secret, ServeConfig};

use testkit::{free_port, required_test_database, InProcess, DEADLINE};

use crate::widget_dir;

const KEY: &str = "sk_replicas_test";
/// The secrets and the name every replica of the reference deployment is given: behind a
/// reverse proxy no request is local, so each is required (docs/operations.md, "Running several
/// replicas").
pub use testkit::WEBHOOK_SECRET;
pub const TOKEN_SECRET: &str = "replicas-test-token-secret-0123456789abcdef";
pub const PUBLIC_URL: &str = "https://recordings.example.com";

pub struct Deployment {
    /// nginx, where agents' browsers go.
    pub addr: SocketAddr,
    pub replicas: Vec<Replica>,
    /// The sandbox standing in for MiniVoice, shared by every replica.
    pub minivoice: SocketAddr,
    pub database_url: String,
    _nginx: Nginx,
}

/// nginx from a template in `deploy/`, in a private run directory, on a fresh loopback port.
pub struct Nginx {
    pub addr: SocketAddr,
    child: Child,
    _run_dir: tempfile::TempDir,
}

impl Nginx {
    /// `deploy/nginx.conf` in front of `backends`.
    pub async fn start(backends: &[SocketAddr]) -> Nginx {
        let servers: Vec<String> = backends
            .iter()
            .map(|b| format!("        server {b} max_fails=1 fail_timeout=2s;"))
            .collect();
        Nginx::from_template("nginx.conf", &[("SERVERS", servers.join("\n"))]).await
    }

    /// `deploy/<template>` with `{{RUN_DIR}}`, `{{LISTEN}}` and each of `vars` filled in.
    pub async fn from_template(template: &str, vars: &[(&str, String)]) -> Nginx {
        let run_dir = tempfile::tempdir().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy")
            .join(template);
        let mut config = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .replace("{{RUN_DIR}}", &run_dir.path().display().to_string())
            .replace("{{LISTEN}}", &addr.to_string());
        for (k, v) in vars {
            config = config.replace(&format!("{{{{{k}}}}}"), v);
        }
        let config_path = run_dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let bin = std::env::var("NGINX").unwrap_or("/usr/sbin/nginx".into());
        let child = Command::new(&bin)
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(run_dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e} (cargo xtask installs it)"));
        let deadline = Instant::now() + DEADLINE;
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "nginx never listened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Nginx {
            addr,
            child,
            _run_dir: run_dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would leave them running, orphaned).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A replica: a proxy in this process on the shared database.
pub type Replica = InProcess;

impl Deployment {
    /// The reference deployment as documented: each replica with `WIDGET_TOKEN_SECRET`,
    /// `MINIVOICE_WEBHOOK_SECRET` and `PUBLIC_URL`.
    pub async fn start(replicas: usize) -> Deployment {
        Deployment::start_with(replicas, |_| {}).await
    }

    /// As [`Deployment::start`], each replica's configuration then adjusted (the secrets left
    /// out, say, as an operator might).
    pub async fn start_with(replicas: usize, adjust: impl Fn(&mut ServeConfig)) -> Deployment {
        let database_url = required_test_database().await;
        let minivoice =
            minivoice_proxy::sandbox::spawn("127.0.0.1:0".parse().unwrap(), Some(Secret::new(KEY)))
                .await
                .unwrap();
        let mut started = vec![];
        for _ in 0..replicas {
            started.push(replica(&database_url, minivoice, &adjust).await);
        }
        let backends: Vec<SocketAddr> = started.iter().map(|r| r.addr).collect();
        let nginx = Nginx::start(&backends).await;
        Deployment {
            addr: nginx.addr,
            replicas: started,
            minivoice,
            database_url,
            _nginx: nginx,
        }
    }

    /// An agent token for `agent` on `calls` (`["*"]`: every call), signed with
    /// [`TOKEN_SECRET`] as a CRM backend would sign it.
    pub fn token(agent: &str, calls: &[&str]) -> String {
        let calls: Vec<String> = calls.iter().map(|c| c.to_string()).collect();
        minivoice_proxy::auth::TokenKeys::new(&Secret::new(TOKEN_SECRET))
            .unwrap()
            .mint(agent, &calls, Duration::from_secs(3600))
    }

    /// Stops replica `i` as a deploy or a crash would take it away: its streams end and it
    /// refuses connections from then on.
    pub async fn stop_replica(&mut self, i: usize) {
        self.replicas[i].stop().await;
    }
}

/// A replica on `database_url`, with `minivoice` as its upstream, configured as documented,
/// then adjusted.
async fn replica(
    database_url: &str,
    minivoice: SocketAddr,
    adjust: impl Fn(&mut ServeConfig),
) -> Replica {
    let mut cfg = ServeConfig::sandbox_on_loopback(widget_dir());
    cfg.api_key = Some(Secret::new(KEY));
    cfg.base_url = format!("http://{minivoice}");
    cfg.database_url = Some(Secret::new(database_url));
    cfg.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    cfg.token_secret.secret = Some(Secret::new(TOKEN_SECRET));
    cfg.public_url = Some(PUBLIC_URL.parse().unwrap());
    adjust(&mut cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    InProcess::start(cfg, Some(listener)).await
}
