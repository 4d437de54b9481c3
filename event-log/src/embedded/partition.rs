//! One partition's file and its in-memory index (offset -> byte position).

use super::frame::{decode_body, parse_header, HEADER};
use crate::error::LogError;
use crate::record::StoredRecord;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::RwLock;
use tokio::sync::watch;

pub struct Partition {
    pub id: u32,
    pub path: PathBuf,
    /// Byte position of every durable record.
    index: RwLock<Vec<u64>>,
    /// Bumped after every commit of any partition, to wake readers.
    generation: watch::Sender<u64>,
}

impl Partition {
    pub fn new(id: u32, path: PathBuf, index: Vec<u64>, generation: watch::Sender<u64>) -> Self {
        Partition {
            id,
            path,
            index: RwLock::new(index),
            generation,
        }
    }

    /// Number of durable records (the next offset).
    pub fn end(&self) -> u64 {
        self.index.read().unwrap_or_else(|e| e.into_inner()).len() as u64
    }

    /// Makes newly written records visible; returns the first one's offset.
    pub fn publish(&self, positions: &[u64]) -> u64 {
        let first = {
            let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
            let first = index.len() as u64;
            index.extend_from_slice(positions);
            first
        };
        self.generation.send_modify(|g| *g += 1);
        first
    }

    /// Reads up to `max` records from `from`, only durable ones.
    pub fn read(&self, file: &File, from: u64, max: usize) -> Result<Vec<StoredRecord>, LogError> {
        let positions: Vec<u64> = {
            let index = self.index.read().unwrap_or_else(|e| e.into_inner());
            let start = (from as usize).min(index.len());
            let end = start.saturating_add(max).min(index.len());
            index[start..end].to_vec()
        };
        let mut out = Vec::with_capacity(positions.len());
        for (i, pos) in positions.into_iter().enumerate() {
            let offset = from + i as u64;
            let mut header = [0u8; HEADER];
            file.read_exact_at(&mut header, pos)?;
            let corrupt = || LogError::Corrupt(format!("partition {} offset {offset}", self.id));
            let (len, crc) = parse_header(&header).ok_or_else(corrupt)?;
            let mut body = vec![0u8; len];
            file.read_exact_at(&mut body, pos + HEADER as u64)?;
            if crc32fast::hash(&body) != crc {
                return Err(corrupt());
            }
            out.push(decode_body(self.id, offset, &body).ok_or_else(corrupt)?);
        }
        Ok(out)
    }
}
