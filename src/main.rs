//! `loyalty`: the loyalty points ledger's command line.
//!
//! - `loyalty serve`: the whole ledger in one process on its embedded log
//!   (command side, projector, query side on one port), sample program loaded.
//! - `loyalty rebuild`: rebuild the read models from log position 0.
//! - `loyalty simulate`: drive realistic traffic through the HTTP API.
//! - `loyalty load`: drive the commands topic (Kafka mode) and report throughput.
//! - `loyalty verify`: prove a projector's read models equal a fold of the topic.
//! - `loyalty reconcile`: check the liability against the members' events.
//! - `loyalty audit member`: a member's history with running balances.
//! - `loyalty export`: the event log as JSON lines or Parquet.
//! - `loyalty bench`: throughput, latency and memory of each path.

mod audit;
mod bench;
mod embedded;
mod export;
mod load;
mod log_source;
mod rebuild;
mod reconcile;
mod sample;
mod serve;
mod simulate;
mod status;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a fold allocates and frees
/// millions of small strings and maps per second, and glibc's malloc spent
/// a quarter of a rebuild's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "loyalty",
    version,
    about = "Event-sourced loyalty points ledger"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the ledger (embedded log, projector, HTTP API) in one process.
    Serve(serve::ServeArgs),
    /// Rebuild the read models from the start of the log (server stopped).
    Rebuild(rebuild::RebuildArgs),
    /// Drive realistic traffic through the HTTP API and report throughput.
    Simulate(simulate::SimulateArgs),
    /// Send commands through the commands topic (Kafka mode) and report throughput and latency.
    Load(load::LoadArgs),
    /// Check that a projector's read models equal a pure fold of the events topic (Kafka).
    Verify(verify::VerifyArgs),
    /// Check that the liability reconciles with the members' events, now or as of a time.
    Reconcile(reconcile::ReconcileArgs),
    /// Write the event log for a data warehouse (JSON lines or Parquet).
    Export(export::ExportArgs),
    /// Audit trails: a member's history with running balances.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Benchmarks: throughput, latency percentiles and memory.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    event_log::service::init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Rebuild(args) => rebuild::run(args).await,
            Command::Simulate(args) => simulate::run(args).await,
            Command::Verify(args) => verify::run(args).await,
            Command::Load(args) => load::run(args).await,
            Command::Reconcile(args) => reconcile::run(args).await,
            Command::Audit(cmd) => audit::run(cmd).await,
            Command::Export(args) => export::run(args).await,
            Command::Bench(cmd) => bench::run(cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
