//! Replaying the journal into the partition files on open.
//!
//! The partition files are synced only when the journal turns, so after a
//! crash a partition file may lack, or hold only part of, what the journal's
//! current lap acknowledged; it may also hold bytes written just before a
//! crash whose entry never became durable. For each partition, the lap's
//! chunks cover one contiguous stretch of its file (every write since the
//! lap began goes through the journal), so the file is made to hold exactly
//! that stretch: every chunk is written again (even one that reads back
//! equal: after a failed writeback the page cache may hold bytes that are
//! not on disk, and only a new write makes them dirty again), and whatever
//! follows the stretch (written, never acknowledged) is cut. A partition
//! the lap never touched keeps whatever whole records follow its synced
//! part: written, never acknowledged, as before the journal.

use super::journal::Chunk;
use crate::error::LogError;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// What replaying one partition changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Bytes the file did not hold as the journal does (all are written).
    pub restored: u64,
    /// Bytes cut after the journal's stretch.
    pub cut: u64,
}

/// Makes `file` (partition `partition`) hold the lap's `chunks` of it, in order.
pub fn replay(partition: u32, file: &File, chunks: &[&Chunk<'_>]) -> Result<Replayed, LogError> {
    let (Some(first), Some(last)) = (chunks.first(), chunks.last()) else {
        return Ok(Replayed::default());
    };
    let start = first.position;
    let end = last.position + last.bytes.len() as u64;
    let mut next = start;
    for chunk in chunks {
        if chunk.position != next {
            return Err(LogError::Corrupt(format!(
                "partition {partition}: the journal continues it at byte {} after byte {next}",
                chunk.position
            )));
        }
        next += chunk.bytes.len() as u64;
    }
    let size = file.metadata()?.len();
    if size < start {
        return Err(LogError::Corrupt(format!(
            "partition {partition}: the file ends at byte {size}, before the journal's \
             stretch of it starting at byte {start}"
        )));
    }
    let mut on_disk = vec![0u8; (size.min(end) - start) as usize];
    file.read_exact_at(&mut on_disk, start)?;
    let mut done = Replayed::default();
    for chunk in chunks {
        let at = (chunk.position - start) as usize;
        if on_disk.get(at..at + chunk.bytes.len()) != Some(chunk.bytes) {
            done.restored += chunk.bytes.len() as u64;
        }
        file.write_all_at(chunk.bytes, chunk.position)?;
    }
    if size > end {
        file.set_len(end)?;
        done.cut = size - end;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        std::fs::write(&path, bytes).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        (dir, file)
    }

    fn contents(file: &File) -> Vec<u8> {
        let mut buf = vec![0; file.metadata().unwrap().len() as usize];
        file.read_exact_at(&mut buf, 0).unwrap();
        buf
    }

    fn chunk(position: u64, bytes: &'static [u8]) -> Chunk<'static> {
        Chunk {
            partition: 0,
            position,
            bytes,
        }
    }

    #[test]
    fn restores_lost_or_damaged_chunks_and_cuts_what_follows_them() {
        let chunks = [chunk(3, b"def"), chunk(6, b"ghi")];
        let refs: Vec<&Chunk> = chunks.iter().collect();
        for (before, restored, cut) in [
            (&b"abcdefghi"[..], 0, 0),
            (b"abc", 6, 0),
            (b"abcdef", 3, 0),
            (b"abcdefg", 3, 0),
            (b"abcdXfghi", 3, 0),
            (b"abcdefghijkl", 0, 3),
            (b"abc\0\0\0\0\0\0\0\0\0", 6, 3),
        ] {
            let (_dir, file) = file_with(before);
            let done = replay(0, &file, &refs).unwrap();
            assert_eq!(done, Replayed { restored, cut }, "{before:?}");
            assert_eq!(contents(&file), b"abcdefghi", "{before:?}");
        }
    }

    #[test]
    fn a_gap_in_the_file_or_in_the_journal_is_corruption() {
        let (_dir, file) = file_with(b"ab");
        let chunks = [chunk(3, b"def")];
        let refs: Vec<&Chunk> = chunks.iter().collect();
        assert!(matches!(replay(0, &file, &refs), Err(LogError::Corrupt(_))));
        let (_dir, file) = file_with(b"abc");
        let chunks = [chunk(3, b"def"), chunk(7, b"h")];
        let refs: Vec<&Chunk> = chunks.iter().collect();
        assert!(matches!(replay(0, &file, &refs), Err(LogError::Corrupt(_))));
        assert_eq!(contents(&file), b"abc", "nothing written on a refusal");
        assert_eq!(replay(0, &file, &[]).unwrap(), Replayed::default());
    }
}
