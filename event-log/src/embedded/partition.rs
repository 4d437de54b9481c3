//! One partition as readers see it: the durable part of its file and the
//! in-memory index (offset -> byte position) the writer extends after each
//! journal sync. Readers never see a record before it is durable.

use super::frame::decode;
use crate::error::LogError;
use crate::record::StoredRecord;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::RwLock;

/// Bytes one read pulls in at most (a larger single record is still read).
const READ_BYTES: u64 = 1 << 20;

pub struct Partition {
    pub id: u32,
    /// A read handle shared by every reader (positioned reads need no seek).
    file: File,
    durable: RwLock<Durable>,
}

/// The synced prefix of the file.
struct Durable {
    /// Byte position of every durable record (index = offset).
    positions: Vec<u64>,
    /// Byte length of the durable prefix.
    len: u64,
}

impl Partition {
    pub fn new(id: u32, file: File, positions: Vec<u64>, len: u64) -> Self {
        Partition {
            id,
            file,
            durable: RwLock::new(Durable { positions, len }),
        }
    }

    /// Number of durable records (the next offset).
    pub fn end(&self) -> u64 {
        self.durable
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .positions
            .len() as u64
    }

    /// Makes records written (and synced) at `positions` visible, the file's
    /// durable prefix now being `len` bytes; returns the first one's offset.
    /// The writer wakes waiting readers once per group, after every partition.
    pub fn publish(&self, positions: &[u64], len: u64) -> u64 {
        let mut durable = self.durable.write().unwrap_or_else(|e| e.into_inner());
        let first = durable.positions.len() as u64;
        durable.positions.extend_from_slice(positions);
        durable.len = len;
        first
    }

    /// Up to `max` durable records from offset `from`, with one positioned
    /// read of the contiguous bytes (bounded by [`READ_BYTES`]). Blocking.
    pub fn read(&self, from: u64, max: usize) -> Result<Vec<StoredRecord>, LogError> {
        let (start, end, count) = {
            let durable = self.durable.read().unwrap_or_else(|e| e.into_inner());
            let positions = &durable.positions;
            let Ok(first) = usize::try_from(from) else {
                return Ok(Vec::new());
            };
            if first >= positions.len() || max == 0 {
                return Ok(Vec::new());
            }
            let limit = first.saturating_add(max).min(positions.len());
            let start = positions[first];
            let mut stop = first + 1;
            while stop < limit && positions[stop] - start < READ_BYTES {
                stop += 1;
            }
            let end = positions.get(stop).copied().unwrap_or(durable.len);
            (start, end, stop - first)
        };
        let corrupt = |offset: u64| {
            LogError::Corrupt(format!(
                "partition {} offset {offset}: the record does not decode",
                self.id
            ))
        };
        let len = usize::try_from(end - start).map_err(|_| corrupt(from))?;
        let mut buf = vec![0u8; len];
        self.file.read_exact_at(&mut buf, start)?;
        let mut out = Vec::with_capacity(count);
        let mut rest = buf.as_slice();
        for offset in from..from + count as u64 {
            let (record, after) = decode(self.id, offset, rest).ok_or_else(|| corrupt(offset))?;
            out.push(record);
            rest = after;
        }
        if !rest.is_empty() {
            return Err(corrupt(from + count as u64 - 1));
        }
        Ok(out)
    }
}
