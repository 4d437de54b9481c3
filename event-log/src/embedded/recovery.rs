//! Recovery on open: every record of a partition file is checked (magic,
//! bounds, CRC) to rebuild the offset index, and a torn or corrupt tail is cut.
//!
//! A crash can only damage the tail: records are appended, and a group is
//! acknowledged only after it is synced, so bytes after the last valid record
//! belong to a write nobody was told succeeded. Scanning stops at the first
//! damaged record and everything from there is dropped.

use super::frame::{parse_header, HEADER};
use crate::error::LogError;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// What a partition file holds once recovered.
pub struct Recovered {
    /// Byte position of every valid record (index = offset).
    pub positions: Vec<u64>,
    /// Byte length of the valid prefix: where the next record goes.
    pub len: u64,
}

/// Scans `file`, cuts anything after the valid prefix (durably) and logs a
/// warning saying how much was dropped.
pub fn recover(partition: u32, file: &File) -> Result<Recovered, LogError> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    let recovered = scan(reader)?;
    let size = file.metadata()?.len();
    if size > recovered.len {
        tracing::warn!(
            partition,
            kept_records = recovered.positions.len(),
            dropped_bytes = size - recovered.len,
            "cutting a torn or corrupt tail off the log"
        );
        file.set_len(recovered.len)?;
        file.sync_all()?;
    }
    Ok(recovered)
}

/// The valid prefix of a partition file read from its start.
pub fn scan(file: impl Read) -> io::Result<Recovered> {
    let mut positions = Vec::new();
    let mut len = 0u64;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut header = [0u8; HEADER];
    let mut body = Vec::new();
    loop {
        if !read_full(&mut reader, &mut header)? {
            break;
        }
        let Some((body_len, crc)) = parse_header(&header) else {
            break;
        };
        body.resize(body_len, 0);
        if !read_full(&mut reader, &mut body)? || crc32fast::hash(&body) != crc {
            break;
        }
        positions.push(len);
        len += (HEADER + body_len) as u64;
    }
    Ok(Recovered { positions, len })
}

/// Reads exactly `buf.len()` bytes; false at a clean or torn end of file.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::frame::encode;
    use crate::record::Record;

    fn framed(n: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        for i in 0..n {
            encode(
                &Record {
                    key: format!("k{i}"),
                    headers: vec![],
                    payload: vec![i as u8; 10 + i],
                },
                &mut buf,
            );
        }
        buf
    }

    #[test]
    fn indexes_every_record_of_an_intact_file() {
        let buf = framed(3);
        let r = scan(&buf[..]).unwrap();
        // 12 header + 4+2 key + 2 header count + 4+10(+i) payload.
        assert_eq!(r.positions, vec![0, 34, 69]);
        assert_eq!(r.len, buf.len() as u64);
    }

    #[test]
    fn stops_at_a_torn_record_zeroes_or_garbage() {
        let buf = framed(3);
        let good = scan(&framed(2)[..]).unwrap();
        for tail in [
            buf[..buf.len() - 1].to_vec(),
            [framed(2), vec![0; 40]].concat(),
            [framed(2), b"garbage garbage garbage".to_vec()].concat(),
        ] {
            let r = scan(&tail[..]).unwrap();
            assert_eq!(r.positions, good.positions);
            assert_eq!(r.len, good.len);
        }
    }

    #[test]
    fn an_empty_file_is_an_empty_log() {
        let r = scan(&[][..]).unwrap();
        assert!(r.positions.is_empty());
        assert_eq!(r.len, 0);
    }
}
