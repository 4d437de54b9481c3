//! Views as of a past point, computed from what the projector keeps for it:
//! a member's view and open lots from its nearest snapshot and the stored
//! events after it (folded by the same code as the live view), and a
//! program's totals from time buckets of tallies. Nothing is approximated.

use crate::fold::At;
use crate::keys;
use crate::overlay::Overlay;
use crate::read_model::{self, decode};
use crate::runner::fold_stored;
use crate::source::Scratch;
use crate::store::{from_json, to_json, Store, StoreError};
use crate::tally::{self, Tally};
use crate::views::{LedgerEntry, LotView, MemberSnapshot, MemberView};
use event_log::Positions;
use ledger_core::Time;

/// Which of an account's events a point-in-time view includes.
#[derive(Clone, Debug)]
pub enum Cut {
    /// Business time: the events up to the first one whose account clock
    /// (the latest business time seen so far) is after it.
    Time(Time),
    /// Log position: the events at or before the position on their partition.
    Position(Positions),
}

impl Cut {
    /// Whether the cut includes the event of this history entry.
    pub fn includes(&self, entry: &LedgerEntry) -> bool {
        match self {
            Cut::Time(t) => entry.clock.unwrap_or(entry.occurred_at) <= *t,
            Cut::Position(token) => parse_position(&entry.position)
                .is_some_and(|(p, o)| token.0.get(&p).is_some_and(|upto| o <= *upto)),
        }
    }
}

/// A member as of a cut: the view and open lots after the last event the
/// cut includes; `None` when the member had no event by then.
pub fn member(
    store: &Store,
    program: &str,
    member: &str,
    cut: &Cut,
) -> Result<Option<(MemberView, Vec<LotView>)>, StoreError> {
    let Some(live) = read_model::member(store, program, member)? else {
        return Ok(None);
    };
    let last = last_included(store, program, member, live.sequence, cut)?;
    if last == 0 {
        return Ok(None);
    }
    if last == live.sequence {
        let lots = read_model::lots(store, program, member)?;
        return Ok(Some((live, lots)));
    }
    let (from, scratch) = nearest_snapshot(store, program, member, last)?;
    let replayed = fold_events(store, program, member, &scratch, from + 1, last)?;
    Ok(replayed.view.map(|v| (v, replayed.lots)))
}

/// A member's events folded from scratch, as a second computation of what
/// the projector holds (see `loyalty reconcile`).
pub struct Replayed {
    pub view: Option<MemberView>,
    pub lots: Vec<LotView>,
    /// What the events changed in the program's totals.
    pub tally: Tally,
}

/// Folds every event of the member the cut includes, from its first,
/// without snapshots or stored views.
pub fn replay(
    store: &Store,
    program: &str,
    member: &str,
    cut: Option<&Cut>,
) -> Result<Replayed, StoreError> {
    let applied = read_model::member(store, program, member)?.map_or(0, |m| m.sequence);
    let last = match cut {
        Some(cut) => last_included(store, program, member, applied, cut)?,
        None => applied,
    };
    fold_events(store, program, member, &Scratch::default(), 1, last)
}

/// Folds the member's stored events `from..=to` over `base`.
fn fold_events(
    store: &Store,
    program: &str,
    member: &str,
    base: &Scratch,
    from: u64,
    to: u64,
) -> Result<Replayed, StoreError> {
    let mut ov = Overlay::new(base);
    let mut next = from;
    while next <= to {
        let upto = to.min(next + CHUNK - 1);
        for (entry, payload) in stored_events(store, program, member, next, upto)? {
            let (partition, offset) = parse_position(&entry.position).unwrap_or_default();
            let at = At {
                partition,
                offset,
                payload: &payload,
                digest: &entry.hash,
            };
            fold_stored(&mut ov, at)?;
        }
        next = upto + 1;
    }
    Ok(Replayed {
        view: ov.member(program, member)?.clone(),
        lots: ov.member_lots(program, member)?,
        tally: ov.pending_tally(program),
    })
}

/// Stored events read at a time.
const CHUNK: u64 = 1_000;

/// How many of the member's events (1..=`applied`) the cut includes: a
/// binary search, since inclusion only ever turns from yes to no, then
/// back to the start of a group the cut would split.
fn last_included(
    store: &Store,
    program: &str,
    member: &str,
    applied: u64,
    cut: &Cut,
) -> Result<u64, StoreError> {
    let (mut yes, mut no) = (0u64, applied + 1);
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        let entry: Option<LedgerEntry> = store.get_json(&keys::history(program, member, mid))?;
        match entry {
            Some(e) if cut.includes(&e) => yes = mid,
            _ => no = mid,
        }
    }
    // A group takes effect whole: one cut short is left out whole.
    let last: Option<LedgerEntry> = store.get_json(&keys::history(program, member, yes))?;
    Ok(match last {
        Some(e) if e.group_last > yes && e.group_first >= 1 => e.group_first - 1,
        _ => yes,
    })
}

/// The latest snapshot at or before event `last` as a scratch source, and
/// its sequence (0 and an empty source when there is none).
fn nearest_snapshot(
    store: &Store,
    program: &str,
    member: &str,
    last: u64,
) -> Result<(u64, Scratch), StoreError> {
    let mut scratch = Scratch::default();
    let found = store.last_at_or_before(
        &keys::snapshots_of(program, member),
        &keys::snapshot(program, member, last),
    )?;
    let Some((key, value)) = found else {
        return Ok((0, scratch));
    };
    let snap: MemberSnapshot = from_json(&key, &value)?;
    for lot in &snap.lots {
        let k = keys::lot(program, member, &lot.currency, &lot.lot_id);
        scratch.0.insert(k, to_json(lot));
    }
    let sequence = snap.view.sequence;
    scratch
        .0
        .insert(keys::member(program, member), to_json(&snap.view));
    Ok((sequence, scratch))
}

/// The member's history entries `from..=to` with their stored events.
fn stored_events(
    store: &Store,
    program: &str,
    member: &str,
    from: u64,
    to: u64,
) -> Result<Vec<(LedgerEntry, Vec<u8>)>, StoreError> {
    let entries = store.range(
        &keys::history(program, member, from),
        &keys::history(program, member, to + 1),
    )?;
    let payloads = store.range(
        &keys::payload(program, member, from),
        &keys::payload(program, member, to + 1),
    )?;
    if entries.len() != payloads.len() {
        return Err(StoreError::Inconsistent(format!(
            "member {program}/{member}: {} history entries but {} stored events in {from}..={to}",
            entries.len(),
            payloads.len()
        )));
    }
    entries
        .iter()
        .zip(payloads)
        .map(|(e, (_, payload))| Ok((decode(e)?, payload)))
        .collect()
}

/// A program's totals (statistics and partner figures) over the events up
/// to business time `t` (by their account's clock).
pub fn totals(store: &Store, program: &str, t: Time) -> Result<Tally, StoreError> {
    let mut sum = Tally::default();
    for (level, from, to) in tally::cover(t) {
        if level == tally::EXACT {
            sum.add(&within_second(store, program, from, t)?);
            continue;
        }
        for row in &store.range(
            &keys::tally(program, level, from),
            &keys::tally(program, level, to),
        )? {
            sum.add(&decode(row)?);
        }
    }
    Ok(sum)
}

/// The tally of the second starting at `start` up to `t` (inclusive): the
/// whole second or nothing when its events share one microsecond, else
/// its exact buckets up to `t`.
fn within_second(store: &Store, program: &str, start: i64, t: Time) -> Result<Tally, StoreError> {
    let key = keys::tally(program, tally::SECOND, start);
    let Some(second) = store.get_json::<Tally>(&key)? else {
        return Ok(Tally::default());
    };
    let until = t.timestamp_micros();
    if let Some(at) = second.only_at {
        return Ok(if at <= until {
            second
        } else {
            Tally::default()
        });
    }
    let mut sum = Tally::default();
    for row in &store.range(
        &keys::tally(program, tally::EXACT, start),
        &keys::tally(program, tally::EXACT, until.saturating_add(1)),
    )? {
        sum.add(&decode(row)?);
    }
    Ok(sum)
}

fn parse_position(position: &str) -> Option<(u32, u64)> {
    let (p, o) = position.split_once(':')?;
    Some((p.parse().ok()?, o.parse().ok()?))
}
