use std::error::Error;
use std::process::ExitCode;

use clap::Parser;
use minivoice_proxy::auth::{TokenKeys, ALL_CALLS};
use minivoice_proxy::config::{Cli, Command};
use minivoice_proxy::{sandbox, start, telemetry, ServeConfig};

/// mimalloc, not the system allocator: under load, glibc's malloc spent a sixth of the
/// proxy's time in arena locks and consolidation (`perf`, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Parsed first, since the log format is an option; clap reports its own errors.
    let cli = Cli::parse();
    let logs = match telemetry::logs::init(cli.log_format) {
        Ok(guard) => guard,
        Err(e) => return failed(&e),
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(Box::<dyn Error>::from)
        .and_then(|runtime| runtime.block_on(run(cli)));
    // Outside the runtime, once it and its tasks are gone: every queued line, the shutdown's
    // last among them, is written before the process ends (and before an error printed below).
    drop(logs);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failed(&*e),
    }
}

fn failed(e: &dyn Error) -> ExitCode {
    eprintln!("minivoice-proxy: {e}");
    let mut cause = e.source();
    while let Some(c) = cause {
        eprintln!("  caused by: {c}");
        cause = c.source();
    }
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    telemetry::panics::log_panics();
    match cli.command {
        Some(Command::Sandbox(cfg)) => {
            let addr = sandbox::spawn(cfg.listen, cfg.api_key).await?;
            tracing::info!("MiniVoice sandbox listening on http://{addr}/v1");
            shutdown_signal().await;
            Ok(())
        }
        Some(Command::Serve(cfg)) => Ok(serve(*cfg).await?),
        Some(Command::Token(cfg)) => {
            let secret = cfg
                .secret
                .resolve()?
                .ok_or("set WIDGET_TOKEN_SECRET (or --token-secret-file) to sign")?;
            let keys = TokenKeys::with_policy(&secret, cfg.policy)?;
            let calls = if cfg.all_calls {
                vec![ALL_CALLS.to_owned()]
            } else {
                cfg.calls
            };
            println!("{}", keys.try_mint(&cfg.agent, &calls, cfg.ttl)?);
            Ok(())
        }
        None => Ok(serve(cli.serve).await?),
    }
}

async fn serve(cfg: ServeConfig) -> Result<(), Box<dyn Error>> {
    let running = start(cfg, shutdown_signal()).await?;
    tracing::info!("widget and API on http://{}/", running.addr);
    println!("Open http://{}/?call_id=call_123", running.addr);
    running.served.await??;
    // The log's last word: a log that ends without it was cut short.
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM (what orchestrators send) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
