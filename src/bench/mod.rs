//! `loyalty bench`: benchmarks that print throughput, latency percentiles
//! and memory, with the machine they ran on (figures in README).

mod commands;
mod generate;
mod load;
mod queries;
mod rebuild;
mod report;
mod server;
mod traffic;

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Rebuild read models from a generated embedded log (events/s, where the time goes, memory).
    Rebuild(rebuild::RebuildBenchArgs),
    /// Write an embedded log of N events through the batch command path (used by `rebuild`).
    Generate(generate::GenerateArgs),
    /// Commands in batches through POST /v1/programs/{p}/journals (commands/s).
    Journals(commands::JournalsBenchArgs),
    /// Single HTTP accruals at a target rate (latency percentiles).
    Accruals(commands::AccrualsBenchArgs),
    /// Member views at a target rate (latency percentiles).
    Queries(queries::QueriesBenchArgs),
    /// Point-in-time views and ledger pages of one member with a long history.
    Audit(queries::AuditBenchArgs),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Rebuild(args) => rebuild::run(args).await,
        BenchCommand::Generate(args) => generate::run(args).await,
        BenchCommand::Journals(args) => commands::journals(args).await,
        BenchCommand::Accruals(args) => commands::accruals(args).await,
        BenchCommand::Queries(args) => queries::queries(args).await,
        BenchCommand::Audit(args) => queries::audit(args).await,
    }
}
