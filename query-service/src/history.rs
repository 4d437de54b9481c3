//! A member's ledger for auditors: filters (event type, currency, partner,
//! business-time range), a stable cursor (the account sequence: history is
//! append-only, so a page once served never changes), and for every entry
//! the why: the journal that caused it, the rules and promotions that
//! contributed, the lots it opened and debited.

use crate::error::QueryError;
use crate::point::{parse_start, parse_time};
use ledger_core::codec::EnvelopeMeta;
use ledger_core::{trail, Event, EventBody, Time};
use projector::read_model;
use projector::views::LedgerEntry;
use projector::Store;
use serde::Deserialize;
use serde_json::{json, Value};

/// At most this many entries per page.
pub const MAX_PAGE: usize = 1000;
/// At most this many entries examined per page, so a filter matching little
/// of a long history still answers promptly (with a cursor to go on).
pub const SCAN_BUDGET: usize = 20_000;

#[derive(Deserialize)]
pub struct HistoryQuery {
    pub min_position: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// Comma-separated event types (`PointsAccrued,PointsRedeemed`).
    pub event_type: Option<String>,
    pub currency: Option<String>,
    pub partner: Option<String>,
    /// Business-time range, inclusive (RFC 3339 or a date).
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What entries a page keeps.
pub struct Filter {
    event_types: Vec<String>,
    currency: Option<String>,
    partner: Option<String>,
    from: Option<Time>,
    to: Option<Time>,
}

impl Filter {
    pub fn parse(q: &HistoryQuery) -> Result<Self, QueryError> {
        let some = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        let from = some(&q.from).map(|t| parse_start(&t)).transpose()?;
        let to = some(&q.to).map(|t| parse_time(&t)).transpose()?;
        Ok(Filter {
            event_types: some(&q.event_type)
                .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            currency: some(&q.currency),
            partner: some(&q.partner),
            from,
            to,
        })
    }

    pub fn keeps(&self, e: &LedgerEntry) -> bool {
        (self.event_types.is_empty() || self.event_types.contains(&e.event_type))
            && self
                .currency
                .as_ref()
                .is_none_or(|c| e.currencies.contains(c) || e.movements.contains_key(c))
            && self.partner.as_ref().is_none_or(|p| e.partners.contains(p))
            && self.from.is_none_or(|t| e.occurred_at >= t)
            && self.to.is_none_or(|t| e.occurred_at <= t)
    }

    /// How many of the first entries (of `applied`) no page can keep: with
    /// a `from`, those whose account clock is still before it (an entry's
    /// business time is never after the clock it leaves).
    fn skipped(
        &self,
        store: &Store,
        program: &str,
        member: &str,
        applied: u64,
    ) -> Result<u64, QueryError> {
        let Some(from) = self.from else {
            return Ok(0);
        };
        Ok(read_model::ledger_prefix(
            store,
            program,
            member,
            applied,
            |e| e.clock.unwrap_or(e.occurred_at) < from,
        )?)
    }
}

/// The cursor a client sends back: the sequence of the last entry examined.
pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<u64>, QueryError> {
    match cursor.filter(|c| !c.is_empty()) {
        Some(c) => c
            .parse::<u64>()
            .map(Some)
            .map_err(|_| QueryError::Invalid("cursor is not one this API returned".into())),
        None => Ok(None),
    }
}

/// Where a page starts and how long it is.
pub struct Span {
    /// After this sequence (the cursor a client sent back).
    pub after: Option<u64>,
    pub limit: usize,
    /// How many entries the member's history holds.
    pub applied: u64,
}

/// One page: the kept entries with their why, and the cursor to go on from
/// (none once the history is exhausted).
pub fn page(
    store: &Store,
    program: &str,
    member: &str,
    filter: &Filter,
    span: Span,
) -> Result<Value, QueryError> {
    let Span {
        after,
        limit,
        applied,
    } = span;
    let skipped = filter.skipped(store, program, member, applied)?;
    let mut kept = Vec::new();
    let mut cursor = after.max(Some(skipped).filter(|s| *s > 0));
    let mut examined = 0usize;
    let mut exhausted = false;
    while kept.len() < limit && examined < SCAN_BUDGET {
        let chunk = (SCAN_BUDGET - examined).min(1000);
        let entries = read_model::ledger(store, program, member, cursor, chunk)?;
        exhausted = entries.len() < chunk;
        for e in entries {
            examined += 1;
            cursor = Some(e.sequence);
            if filter.keeps(&e) {
                kept.push(with_why(store, program, member, e)?);
                if kept.len() == limit {
                    break;
                }
            }
        }
        if exhausted {
            break;
        }
    }
    let next = (!exhausted || kept.len() == limit)
        .then(|| cursor.map(|c| c.to_string()))
        .flatten();
    Ok(json!({"entries": kept, "next_cursor": next, "examined": examined}))
}

/// The entry as served: its stored event's facts (`detail`) and the why.
fn with_why(
    store: &Store,
    program: &str,
    member: &str,
    entry: LedgerEntry,
) -> Result<Value, QueryError> {
    let stored = read_model::stored_event(store, program, member, entry.sequence)?;
    let mut doc = serde_json::to_value(&entry).unwrap_or_default();
    if let Some((meta, event)) = stored {
        doc["detail"] = serde_json::to_value(&event.body).unwrap_or_default();
        doc["why"] = why(&meta, &event);
    }
    Ok(doc)
}

/// Why the entry is there and what it did.
pub fn why(meta: &EnvelopeMeta, event: &Event) -> Value {
    let (rules, promotions) = match &event.body {
        EventBody::PointsAccrued {
            rules, promotions, ..
        } => (json!(rules), json!(promotions)),
        _ => (json!([]), json!([])),
    };
    json!({
        "journal": {
            "transaction_id": event.transaction_id,
            "event_id": meta.event_id,
            "command_fingerprint": event.fingerprint,
            "writer_id": meta.writer_id,
            "group": {"first": meta.group_first, "last": meta.group_last},
        },
        "rules": rules,
        "promotions": promotions,
        "lots_opened": trail::lots_opened(&event.body),
        "lots_debited": trail::lots_debited(&event.body),
    })
}
