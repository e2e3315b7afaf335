//! `wagate-bench`: measures the gateway as an agency would run it (sim
//! WhatsApp backend, delays 0) on the embedded store and on Redis, and
//! prints one table (optionally JSON). See README "Performance".

#[path = "wagate_bench/cli.rs"]
mod cli;
#[path = "wagate_bench/gateway.rs"]
mod gateway;
#[path = "wagate_bench/inbound.rs"]
mod inbound;
#[path = "wagate_bench/load.rs"]
mod load;
#[path = "wagate_bench/measures.rs"]
mod measures;
#[path = "wagate_bench/memory.rs"]
mod memory;
#[path = "wagate_bench/receiver.rs"]
mod receiver;
#[path = "wagate_bench/recovery.rs"]
mod recovery;
#[path = "wagate_bench/report.rs"]
mod report;

use clap::Parser;
use cli::{Args, Measure};
use report::Row;
use std::time::Duration;

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
    print!("{}", report::table(&rows));
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&args, &rows)?)?;
        println!("JSON written to {}", path.display());
    }
    Ok(())
}
