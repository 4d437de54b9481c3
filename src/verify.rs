//! `loyalty verify`: proves that the log is untampered and that the read
//! models are exactly a pure fold of it. It waits until the live store
//! (followed as a RocksDB secondary, so a projector may keep running) has
//! applied the log's end, folds the log from offset 0 up to the same
//! offsets into a scratch store while following every account's hash chain
//! (`ledger_core::chain`), and compares the two stores key for key.
//! Kafka mode reads the events topic; without `--brokers` it reads the
//! embedded log of a `loyalty serve` data directory (server stopped).

use crate::embedded::DataDir;
use crate::log_source::LogArgs;
use anyhow::Context;
use event_log::{EventLog, StoredRecord};
use indicatif::{ProgressBar, ProgressStyle};
use ledger_core::chain::{digest, Break, ChainCheck};
use ledger_core::codec::stamp_of;
use loyalty_proto::{EventEnvelope, Message as _};
use projector::Store;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// In Kafka mode `--data-dir` is the projector's read-model store.
    #[command(flatten)]
    pub log: LogArgs,
    /// How long to wait for the projector to reach the log's end.
    #[arg(long, default_value_t = 300)]
    pub wait_secs: u64,
}

/// Differences shown at most.
const SHOWN: usize = 10;

pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let (log, models) = open(&args).await?;
    let work = tempfile::tempdir().context("a scratch directory")?;
    let live = Store::open_follower(&models, &work.path().join("secondary"))
        .context("opening the live read models")?;
    let applied = caught_up(&*log, &live, Duration::from_secs(args.wait_secs)).await?;
    // Read models ahead of the log: records were removed from its end.
    let end = log.end_offsets().await?;
    let mut chains = Chains::default();
    let applied: Vec<u64> = applied
        .iter()
        .zip(&end)
        .enumerate()
        .map(|(partition, (&a, &e))| {
            if a > e {
                chains.breaks.push(format!(
                    "partition {partition}: the read models applied up to offset {a}, the log ends at {e} (records were removed)"
                ));
            }
            a.min(e)
        })
        .collect();
    let total: u64 = applied.iter().sum();
    let fresh = Store::open_scratch(&work.path().join("fresh")).context("a fresh store")?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} folding [{elapsed_precise}] {bar:40} {pos}/{len} records ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let folded = projector::rebuild::rebuild_to(&*log, &fresh, applied.clone(), |batch, done| {
        chains.follow(batch);
        bar.set_position(done)
    })
    .await;
    bar.finish_and_clear();
    if let Err(e) = folded {
        for b in chains.breaks.iter().take(SHOWN) {
            println!("  broken chain: {b}");
        }
        return Err(e).context("folding the log");
    }
    let secs = started.elapsed().as_secs_f64();
    let diff = compare(&live, &fresh)?;
    println!(
        "folded {total} records up to offsets {applied:?} in {secs:.1} s ({:.0} records/s); \
         followed {} hash chains ({} events linked, {} repeats skipped, {} from before chains); compared {} keys",
        total as f64 / secs.max(1e-9),
        chains.check.accounts(),
        chains.check.linked,
        chains.check.skipped,
        chains.check.unchained,
        diff.compared
    );
    for b in chains.breaks.iter().take(SHOWN) {
        println!("  broken chain: {b}");
    }
    for d in diff.differences.iter().take(SHOWN) {
        println!("  {d}");
    }
    anyhow::ensure!(
        chains.breaks.is_empty(),
        "{} breaks in the log's hash chains: the log was altered",
        chains.breaks.len()
    );
    anyhow::ensure!(
        diff.differences.is_empty(),
        "{} keys differ between the read models and a fold of the log",
        diff.differences.len()
    );
    println!("verified: every hash chain holds and the read models equal a pure fold of the log");
    Ok(())
}

/// The log and the live read models' directory.
async fn open(args: &VerifyArgs) -> anyhow::Result<(Arc<dyn EventLog>, PathBuf)> {
    let log = args.log.open().await?;
    if args.log.brokers.is_some() {
        return Ok((log, args.log.data_dir.clone()));
    }
    // No projector runs beside a stopped server: bring its read models to
    // the log's end first, as `loyalty serve` does on start.
    let data = DataDir::new(&args.log.data_dir);
    let store = Store::open(&data.read_models())
        .context("opening the read models (stop the server first)")?;
    projector::rebuild::catch_up(&*log, &store)
        .await
        .context("bringing the read models to the log's end")?;
    Ok((log, data.read_models()))
}

/// Every account's hash chain, followed through the log, and where one broke
/// (the first break of an account only: what follows it breaks too).
#[derive(Default)]
struct Chains {
    check: ChainCheck<String>,
    broken: HashSet<String>,
    breaks: Vec<String>,
}

impl Chains {
    fn follow(&mut self, batch: &[StoredRecord]) {
        for r in batch {
            let position = format!("{}:{}", r.partition, r.offset);
            let env = match EventEnvelope::decode(r.payload.as_slice()) {
                Ok(env) => env,
                Err(e) => {
                    self.breaks.push(format!(
                        "record at position {position} does not decode: {e}"
                    ));
                    continue;
                }
            };
            let account = format!("{}/{}", env.program_id, env.account_id);
            if self.broken.contains(&account) {
                continue;
            }
            let offered = self.check.offer(
                &account,
                stamp_of(&env),
                &env.prev_hash,
                digest(&r.payload),
                position,
            );
            if let Err(b) = offered {
                let account = match &b {
                    Break::Unlinked { account, .. } | Break::Missing { account, .. } => {
                        account.clone()
                    }
                };
                self.broken.insert(account);
                self.breaks.push(b.to_string());
            }
        }
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
