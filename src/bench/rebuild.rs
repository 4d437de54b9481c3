//! `loyalty bench rebuild`: rebuilds read models from a generated embedded
//! log of N events (generated once by a child `loyalty bench generate`, so
//! this process's memory is the projector's alone) and reports events/s,
//! batch latency, where the time went and how memory grew.

use super::generate::holds;
use super::report::{machine, memory_kib, rate, Latencies};
use anyhow::Context;
use event_log::{Durability, EmbeddedLog, EventLog};
use indicatif::{ProgressBar, ProgressStyle};
use projector::rebuild::{rebuild_measured, Measured};
use projector::store::MemoryUse;
use projector::Store;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct RebuildBenchArgs {
    /// Events in the log (generated when the directory holds fewer).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Where the generated log and the rebuilt read models live
    /// (default: `$LOYALTY_CACHE/bench/rebuild-<events>`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// MiB of member views (stored size) each lane carries between batches
    /// (default: the projector's).
    #[arg(long)]
    pub carry_mib: Option<usize>,
}

pub async fn run(args: RebuildBenchArgs) -> anyhow::Result<()> {
    let dir = args.dir.clone().unwrap_or_else(|| default_dir(args.events));
    let log_dir = dir.join("log");
    if !holds(&log_dir, args.events).await {
        generate(&log_dir, args.events)?;
    }
    let log = EmbeddedLog::open_existing(&log_dir, Durability::Buffered)
        .with_context(|| format!("opening {}", log_dir.display()))?;
    let end = log.end_offsets().await?;
    let events: u64 = end.iter().sum();
    let models = dir.join("readmodels");
    if models.exists() {
        std::fs::remove_dir_all(&models).context("removing the previous run's read models")?;
    }
    let mut store = Store::open_scratch(&models)?;
    if let Some(mib) = args.carry_mib {
        store.set_carry_bytes(mib.saturating_mul(1 << 20));
    }
    let bar = ProgressBar::new(events);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} rebuild [{elapsed_precise}] {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let me = std::process::id();
    let mut batches = Latencies::default();
    let mut memory = Vec::new();
    let mut next_memory_at = events / 10;
    let started = Instant::now();
    let mut last = (started, Measured::default());
    let measured = rebuild_measured(&*log, &store, end, |_, m| {
        // A batch's latency: from the end of the previous batch's fold to
        // the end of this one's read (so the previous fold shows up in the
        // next callback, hence the lag by one).
        let now = Instant::now();
        if last.1.batches > 0 {
            batches.record(now - last.0);
        }
        last = (now, *m);
        bar.set_position(m.events);
        if m.events >= next_memory_at {
            if let Some((rss, _)) = memory_kib(me) {
                memory.push((m.events, rss, store.memory()));
            }
            next_memory_at += events / 10;
        }
    })
    .await?;
    batches.record(last.0.elapsed());
    let took = started.elapsed();
    bar.finish_and_clear();
    drop(store);
    report(&measured, took, &batches, &memory, &models);
    Ok(())
}

fn default_dir(events: u64) -> PathBuf {
    let cache = std::env::var_os("LOYALTY_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/loyalty")))
        .unwrap_or_else(|| PathBuf::from("."));
    cache.join("bench").join(format!("rebuild-{events}"))
}

/// Generates the log in a child process (its memory is not ours).
fn generate(log_dir: &Path, events: u64) -> anyhow::Result<()> {
    if log_dir.exists() {
        std::fs::remove_dir_all(log_dir).context("removing a smaller generated log")?;
    }
    println!(
        "generating a log of {events} events in {}",
        log_dir.display()
    );
    let status = std::process::Command::new(std::env::current_exe()?)
        .args([
            "bench",
            "generate",
            "--events",
            &events.to_string(),
            "--dir",
        ])
        .arg(log_dir)
        .status()
        .context("running loyalty bench generate")?;
    anyhow::ensure!(status.success(), "generating the log failed");
    Ok(())
}

fn report(
    m: &Measured,
    took: Duration,
    batches: &Latencies,
    memory: &[(u64, u64, MemoryUse)],
    models: &Path,
) {
    let secs = took.as_secs_f64();
    let share = |d: Duration| 100.0 * d.as_secs_f64() / secs.max(1e-9);
    println!(
        "rebuild: {} events in {:.1} s: {:.0} events/s ({} batches of up to {})",
        m.events,
        secs,
        rate(m.events, took),
        m.batches,
        projector::runner::BATCH
    );
    println!("batch latency: {}", batches.summary());
    println!(
        "time: read {:.0}%, decode+gate+digest {:.0}%, fold {:.0}%, commit (serialize + RocksDB write) {:.0}%",
        share(m.read),
        share(m.split.decode),
        share(m.split.fold),
        share(m.split.commit)
    );
    let per_event = |d: Duration| d.as_nanos() as f64 / m.events.max(1) as f64 / 1000.0;
    println!(
        "per event: read {:.2} µs, decode {:.2} µs, fold {:.2} µs, commit {:.2} µs",
        per_event(m.read),
        per_event(m.split.decode),
        per_event(m.split.fold),
        per_event(m.split.commit)
    );
    let peak = memory_kib(std::process::id()).map_or(0, |(_, peak)| peak / 1024);
    println!("memory: peak RSS {peak} MiB; RSS by events folded (of it, MiB):");
    let mib = |bytes: u64| bytes >> 20;
    for (at, rss, parts) in memory {
        println!(
            "  {:.2}M: {} MiB ({} memtables, {} block cache, {} index and filters, {} carried views stored)",
            *at as f64 / 1e6,
            rss / 1024,
            mib(parts.memtables),
            mib(parts.block_cache),
            mib(parts.table_readers),
            mib(parts.carried)
        );
    }
    println!("read models on disk: {} MiB", dir_size(models) / (1 << 20));
    println!("machine: {}", machine());
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
