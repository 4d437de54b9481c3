//! Typed reads of the read models, for the query service.

use crate::keys;
use crate::store::{Store, StoreError};
use crate::views::*;

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
    rows.into_iter()
        .map(|(k, v)| {
            serde_json::from_slice(&v).map_err(|source| StoreError::Json {
                key: String::from_utf8_lossy(&k).into_owned(),
                source,
            })
        })
        .collect()
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
    rows.into_iter()
        .map(|(k, v)| {
            serde_json::from_slice(&v).map_err(|source| StoreError::Json {
                key: String::from_utf8_lossy(&k).into_owned(),
                source,
            })
        })
        .collect()
}

/// A partner's figures per currency.
pub fn partner(
    store: &Store,
    program: &str,
    partner: &str,
) -> Result<Vec<(String, PartnerFigures)>, StoreError> {
    let prefix = keys::partner_of(program, partner);
    let rows = store.scan(&prefix, None, usize::MAX)?;
    rows.into_iter()
        .map(|(k, v)| {
            let currency = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            let figures = serde_json::from_slice(&v).map_err(|source| StoreError::Json {
                key: String::from_utf8_lossy(&k).into_owned(),
                source,
            })?;
            Ok((currency, figures))
        })
        .collect()
}

pub fn stats(store: &Store, program: &str) -> Result<Option<ProgramStats>, StoreError> {
    store.get_json(&keys::stats(program))
}
