//! The embedded log: partition files in a directory (format and fsync
//! policy in the crate docs).

mod frame;
mod partition;
mod reader;
mod writer;

use crate::error::LogError;
use crate::log::{EventLog, LogReader};
use crate::record::Record;
use async_trait::async_trait;
use partition::Partition;
use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::{oneshot, watch};

/// When an append counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// After `fdatasync` (group commit). Survives a machine crash.
    #[default]
    Sync,
    /// After `write` to the OS. Survives a process crash, not a machine crash.
    Buffered,
}

pub(crate) struct Shared {
    pub partitions: Vec<Arc<Partition>>,
    pub generation: watch::Sender<u64>,
}

pub struct EmbeddedLog {
    shared: Arc<Shared>,
    writers: Vec<Mutex<mpsc::Sender<writer::AppendRequest>>>,
    /// Held for the life of the log: one process per log directory.
    _lock: File,
}

const META: &str = "meta";

impl EmbeddedLog {
    /// Opens (or creates) a log in `dir`. A new log gets `partitions`
    /// partitions; an existing one keeps the count recorded in its `meta`.
    pub fn open(
        dir: &Path,
        partitions: u32,
        durability: Durability,
    ) -> Result<Arc<Self>, LogError> {
        std::fs::create_dir_all(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        if lock.try_lock().is_err() {
            return Err(LogError::Locked(dir.display().to_string()));
        }
        let partitions = partition_count(dir, partitions)?;
        let (generation, _) = watch::channel(0u64);
        let mut parts = Vec::new();
        let mut files = Vec::new();
        for id in 0..partitions {
            let path = dir.join(format!("partition-{id:05}.log"));
            let file = OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(&path)?;
            let (index, valid) = frame::scan(&file)?;
            let size = file.metadata()?.len();
            if size > valid {
                tracing::warn!(
                    partition = id,
                    dropped_bytes = size - valid,
                    "cutting a torn tail off the log"
                );
                file.set_len(valid)?;
                file.sync_all()?;
            }
            parts.push(Arc::new(Partition::new(
                id,
                path,
                index,
                generation.clone(),
            )));
            files.push((file, valid));
        }
        let writers = parts
            .iter()
            .zip(files)
            .map(|(p, (file, len))| writer::spawn(p.clone(), file, len, durability).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(EmbeddedLog {
            shared: Arc::new(Shared {
                partitions: parts,
                generation,
            }),
            writers,
            _lock: lock,
        }))
    }

    /// Opens an existing log with the partition count it was created with.
    pub fn open_existing(dir: &Path, durability: Durability) -> Result<Arc<Self>, LogError> {
        if !dir.join(META).exists() {
            return Err(LogError::Corrupt(format!("no log in {}", dir.display())));
        }
        Self::open(dir, 1, durability)
    }
}

/// The recorded partition count, or records `wanted` for a new log.
fn partition_count(dir: &Path, wanted: u32) -> Result<u32, LogError> {
    let meta = dir.join(META);
    if let Ok(text) = std::fs::read_to_string(&meta) {
        return text
            .trim()
            .strip_prefix("partitions=")
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| LogError::Corrupt(format!("unreadable {}", meta.display())));
    }
    if wanted == 0 {
        return Err(LogError::Corrupt(
            "a log needs at least one partition".into(),
        ));
    }
    let tmp = dir.join("meta.tmp");
    std::fs::write(&tmp, format!("partitions={wanted}\n"))?;
    File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &meta)?;
    File::open(dir)?.sync_all()?;
    Ok(wanted)
}

#[async_trait]
impl EventLog for EmbeddedLog {
    fn partitions(&self) -> u32 {
        self.shared.partitions.len() as u32
    }

    async fn append(&self, partition: u32, records: Vec<Record>) -> Result<Vec<u64>, LogError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(r) = records
            .iter()
            .find(|r| frame::framed_len(r) > frame::MAX_BODY)
        {
            return Err(LogError::TooLarge(frame::framed_len(r)));
        }
        let writer = self
            .writers
            .get(partition as usize)
            .ok_or(LogError::NoSuchPartition(partition))?;
        let (reply, answer) = oneshot::channel();
        writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(writer::AppendRequest { records, reply })
            .map_err(|_| LogError::Closed)?;
        answer.await.map_err(|_| LogError::Closed)?
    }

    async fn end_offsets(&self) -> Result<Vec<u64>, LogError> {
        Ok(self.shared.partitions.iter().map(|p| p.end()).collect())
    }

    async fn reader(&self, start: Vec<u64>) -> Result<Box<dyn LogReader>, LogError> {
        Ok(Box::new(reader::EmbeddedReader::new(
            self.shared.clone(),
            start,
        )))
    }
}
