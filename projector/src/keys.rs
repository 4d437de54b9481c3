//! The read-model key layout. One RocksDB keyspace; a one-letter kind, then
//! ids separated by NUL (ids never contain control characters), so a
//! member's lots and history are contiguous ranges.

use ledger_core::Time;

/// Between the parts of a key (below every character an id may hold).
pub const SEP: u8 = 0;

fn key(kind: u8, parts: &[&str]) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + parts.iter().map(|p| p.len() + 1).sum::<usize>());
    k.push(kind);
    for p in parts {
        k.push(SEP);
        k.extend_from_slice(p.as_bytes());
    }
    k
}

/// The first key after every key that starts with `prefix` (`None`: no
/// such key, the prefix being all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// `a` + partition (u32 BE) -> next offset to consume (u64 BE).
pub fn applied(partition: u32) -> Vec<u8> {
    let mut k = vec![b'a', SEP];
    k.extend_from_slice(&partition.to_be_bytes());
    k
}

pub fn applied_prefix() -> Vec<u8> {
    vec![b'a', SEP]
}

/// Program view.
pub fn program(program: &str) -> Vec<u8> {
    key(b'g', &[program])
}

/// A group of an account's events begun on the log but not yet whole.
pub fn open_group(program: &str, account: &str) -> Vec<u8> {
    key(b'o', &[program, account])
}

/// Member view.
pub fn member(program: &str, member: &str) -> Vec<u8> {
    key(b'm', &[program, member])
}

/// All member views of a program (prefix).
pub fn members_of(program: &str) -> Vec<u8> {
    let mut k = key(b'm', &[program]);
    k.push(SEP);
    k
}

/// One open lot.
pub fn lot(program: &str, member: &str, currency: &str, lot_id: &str) -> Vec<u8> {
    let mut k = lots_of(program, member);
    k.extend_from_slice(&lot_place(currency, lot_id));
    k
}

/// A lot's key after its member's prefix: its place among the member's lots.
pub fn lot_place(currency: &str, lot_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(currency.len() + 1 + lot_id.len());
    k.extend_from_slice(currency.as_bytes());
    k.push(SEP);
    k.extend_from_slice(lot_id.as_bytes());
    k
}

/// All open lots of a member (prefix).
pub fn lots_of(program: &str, member: &str) -> Vec<u8> {
    let mut k = key(b'l', &[program, member]);
    k.push(SEP);
    k
}

/// A member's points due on one date in one currency, in date order.
pub fn expiring(program: &str, member: &str, at: Time, currency: &str) -> Vec<u8> {
    let mut k = expiring_of(program, member);
    k.extend_from_slice(&ordered(at.timestamp_micros()));
    k.extend_from_slice(currency.as_bytes());
    k
}

/// A member's points by expiry date (prefix).
pub fn expiring_of(program: &str, member: &str) -> Vec<u8> {
    let mut k = key(b'x', &[program, member]);
    k.push(SEP);
    k
}

/// A signed number as bytes that sort as the numbers do.
fn ordered(n: i64) -> [u8; 8] {
    ((n as u64) ^ (1 << 63)).to_be_bytes()
}

/// One ledger history entry, ordered by account sequence.
pub fn history(program: &str, member: &str, sequence: u64) -> Vec<u8> {
    let mut k = history_of(program, member);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// A member's history (prefix).
pub fn history_of(program: &str, member: &str) -> Vec<u8> {
    let mut k = key(b'h', &[program, member]);
    k.push(SEP);
    k
}

/// Partner figures in one currency; partner "" is the program itself.
pub fn partner(program: &str, partner: &str, currency: &str) -> Vec<u8> {
    key(b'p', &[program, partner, currency])
}

/// All currencies of a partner (prefix).
pub fn partner_of(program: &str, partner: &str) -> Vec<u8> {
    let mut k = key(b'p', &[program, partner]);
    k.push(SEP);
    k
}

/// Every partner's figures of a program (prefix).
pub fn partners_of(program: &str) -> Vec<u8> {
    let mut k = key(b'p', &[program]);
    k.push(SEP);
    k
}

/// Program statistics.
pub fn stats(program: &str) -> Vec<u8> {
    key(b's', &[program])
}

/// The stored event (its log payload) behind one history entry, in stores
/// written before history entries held it (see `crate::history`).
pub fn payload(program: &str, member: &str, sequence: u64) -> Vec<u8> {
    let mut k = payloads_of(program, member);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// The stored event behind the history entry at `history_key` (the same
/// parts under the other kind).
pub fn payload_of_entry(history_key: &[u8]) -> Vec<u8> {
    let mut k = history_key.to_vec();
    if let Some(kind) = k.first_mut() {
        *kind = b'e';
    }
    k
}

/// A member's stored events (prefix).
pub fn payloads_of(program: &str, member: &str) -> Vec<u8> {
    let mut k = key(b'e', &[program, member]);
    k.push(SEP);
    k
}

/// A member's view and open lots after event `sequence`.
pub fn snapshot(program: &str, member: &str, sequence: u64) -> Vec<u8> {
    let mut k = snapshots_of(program, member);
    k.extend_from_slice(&sequence.to_be_bytes());
    k
}

/// A member's snapshots (prefix).
pub fn snapshots_of(program: &str, member: &str) -> Vec<u8> {
    let mut k = key(b'v', &[program, member]);
    k.push(SEP);
    k
}

/// The tally of a program's events in one time bucket (`crate::tally`):
/// level, then the bucket's start in microseconds, ordered as numbers.
pub fn tally(program: &str, level: usize, start: i64) -> Vec<u8> {
    let mut k = tallies_of(program, level);
    k.extend_from_slice(&ordered(start));
    k
}

/// A program's tally buckets of one level (prefix).
pub fn tallies_of(program: &str, level: usize) -> Vec<u8> {
    let mut k = key(b't', &[program]);
    k.push(SEP);
    k.push(level as u8);
    k
}
