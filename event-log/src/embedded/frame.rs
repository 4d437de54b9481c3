//! The on-disk framing of one record.
//!
//! ```text
//! header (12 bytes):  magic u32 = "LYL1" | body length u32 | CRC32 of the body u32
//! body:               key len u32 | key (UTF-8)
//!                     header count u16
//!                     (name len u16 | name (UTF-8) | value len u32 | value)*
//!                     payload len u32 | payload
//! ```
//!
//! All integers little endian. The CRC covers the whole body, so a record is
//! either entirely as written or detected as damaged; the magic and the body
//! bound let recovery tell a record from zeroes or garbage.

use crate::error::LogError;
use crate::record::{Record, StoredRecord};

pub const MAGIC: u32 = 0x4C59_4C31; // "LYL1"
pub const HEADER: usize = 12;
/// Largest record body accepted (a sanity bound for recovery too).
pub const MAX_BODY: usize = 64 << 20;

/// Refuses a record the format cannot hold, before anything is written.
pub fn check(record: &Record) -> Result<(), LogError> {
    if record.headers.len() > usize::from(u16::MAX) {
        return Err(LogError::Invalid(format!(
            "{} headers, at most {} fit",
            record.headers.len(),
            u16::MAX
        )));
    }
    if let Some((name, _)) = record
        .headers
        .iter()
        .find(|(name, _)| name.len() > usize::from(u16::MAX))
    {
        return Err(LogError::Invalid(format!(
            "a header name of {} bytes, at most {} fit",
            name.len(),
            u16::MAX
        )));
    }
    let body = body_len(record);
    if body > MAX_BODY {
        return Err(LogError::TooLarge(body));
    }
    Ok(())
}

/// Appends the framed record to `out`. The record must have passed [`check`].
pub fn encode(record: &Record, out: &mut Vec<u8>) {
    let start = out.len();
    out.reserve(HEADER + body_len(record));
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

/// Size of a record once framed (header and body).
pub fn framed_len(record: &Record) -> usize {
    HEADER + body_len(record)
}

/// Size of a record's body once encoded.
fn body_len(record: &Record) -> usize {
    let headers: usize = record
        .headers
        .iter()
        .map(|(n, v)| 2 + n.len() + 4 + v.len())
        .sum();
    4 + record.key.len() + 2 + headers + 4 + record.payload.len()
}

/// Parses a header: (body length, crc) if the magic is right and the length
/// within bounds.
pub fn parse_header(h: &[u8; HEADER]) -> Option<(usize, u32)> {
    let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let crc = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    (magic == MAGIC && len <= MAX_BODY).then_some((len, crc))
}

/// Decodes the framed record at the start of `buf`, checking its CRC.
/// Returns it and the rest of `buf`; `None` if it is not a whole, intact record.
pub fn decode(partition: u32, offset: u64, buf: &[u8]) -> Option<(StoredRecord, &[u8])> {
    let header: &[u8; HEADER] = buf.get(..HEADER)?.try_into().ok()?;
    let (len, crc) = parse_header(header)?;
    let body = buf.get(HEADER..HEADER + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let record = decode_body(partition, offset, body)?;
    Some((record, &buf[HEADER + len..]))
}

/// Decodes a CRC-checked body; `None` if it does not parse exactly.
fn decode_body(partition: u32, offset: u64, body: &[u8]) -> Option<StoredRecord> {
    let mut cur = body;
    let key = String::from_utf8(take32(&mut cur)?.to_vec()).ok()?;
    let count = u16::from_le_bytes(take(&mut cur, 2)?.try_into().ok()?);
    let mut headers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let n = usize::from(u16::from_le_bytes(take(&mut cur, 2)?.try_into().ok()?));
        let name = String::from_utf8(take(&mut cur, n)?.to_vec()).ok()?;
        headers.push((name, take32(&mut cur)?.to_vec()));
    }
    let payload = take32(&mut cur)?.to_vec();
    cur.is_empty().then_some(StoredRecord {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            key: "acct-ü".into(),
            headers: vec![
                ("event-type".into(), b"Earned".to_vec()),
                ("".into(), vec![]),
            ],
            payload: vec![0, 1, 2, 255],
        }
    }

    #[test]
    fn round_trips_and_reports_the_rest() {
        let mut buf = Vec::new();
        encode(&record(), &mut buf);
        assert_eq!(buf.len(), HEADER + body_len(&record()));
        buf.extend_from_slice(b"next");
        let (got, rest) = decode(2, 7, &buf).expect("decodes");
        assert_eq!((got.partition, got.offset), (2, 7));
        assert_eq!(got.key, "acct-ü");
        assert_eq!(got.headers, record().headers);
        assert_eq!(got.payload, vec![0, 1, 2, 255]);
        assert_eq!(rest, b"next");
    }

    #[test]
    fn any_flipped_bit_or_missing_byte_is_detected() {
        let mut buf = Vec::new();
        encode(&record(), &mut buf);
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x10;
            assert!(decode(0, 0, &bad).is_none(), "flip at byte {i}");
            assert!(decode(0, 0, &buf[..i]).is_none(), "cut at byte {i}");
        }
    }

    #[test]
    fn refuses_records_the_format_cannot_hold() {
        let many = Record {
            headers: vec![("h".into(), vec![]); 70_000],
            ..record()
        };
        assert!(matches!(check(&many), Err(LogError::Invalid(_))));
        let long_name = Record {
            headers: vec![("n".repeat(70_000), vec![])],
            ..record()
        };
        assert!(matches!(check(&long_name), Err(LogError::Invalid(_))));
        let huge = Record {
            payload: vec![0; MAX_BODY],
            ..record()
        };
        assert!(matches!(check(&huge), Err(LogError::TooLarge(_))));
        assert!(check(&record()).is_ok());
    }
}
