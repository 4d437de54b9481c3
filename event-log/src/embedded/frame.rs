//! The on-disk framing of one record (see the crate docs) and the scan that
//! validates a partition file on open.

use crate::record::{Record, StoredRecord};
use std::io::{self, Read};

pub const MAGIC: u32 = 0x4C59_4C31; // "LYL1"
pub const HEADER: usize = 12;
/// Largest record body accepted (a sanity bound for recovery too).
pub const MAX_BODY: usize = 64 << 20;

/// Appends the framed record to `out`.
pub fn encode(record: &Record, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    put_bytes32(out, record.key.as_bytes());
    out.extend_from_slice(&(record.headers.len() as u16).to_le_bytes());
    for (name, value) in &record.headers {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        put_bytes32(out, value);
    }
    put_bytes32(out, &record.payload);
    let body_len = (out.len() - start - HEADER) as u32;
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&MAGIC.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&body_len.to_le_bytes());
    out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
}

fn put_bytes32(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Size of a record once framed.
pub fn framed_len(record: &Record) -> usize {
    HEADER
        + 4
        + record.key.len()
        + 2
        + record
            .headers
            .iter()
            .map(|(n, v)| 2 + n.len() + 4 + v.len())
            .sum::<usize>()
        + 4
        + record.payload.len()
}

/// Parses a header: (body length, crc) if the magic is right.
pub fn parse_header(h: &[u8; HEADER]) -> Option<(usize, u32)> {
    let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let crc = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    (magic == MAGIC && len <= MAX_BODY).then_some((len, crc))
}

/// Decodes a CRC-checked body.
pub fn decode_body(partition: u32, offset: u64, body: &[u8]) -> Option<StoredRecord> {
    let mut cur = body;
    let key = String::from_utf8(take32(&mut cur)?.to_vec()).ok()?;
    let count = u16::from_le_bytes(take(&mut cur, 2)?.try_into().ok()?);
    let mut headers = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let n = u16::from_le_bytes(take(&mut cur, 2)?.try_into().ok()?) as usize;
        let name = String::from_utf8(take(&mut cur, n)?.to_vec()).ok()?;
        headers.push((name, take32(&mut cur)?.to_vec()));
    }
    let payload = take32(&mut cur)?.to_vec();
    Some(StoredRecord {
        partition,
        offset,
        key,
        headers,
        payload,
    })
}

fn take<'a>(cur: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if cur.len() < n {
        return None;
    }
    let (head, rest) = cur.split_at(n);
    *cur = rest;
    Some(head)
}

fn take32<'a>(cur: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = u32::from_le_bytes(take(cur, 4)?.try_into().ok()?) as usize;
    take(cur, n)
}

/// Scans a partition file: byte position of every valid record, and where
/// the valid prefix ends (anything after is a torn or corrupt tail).
pub fn scan(mut file: impl Read) -> io::Result<(Vec<u64>, u64)> {
    let mut index = Vec::new();
    let mut pos = 0u64;
    let mut reader = io::BufReader::with_capacity(1 << 20, &mut file);
    let mut header = [0u8; HEADER];
    let mut body = Vec::new();
    loop {
        if !read_full(&mut reader, &mut header)? {
            break;
        }
        let Some((len, crc)) = parse_header(&header) else {
            break;
        };
        body.resize(len, 0);
        if !read_full(&mut reader, &mut body)? || crc32fast::hash(&body) != crc {
            break;
        }
        index.push(pos);
        pos += (HEADER + len) as u64;
    }
    Ok((index, pos))
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
