//! Wiring of the embedded default: one data directory holding the event log
//! (`log/`) and the read models (`readmodels/`).

use anyhow::Context;
use event_log::{Durability, EmbeddedLog, EventLog};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: &Path) -> Self {
        DataDir {
            root: root.to_path_buf(),
        }
    }

    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    pub fn read_models(&self) -> PathBuf {
        self.root.join("readmodels")
    }

    pub fn open_log(&self, partitions: u32) -> anyhow::Result<Arc<dyn EventLog>> {
        std::fs::create_dir_all(self.log())
            .with_context(|| format!("creating {}", self.log().display()))?;
        let log = EmbeddedLog::open(&self.log(), partitions, Durability::Sync)
            .with_context(|| format!("opening the event log in {}", self.log().display()))?;
        Ok(log)
    }
}

impl DataDir {
    /// Opens the existing log with the partition count it was created with.
    pub fn open_existing_log(&self) -> anyhow::Result<Arc<dyn EventLog>> {
        let log = EmbeddedLog::open_existing(&self.log(), Durability::Sync).with_context(|| {
            format!(
                "opening the event log in {} (is the server running?)",
                self.log().display()
            )
        })?;
        Ok(log)
    }
}
