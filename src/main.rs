//! The `wagate` binary: parse settings, set up logging, serve until
//! SIGINT/SIGTERM. `wagate api-key` prints the API key; `wagate healthcheck`
//! exits 0 when the local gateway answers `/healthz`; `instances`, `qr` and
//! `send` talk to a running gateway's API.

#![forbid(unsafe_code)]

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use wagate::cli::client::{existing_key, ApiClient};
use wagate::cli::healthcheck::{self, HealthcheckArgs};
use wagate::cli::operate::{self, Operation};
use wagate::config::{Config, LogFormat, Role};
use wagate::support::secrets::SecretText;

#[derive(Parser)]
#[command(name = "wagate", version, about = "WhatsApp gateway for GoHighLevel")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
    /// The gateway the operator commands talk to. Default: http://127.0.0.1:PORT.
    #[arg(long, env = "WAGATE_URL", global = true)]
    url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the gateway (the default).
    Serve,
    /// Print the API key (API_KEY, or the one kept in SESSION_DIR/api-key).
    ApiKey,
    /// Exit 0 when the gateway on 127.0.0.1:PORT answers /healthz with 200, else 1.
    Healthcheck(HealthcheckArgs),
    #[command(flatten)]
    Operate(Operation),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::ApiKey => print_api_key(&cli.config),
        Command::Healthcheck(args) => {
            std::process::exit(if healthcheck::healthy(&args).await { 0 } else { 1 })
        }
        Command::Operate(operation) => {
            let key = existing_key(
                cli.config.api_key.as_ref().map(SecretText::expose),
                &cli.config.session_dir,
            )?;
            let base = cli
                .url
                .unwrap_or_else(|| format!("http://127.0.0.1:{}", cli.config.http.port));
            println!(
                "{}",
                operate::run(&ApiClient::new(&base, key)?, &operation).await?
            );
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let settings = config
        .validate()
        .map_err(|message| anyhow::anyhow!("invalid configuration: {message}"))?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    // A worker serves no HTTP.
    let listener = match settings.redis.role {
        Role::Worker => None,
        Role::All | Role::Api => {
            let address = format!("{}:{}", settings.http.host, settings.http.port);
            let bound = tokio::net::TcpListener::bind(&address).await;
            Some(bound.with_context(|| format!("cannot listen on {address}"))?)
        }
    };
    wagate::app::run(settings, listener, shutdown).await?;
    Ok(())
}

fn print_api_key(config: &Config) -> anyhow::Result<()> {
    println!(
        "{}",
        existing_key(
            config.api_key.as_ref().map(SecretText::expose),
            &config.session_dir
        )?
    );
    Ok(())
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = interrupt => {}, _ = terminate.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    shutdown.cancel();
}

/// whatsapp-rust logs a pairing code itself, at info, under this target
/// (its `pair_code.rs`): kept to warnings at every level, even with
/// RUST_LOG=debug, so the code never reaches the log.
const PAIR_CODE_TARGET: &str = "Client/PairCode=warn";

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,whatsapp_rust=warn,wacore=warn"))
        .add_directive(PAIR_CODE_TARGET.parse().expect("a valid log directive"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
