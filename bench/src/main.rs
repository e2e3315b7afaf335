//! `wagate-bench`: measures the gateway as an agency would run it (sim
//! WhatsApp backend, delays 0) on the embedded store and on Redis, and
//! prints one table (optionally JSON). See README "Performance".

#![forbid(unsafe_code)]

mod cli;
mod gateway;
mod inbound;
mod load;
mod measures;
mod memory;
#[cfg(feature = "wa-loopback")]
mod real;
mod receiver;
mod recovery;
mod report;
mod voice;

use clap::Parser;
use cli::{Args, Measure};
use report::Row;
use std::time::Duration;

#[cfg(feature = "wa-loopback")]
async fn real_sessions(args: &Args) -> anyhow::Result<Vec<Row>> {
    real::measure(args).await
}

#[cfg(not(feature = "wa-loopback"))]
async fn real_sessions(_: &Args) -> anyhow::Result<Vec<Row>> {
    anyhow::bail!("--only real needs the wa-loopback build: cargo build --release -p wagate-bench -p wagate --features wagate/wa-loopback,wagate-bench/wa-loopback")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut rows: Vec<Row> = Vec::new();
    if args.wants(Measure::Intake) {
        rows.extend(measures::intake_with_bare(&args).await?);
    }
    for backend in args.backends() {
        if args.wants(Measure::E2e) {
            rows.push(measures::end_to_end(&args, &backend).await?);
        }
        if args.wants(Measure::Inbound) {
            rows.extend(inbound::paced_with_floor(&args, &backend).await?);
            rows.push(inbound::through_gateway(&args, &backend, 10, Duration::ZERO).await?);
        }
        if args.wants(Measure::Recovery) {
            rows.push(recovery::measure(&args, &backend).await?);
        }
    }
    if args.wants(Measure::Memory) {
        rows.extend(memory::measure(&args).await?);
    }
    if args.wants(Measure::Voice) {
        rows.extend(voice::measure(&args).await?);
    }
    if args.wants(Measure::Real) {
        rows.extend(real_sessions(&args).await?);
    }
    print!("{}", report::table(&rows));
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&args, &rows)?)?;
        println!("JSON written to {}", path.display());
    }
    Ok(())
}
