//! `loyalty bench generate`: writes an embedded event log of at least N
//! events through the real command path in this process (the batch path of
//! `POST .../journals`, without HTTP, no fsync), for the rebuild benchmark.

use super::report::{machine, memory_line, rate};
use super::traffic::Traffic;
use crate::sample::{sample_program, SAMPLE_PROGRAM_ID};
use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use command_service::batch::Journal;
use command_service::courier::Elsewhere;
use command_service::{CommandService, SystemClock};
use event_log::{Durability, EmbeddedLog, EventLog};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

#[derive(clap::Args, Clone)]
pub struct GenerateArgs {
    /// Events to write (at least).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Members (default: one per 50 events).
    #[arg(long)]
    pub members: Option<u32>,
    /// Directory of the log (created; must not hold one yet).
    #[arg(long)]
    pub dir: PathBuf,
    /// Partitions of the log.
    #[arg(long, default_value_t = 8)]
    pub partitions: u32,
    /// Commands per batch.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
}

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let log = EmbeddedLog::open(&args.dir, args.partitions, Durability::Buffered)
        .with_context(|| format!("opening a log in {}", args.dir.display()))?;
    let log: Arc<dyn EventLog> = log;
    anyhow::ensure!(
        total(&*log).await? == 0,
        "{} already holds a log",
        args.dir.display()
    );
    let service = Arc::new(CommandService::open(log.clone(), Arc::new(SystemClock)).await?);
    service.start_courier(Elsewhere::Nowhere);
    service
        .define_program(SAMPLE_PROGRAM_ID, sample_program())
        .await
        .context("defining the sample program")?;
    let members = args.members.unwrap_or((args.events / 50).max(1) as u32);
    // One step per command spreads 10 million commands over about a year.
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut traffic = Traffic::new(42, "gen", members, start, Duration::seconds(3));
    let bar = ProgressBar::new(args.events);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} generate [{elapsed_precise}] {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut commands = 0u64;
    for chunk in traffic.enrollments(args.batch) {
        commands += submit(&service, chunk).await?;
    }
    // Two deciders (two cores); a third task makes the JSON items.
    let (tx, rx) = mpsc::channel::<Vec<serde_json::Value>>(1);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (service, rx) = (service.clone(), rx.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                loop {
                    let Some(items) = rx.lock().await.recv().await else {
                        return Ok::<u64, anyhow::Error>(done);
                    };
                    done += submit(&service, items).await?;
                }
            })
        })
        .collect();
    let mut written = total(&*log).await?;
    // Small logs in small batches, so the deciders in flight overshoot little.
    let batch = args.batch.min((args.events / 50).max(100) as usize);
    while written < args.events {
        let items = traffic.batch(batch);
        if tx.send(items).await.is_err() {
            break;
        }
        written = total(&*log).await?;
        bar.set_position(written.min(args.events));
    }
    drop(tx);
    for worker in workers {
        commands += worker.await.context("a generator task")??;
    }
    bar.finish_and_clear();
    let took = started.elapsed();
    let events = total(&*log).await?;
    println!(
        "generated {events} events from {commands} commands ({members} members) in {:.1} s: \
         {:.0} commands/s, {:.0} events/s through the batch command path (no HTTP, no fsync); {}",
        took.as_secs_f64(),
        rate(commands, took),
        rate(events, took),
        memory_line(std::process::id())
    );
    println!("machine: {}", machine());
    Ok(())
}

/// Decides one batch; returns how many commands it carried.
async fn submit(service: &CommandService, items: Vec<serde_json::Value>) -> anyhow::Result<u64> {
    let now = Utc::now();
    let journals: Vec<Journal> = items
        .into_iter()
        .filter_map(|item| command_service::http::parse_journal(item, now).ok())
        .collect();
    let answers = service.execute_batch(SAMPLE_PROGRAM_ID, &journals).await;
    for answer in &answers {
        if let Err(e @ command_service::CommandError::Log(_)) = answer {
            anyhow::bail!("the log failed: {e}");
        }
    }
    Ok(answers.len() as u64)
}

/// Records on the log, all partitions.
pub async fn total(log: &dyn EventLog) -> anyhow::Result<u64> {
    Ok(log.end_offsets().await?.iter().sum())
}

/// Whether `dir` holds a log of at least `events` records (opening it
/// briefly).
pub async fn holds(dir: &Path, events: u64) -> bool {
    if !dir.join("meta").exists() {
        return false;
    }
    match EmbeddedLog::open_existing(dir, Durability::Buffered) {
        Ok(log) => total(&*log).await.is_ok_and(|n| n >= events),
        Err(_) => false,
    }
}
