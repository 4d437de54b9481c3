//! The log directory: its `LOCK` (one process per log), its `meta` file (the
//! partition count, fixed at creation) and the partition file names.

use crate::error::LogError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

const META: &str = "meta";

/// The file of one partition.
pub fn partition_path(dir: &Path, partition: u32) -> PathBuf {
    dir.join(format!("partition-{partition:05}.log"))
}

/// Takes the directory's lock; held as long as the returned file is open.
/// Two writers on one log would interleave their appends.
pub fn lock(dir: &Path) -> Result<File, LogError> {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("LOCK"))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(TryLockError::WouldBlock) => Err(LogError::Locked(dir.display().to_string())),
        Err(TryLockError::Error(e)) => Err(e.into()),
    }
}

/// Whether `dir` holds a log.
pub fn exists(dir: &Path) -> bool {
    dir.join(META).exists()
}

/// The recorded partition count of an existing log; for a new one, records
/// `wanted` (durably, before any partition file exists).
pub fn partition_count(dir: &Path, wanted: u32) -> Result<u32, LogError> {
    let meta = dir.join(META);
    match std::fs::read_to_string(&meta) {
        Ok(text) => {
            return text
                .trim()
                .strip_prefix("partitions=")
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| LogError::Corrupt(format!("unreadable {}", meta.display())));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    if wanted == 0 {
        return Err(LogError::Invalid(
            "a log needs at least one partition".into(),
        ));
    }
    let tmp = dir.join("meta.tmp");
    std::fs::write(&tmp, format!("partitions={wanted}\n"))?;
    File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &meta)?;
    sync(dir)?;
    Ok(wanted)
}

/// Makes the directory's entries (new files, renames) durable.
pub fn sync(dir: &Path) -> Result<(), LogError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}
