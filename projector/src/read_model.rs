//! Typed reads of the read models, for the query service.

use crate::history;
use crate::keys;
use crate::store::{from_json, Entry, Store, StoreError};
use crate::views::*;
use ledger_core::codec::{from_envelope, meta_of, EnvelopeMeta};
use ledger_core::Event;
use loyalty_proto::{EventEnvelope, Message};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Partner figures by partner, then currency.
pub type PartnerBook = BTreeMap<String, BTreeMap<String, PartnerFigures>>;

/// Decodes one stored document, naming its key on failure.
pub(crate) fn decode<T: DeserializeOwned>((key, value): &Entry) -> Result<T, StoreError> {
    from_json(key, value)
}

pub fn program(store: &Store, program: &str) -> Result<Option<ProgramView>, StoreError> {
    store.get_json(&keys::program(program))
}

pub fn member(
    store: &Store,
    program: &str,
    member: &str,
) -> Result<Option<MemberView>, StoreError> {
    store.get_json(&keys::member(program, member))
}

/// Ids of every member of a program, in order.
pub fn member_ids(store: &Store, program: &str) -> Result<Vec<String>, StoreError> {
    let prefix = keys::members_of(program);
    let mut ids = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let rows = store.scan(&prefix, after.as_deref(), 10_000)?;
        let Some(last) = rows.last() else {
            return Ok(ids);
        };
        after = Some(last.0.clone());
        ids.extend(
            rows.iter()
                .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).into_owned()),
        );
    }
}

/// All open lots of a member, by currency then lot id.
pub fn lots(store: &Store, program: &str, member: &str) -> Result<Vec<LotView>, StoreError> {
    let rows = store.scan(&keys::lots_of(program, member), None, usize::MAX)?;
    rows.iter().map(decode).collect()
}

/// Up to `limit` of a member's open lots in key order, after the lot at
/// `after` (see [`keys::lot_place`]).
pub fn lots_page(
    store: &Store,
    program: &str,
    member: &str,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<LotView>, StoreError> {
    let prefix = keys::lots_of(program, member);
    let from = after.map(|place| [prefix.as_slice(), place].concat());
    let rows = store.scan(&prefix, from.as_deref(), limit)?;
    rows.iter().map(decode).collect()
}

/// A member's points due on its next `dates` expiry dates, soonest first.
pub fn expiring(
    store: &Store,
    program: &str,
    member: &str,
    dates: usize,
) -> Result<Vec<ExpiringPoints>, StoreError> {
    let prefix = keys::expiring_of(program, member);
    let mut out: Vec<ExpiringPoints> = Vec::new();
    let mut seen = 0;
    store.walk(&prefix, None, |key, value| {
        let due: ExpiringPoints = from_json(key, value)?;
        if out.last().is_none_or(|l| l.expires_at != due.expires_at) {
            if seen == dates {
                return Ok(false);
            }
            seen += 1;
        }
        out.push(due);
        Ok(true)
    })?;
    Ok(out)
}

/// How many of the member's first `applied` history entries satisfy
/// `holds`, a test that only ever turns from yes to no along the history
/// (one on the account clock, which never goes back): a binary search.
pub fn ledger_prefix(
    store: &Store,
    program: &str,
    member: &str,
    applied: u64,
    holds: impl Fn(&LedgerEntry) -> bool,
) -> Result<u64, StoreError> {
    let (mut yes, mut no) = (0u64, applied + 1);
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        match ledger_entry(store, program, member, mid)? {
            Some(e) if holds(&e) => yes = mid,
            _ => no = mid,
        }
    }
    Ok(yes)
}

/// One history entry of a member, by its sequence.
pub fn ledger_entry(
    store: &Store,
    program: &str,
    member: &str,
    sequence: u64,
) -> Result<Option<LedgerEntry>, StoreError> {
    let key = keys::history(program, member, sequence);
    history::read(store, &key)?
        .map(|stored| stored.entry(&key))
        .transpose()
}

/// A page of a member's ledger, oldest first, after sequence `after`.
pub fn ledger(
    store: &Store,
    program: &str,
    member: &str,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let after_key = after.map(|s| keys::history(program, member, s));
    let rows = store.scan(
        &keys::history_of(program, member),
        after_key.as_deref(),
        limit,
    )?;
    rows.iter()
        .map(|(key, value)| history::decode(store, key, value)?.entry(key))
        .collect()
}

/// A member's stored event (as the log holds it), decoded.
pub fn stored_event(
    store: &Store,
    program: &str,
    member: &str,
    sequence: u64,
) -> Result<Option<(EnvelopeMeta, Event)>, StoreError> {
    let key = keys::history(program, member, sequence);
    let Some(stored) = history::read(store, &key)?.filter(|s| !s.payload().is_empty()) else {
        return Ok(None);
    };
    let undecodable = |message: String| {
        StoreError::Inconsistent(format!(
            "stored event {sequence} of {program}/{member}: {message}"
        ))
    };
    let env = EventEnvelope::decode(stored.payload()).map_err(|e| undecodable(e.to_string()))?;
    let meta = meta_of(&env).map_err(|e| undecodable(e.to_string()))?;
    let event = from_envelope(&env).map_err(|e| undecodable(e.to_string()))?;
    Ok(Some((meta, event)))
}

/// Figures of every partner ("" is the program itself) by currency.
pub fn partners(store: &Store, program: &str) -> Result<PartnerBook, StoreError> {
    let prefix = keys::partners_of(program);
    let mut book = PartnerBook::new();
    for row in store.scan(&prefix, None, usize::MAX)? {
        let rest = String::from_utf8_lossy(&row.0[prefix.len()..]).into_owned();
        let (partner, currency) = rest.split_once('\0').unwrap_or((rest.as_str(), ""));
        book.entry(partner.to_string())
            .or_default()
            .insert(currency.to_string(), decode(&row)?);
    }
    Ok(book)
}

pub fn stats(store: &Store, program: &str) -> Result<Option<ProgramStats>, StoreError> {
    store.get_json(&keys::stats(program))
}
