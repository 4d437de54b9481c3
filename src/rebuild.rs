//! `loyalty rebuild`: rebuild the read models from log position 0 into a
//! fresh store, then swap it in place of the old one.

use crate::embedded::DataDir;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use projector::Store;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct RebuildArgs {
    /// Data directory (event log and read models).
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

pub async fn run(args: RebuildArgs) -> anyhow::Result<()> {
    let data = DataDir::new(&args.data_dir);
    anyhow::ensure!(
        data.log().exists(),
        "no event log in {}",
        data.log().display()
    );
    // Fails while a server holds the read models: never swap under a live server.
    drop(
        Store::open(&data.read_models())
            .context("opening the live read models (stop the server first)")?,
    );
    let log = data.open_existing_log()?;
    let total: u64 = log.end_offsets().await?.iter().sum();
    let fresh = data.root.join("readmodels.rebuild");
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).context("removing an earlier unfinished rebuild")?;
    }
    let store = Store::open_scratch(&fresh).context("creating the new read-model store")?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let applied = projector::rebuild::rebuild(&*log, &store, |done| bar.set_position(done)).await?;
    bar.finish();
    drop(store);
    let live = data.read_models();
    let old = data.root.join("readmodels.old");
    if live.exists() {
        std::fs::rename(&live, &old)
            .context("moving the old read models aside (is the server running?)")?;
    }
    std::fs::rename(&fresh, &live).context("moving the rebuilt read models in place")?;
    if old.exists() {
        std::fs::remove_dir_all(&old).context("removing the old read models")?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rebuilt {applied} events in {secs:.2} s: {:.0} events/s",
        applied as f64 / secs.max(1e-9)
    );
    Ok(())
}
