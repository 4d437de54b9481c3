//! `loyalty bench generate`: writes an embedded event log of at least N
//! events through the real command path in this process (the batch path of
//! `POST .../journals`, without HTTP, no fsync), for the rebuild benchmark.

use super::report::{machine, memory_line, rate};
use super::traffic::Traffic;
use crate::sample::{sample_program, SAMPLE_PROGRAM_ID};
use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use command_service::batch::Journal;
use command_service::{CommandService, SystemClock};
use event_log::{Durability, EmbeddedLog, EventLog, Record, SnapshotReader};
use indicatif::{ProgressBar, ProgressStyle};
use projector::runner::BATCH;
use std::collections::BTreeMap;
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
    /// Events per program: a longer log is written as several programs of
    /// this many events each (the command side keeps each program's
    /// accounts in memory while it writes them).
    #[arg(long, default_value_t = 1_000_000)]
    pub segment: u64,
}

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let log: Arc<dyn EventLog> =
        EmbeddedLog::open(&args.dir, args.partitions, Durability::Buffered)
            .with_context(|| format!("opening a log in {}", args.dir.display()))?;
    anyhow::ensure!(
        total(&*log).await? == 0,
        "{} already holds a log",
        args.dir.display()
    );
    let bar = ProgressBar::new(args.events);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} generate [{elapsed_precise}] {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let (mut commands, mut members, mut programs) = (0u64, 0u64, 0u32);
    if args.events <= args.segment {
        let m = args.members.unwrap_or((args.events / 50).max(1) as u32);
        commands =
            write_program(&log, SAMPLE_PROGRAM_ID, args.events, m, args.batch, &bar, 0).await?;
        (members, programs) = (m.into(), 1);
    }
    // A long log is written one program at a time in a scratch log of its
    // own, then appended: the command side holds every account it decided
    // in memory, so one program of `segment` events bounds the memory.
    let scratch = args.dir.join("segment");
    while total(&*log).await? < args.events {
        let written = total(&*log).await?;
        let events = args.segment.min(args.events - written);
        let m = args.members.unwrap_or((events / 50).max(1) as u32);
        let program = format!("{SAMPLE_PROGRAM_ID}-{}", programs + 1);
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).context("removing a scratch segment")?;
        }
        let segment: Arc<dyn EventLog> =
            EmbeddedLog::open(&scratch, args.partitions, Durability::Buffered)
                .with_context(|| format!("opening a log in {}", scratch.display()))?;
        commands += write_program(&segment, &program, events, m, args.batch, &bar, written).await?;
        append_all(&*segment, &*log).await?;
        drop(segment);
        std::fs::remove_dir_all(&scratch).context("removing a scratch segment")?;
        (members, programs) = (members + u64::from(m), programs + 1);
    }
    bar.finish_and_clear();
    let took = started.elapsed();
    let events = total(&*log).await?;
    println!(
        "generated {events} events from {commands} commands ({members} members, {programs} programs) \
         in {:.1} s: {:.0} commands/s, {:.0} events/s through the batch command path (no HTTP, no fsync); {}",
        took.as_secs_f64(),
        rate(commands, took),
        rate(events, took),
        memory_line(std::process::id())
    );
    println!("machine: {}", machine());
    Ok(())
}

/// Defines `program` (the sample program) on `log` and writes at least
/// `events` events of traffic for `members` members through the batch
/// command path; `bar` shows `before` plus what this log holds. Returns
/// the commands decided.
async fn write_program(
    log: &Arc<dyn EventLog>,
    program: &str,
    events: u64,
    members: u32,
    batch: usize,
    bar: &ProgressBar,
    before: u64,
) -> anyhow::Result<u64> {
    // No courier: the traffic has no transfers or groups, so there is
    // nothing to deliver, and a running one would keep each program's
    // service (all its accounts) alive after its segment.
    let service = Arc::new(CommandService::open(log.clone(), Arc::new(SystemClock)).await?);
    service
        .define_program(program, sample_program())
        .await
        .context("defining the sample program")?;
    // One step per command spreads 10 million commands over about a year.
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut traffic = Traffic::new(42, "gen", members, start, Duration::seconds(3));
    let mut commands = 0u64;
    for chunk in traffic.enrollments(batch) {
        commands += submit(&service, program, chunk).await?;
    }
    // Two deciders (two cores); a third task makes the JSON items.
    let (tx, rx) = mpsc::channel::<Vec<serde_json::Value>>(1);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (service, rx, program) = (service.clone(), rx.clone(), program.to_string());
            tokio::spawn(async move {
                let mut done = 0u64;
                loop {
                    let Some(items) = rx.lock().await.recv().await else {
                        return Ok::<u64, anyhow::Error>(done);
                    };
                    done += submit(&service, &program, items).await?;
                }
            })
        })
        .collect();
    let mut written = total(&**log).await?;
    // Small logs in small batches, so the deciders in flight overshoot little.
    let batch = batch.min((events / 50).max(100) as usize);
    while written < events {
        if tx.send(traffic.batch(batch)).await.is_err() {
            break;
        }
        written = total(&**log).await?;
        bar.set_position((before + written).min(bar.length().unwrap_or(u64::MAX)));
    }
    drop(tx);
    for worker in workers {
        commands += worker.await.context("a generator task")??;
    }
    Ok(commands)
}

/// Appends every record of `from` to `to`, each to its own partition in
/// order (both logs have the same partitions, so keys stay where they hash).
async fn append_all(from: &dyn EventLog, to: &dyn EventLog) -> anyhow::Result<()> {
    let mut reader = SnapshotReader::open(from, BATCH).await?;
    while let Some(batch) = reader.next_batch().await? {
        let mut by_partition: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
        for r in batch {
            by_partition.entry(r.partition).or_default().push(Record {
                key: r.key,
                headers: r.headers,
                payload: r.payload,
            });
        }
        for (partition, records) in by_partition {
            to.append(partition, records).await?;
        }
    }
    Ok(())
}

/// Decides one batch; returns how many commands it carried.
async fn submit(
    service: &CommandService,
    program: &str,
    items: Vec<serde_json::Value>,
) -> anyhow::Result<u64> {
    let now = Utc::now();
    let journals: Vec<Journal> = items
        .into_iter()
        .filter_map(|item| command_service::http::parse_journal(item, now).ok())
        .collect();
    let answers = service.execute_batch(program, &journals).await;
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
