//! Typed reads of the read models, for the query service.

use crate::keys;
use crate::store::{Entry, Store, StoreError};
use crate::views::*;
use serde::de::DeserializeOwned;

/// Decodes one stored document, naming its key on failure.
fn decode<T: DeserializeOwned>((key, value): &Entry) -> Result<T, StoreError> {
    serde_json::from_slice(value).map_err(|source| StoreError::Json {
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
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

/// All open lots of a member, by currency then lot id.
pub fn lots(store: &Store, program: &str, member: &str) -> Result<Vec<LotView>, StoreError> {
    let rows = store.scan(&keys::lots_of(program, member), None, usize::MAX)?;
    rows.iter().map(decode).collect()
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
    rows.iter().map(decode).collect()
}

/// A partner's figures per currency.
pub fn partner(
    store: &Store,
    program: &str,
    partner: &str,
) -> Result<Vec<(String, PartnerFigures)>, StoreError> {
    let prefix = keys::partner_of(program, partner);
    let rows = store.scan(&prefix, None, usize::MAX)?;
    rows.iter()
        .map(|row| {
            let currency = String::from_utf8_lossy(&row.0[prefix.len()..]).into_owned();
            Ok((currency, decode(row)?))
        })
        .collect()
}

pub fn stats(store: &Store, program: &str) -> Result<Option<ProgramStats>, StoreError> {
    store.get_json(&keys::stats(program))
}
