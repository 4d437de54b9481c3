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
    if let Some(n) = read_setting(dir, META, "partitions")? {
        return u32::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| unreadable(dir, META));
    }
    if wanted == 0 {
        return Err(LogError::Invalid(
            "a log needs at least one partition".into(),
        ));
    }
    write_setting(dir, META, "partitions", u64::from(wanted))?;
    Ok(wanted)
}

/// The number a one-line `name=N` file holds; `None` if there is no file.
pub fn read_setting(dir: &Path, file: &str, name: &str) -> Result<Option<u64>, LogError> {
    match std::fs::read_to_string(dir.join(file)) {
        Ok(text) => text
            .trim()
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .map(Some)
            .ok_or_else(|| unreadable(dir, file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn unreadable(dir: &Path, file: &str) -> LogError {
    LogError::Corrupt(format!("unreadable {}", dir.join(file).display()))
}

/// Replaces `file` with `name=N`, durably: written, synced, renamed into
/// place and the directory synced, so it is either the old or the new one.
pub fn write_setting(dir: &Path, file: &str, name: &str, value: u64) -> std::io::Result<()> {
    let tmp = dir.join(format!("{file}.tmp"));
    std::fs::write(&tmp, format!("{name}={value}\n"))?;
    File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, dir.join(file))?;
    File::open(dir)?.sync_all()
}

/// Opens `path` for reading and writing, creating it if missing.
pub fn open_rw(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
}

/// Makes the directory's entries (new files, renames) durable.
pub fn sync(dir: &Path) -> Result<(), LogError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}
