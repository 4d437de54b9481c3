//! `loyalty verify`: proves a projector's read models are exactly a pure
//! fold of the events topic. It waits until the live store (followed as a
//! RocksDB secondary, so the projector may keep running) has applied the
//! topic's end, folds the topic from offset 0 up to the same offsets into a
//! fresh store, and compares the two key for key.

use anyhow::Context;
use event_log::{EventLog, KafkaArgs, KafkaLog};
use indicatif::{ProgressBar, ProgressStyle};
use projector::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// The projector's read-model store (its `--data-dir`).
    #[arg(long, env = "LOYALTY_DATA_DIR")]
    pub data_dir: PathBuf,
    /// How long to wait for the projector to reach the topic's end.
    #[arg(long, default_value_t = 300)]
    pub wait_secs: u64,
}

/// Differences shown at most.
const SHOWN: usize = 10;

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let log: Arc<dyn EventLog> = KafkaLog::connect(args.kafka.events())
        .await
        .context("connecting to Kafka")?;
    let work = tempfile::tempdir().context("a scratch directory")?;
    let live = Store::open_follower(&args.data_dir, &work.path().join("secondary"))
        .context("opening the live read models")?;
    let applied = caught_up(&*log, &live, Duration::from_secs(args.wait_secs)).await?;
    let total: u64 = applied.iter().sum();
    let fresh = Store::open(&work.path().join("fresh")).context("a fresh store")?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} folding [{elapsed_precise}] {bar:40} {pos}/{len} records ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    projector::rebuild::rebuild_to(&*log, &fresh, applied.clone(), |n| bar.set_position(n))
        .await
        .context("folding the topic")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let diff = compare(&live, &fresh)?;
    println!(
        "folded {total} records up to offsets {applied:?} in {secs:.1} s ({:.0} records/s); compared {} keys",
        total as f64 / secs.max(1e-9),
        diff.compared
    );
    if diff.differences.is_empty() {
        println!("verified: the read models equal a pure fold of the events topic");
        Ok(())
    } else {
        for d in diff.differences.iter().take(SHOWN) {
            println!("  {d}");
        }
        anyhow::bail!(
            "{} keys differ between the read models and a fold of the topic",
            diff.differences.len()
        )
    }
}

/// Waits until the live store has applied every partition's end; returns
/// the offsets it has applied.
async fn caught_up(log: &dyn EventLog, live: &Store, wait: Duration) -> anyhow::Result<Vec<u64>> {
    let end = log.end_offsets().await?;
    let deadline = Instant::now() + wait;
    loop {
        live.catch_up()?;
        let applied = live.applied_offsets(log.partitions())?;
        if applied.iter().zip(&end).all(|(a, e)| a >= e) {
            return Ok(applied);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the projector has applied {applied:?}, short of the topic's end {end:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Comparison {
    compared: u64,
    differences: Vec<String>,
}

/// Merges the two stores' sorted keys.
fn compare(live: &Store, fresh: &Store) -> anyhow::Result<Comparison> {
    let mut a = live.entries();
    let mut b = fresh.entries();
    let mut x = a.next().transpose()?;
    let mut y = b.next().transpose()?;
    let mut out = Comparison {
        compared: 0,
        differences: Vec::new(),
    };
    let text = |k: &[u8]| String::from_utf8_lossy(k).replace('\0', "/");
    loop {
        let order = match (&x, &y) {
            (None, None) => return Ok(out),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        out.compared += 1;
        match (order, &x, &y) {
            (std::cmp::Ordering::Equal, Some((k, va)), Some((_, vb))) => {
                if va != vb {
                    out.differences
                        .push(format!("{}: live and fold differ", text(k)));
                }
                x = a.next().transpose()?;
                y = b.next().transpose()?;
            }
            (std::cmp::Ordering::Less, Some((k, _)), _) => {
                out.differences
                    .push(format!("{}: only in the live store", text(k)));
                x = a.next().transpose()?;
            }
            (_, _, Some((k, _))) => {
                out.differences
                    .push(format!("{}: only in the fold", text(k)));
                y = b.next().transpose()?;
            }
            _ => return Ok(out),
        }
    }
}
