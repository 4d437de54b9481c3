//! Views as of a past point, computed from what the projector keeps for it:
//! a member's view and open lots from its nearest snapshot and the stored
//! events after it (folded by the same code as the live view), and a
//! program's totals from time buckets of tallies. Nothing is approximated.

use crate::fold::At;
use crate::history;
use crate::keys;
use crate::overlay::Overlay;
use crate::read_model::{self, decode};
use crate::runner::fold_stored;
use crate::snapshot::{self, Snapshot};
use crate::source::Scratch;
use crate::store::{Store, StoreError};
use crate::tally::{self, Tally};
use crate::views::{micros_time, ExpiringPoints, LedgerEntry, LotRef, LotView, MemberView};
use event_log::Positions;
use ledger_core::{Decimal, Time};
use std::collections::BTreeMap;

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

/// A member as of a cut: the view and every open lot after the last event
/// the cut includes; `None` when the member had no event by then.
pub fn member(
    store: &Store,
    program: &str,
    member: &str,
    cut: &Cut,
) -> Result<Option<(MemberView, Vec<LotView>)>, StoreError> {
    let every = LotsWanted {
        after: None,
        limit: usize::MAX - 1,
        dates: 0,
    };
    Ok(member_page(store, program, member, cut, &every)?.map(|at| (at.view, at.lots)))
}

/// Which of a member's open lots a view as of a cut lists.
#[derive(Clone, Debug)]
pub struct LotsWanted {
    /// After this lot's place in the key order (see [`keys::lot_place`]).
    pub after: Option<Vec<u8>>,
    /// At most this many (one more is fetched, to tell whether there is more).
    pub limit: usize,
    /// Fixed-expiry points of this many of the earliest expiry dates.
    pub dates: usize,
}

/// A member as of a cut, with a page of the lots open then.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberAt {
    pub view: MemberView,
    /// How many lots were open.
    pub open_lots: usize,
    /// Up to `limit + 1` of them after `after`, in key order.
    pub lots: Vec<LotView>,
    /// The open points of fixed-expiry lots on the earliest `dates` expiry
    /// dates, by date and currency.
    pub expiring: Vec<ExpiringPoints>,
}

/// [`member`] with a page of its lots: only the page is copied, so a
/// member with tens of thousands of open lots answers promptly.
pub fn member_page(
    store: &Store,
    program: &str,
    member: &str,
    cut: &Cut,
    wanted: &LotsWanted,
) -> Result<Option<MemberAt>, StoreError> {
    let Some(live) = read_model::member(store, program, member)? else {
        return Ok(None);
    };
    let last = last_included(store, program, member, live.sequence, cut)?;
    if last == 0 {
        return Ok(None);
    }
    if last == live.sequence {
        return live_page(store, program, member, live, wanted).map(Some);
    }
    let snapshot = nearest_snapshot(store, program, member, last)?;
    let from = snapshot.as_ref().map_or(0, |s| s.view.sequence);
    let nothing = Scratch::default();
    let mut ov = Overlay::new(&nothing);
    if let Some(snapshot) = snapshot {
        ov.seed_member(program, member, snapshot);
    }
    fold_range(&mut ov, store, program, member, from + 1, last)?;
    let Some(view) = ov.member(program, member)?.clone() else {
        return Ok(None);
    };
    let mut gather = Gather::new(wanted);
    ov.visit_member_lots(program, member, |place, lot| gather.lot(place, lot))?;
    Ok(Some(gather.finish(view)))
}

/// The live member's page, from the live read models.
fn live_page(
    store: &Store,
    program: &str,
    member: &str,
    view: MemberView,
    wanted: &LotsWanted,
) -> Result<MemberAt, StoreError> {
    let limit = wanted.limit.saturating_add(1);
    Ok(MemberAt {
        view,
        open_lots: store.count_prefix(&keys::lots_of(program, member))?,
        lots: read_model::lots_page(store, program, member, wanted.after.as_deref(), limit)?,
        expiring: if wanted.dates == 0 {
            Vec::new()
        } else {
            read_model::expiring(store, program, member, wanted.dates)?
        },
    })
}

/// Collects what a page wants while the lots go by in key order.
struct Gather<'w> {
    wanted: &'w LotsWanted,
    open: usize,
    lots: Vec<LotView>,
    /// Points by date (microseconds) and currency, the earliest `dates`
    /// dates only.
    due: BTreeMap<i64, BTreeMap<String, Decimal>>,
}

impl<'w> Gather<'w> {
    fn new(wanted: &'w LotsWanted) -> Self {
        Gather {
            wanted,
            open: 0,
            lots: Vec::new(),
            due: BTreeMap::new(),
        }
    }

    fn lot(&mut self, place: &[u8], lot: LotRef<'_>) {
        self.open += 1;
        let past = |after: &Vec<u8>| place > after.as_slice();
        if self.lots.len() <= self.wanted.limit && self.wanted.after.as_ref().is_none_or(past) {
            self.lots.push(lot.to_view());
        }
        if let Some(at) = lot.expires_at_micros {
            self.due_on(at, &lot);
        }
    }

    /// Adds a lot's points to its date, keeping only the earliest dates.
    fn due_on(&mut self, at: i64, lot: &LotRef<'_>) {
        let full = self.due.len() >= self.wanted.dates;
        if full
            && self
                .due
                .last_key_value()
                .is_none_or(|(latest, _)| at > *latest)
        {
            return;
        }
        let on = self.due.entry(at).or_default();
        match on.get_mut(lot.currency) {
            Some(points) => *points += lot.points,
            None => {
                on.insert(lot.currency.to_string(), lot.points);
            }
        }
        if self.due.len() > self.wanted.dates {
            self.due.pop_last();
        }
    }

    fn finish(self, view: MemberView) -> MemberAt {
        let expiring = self
            .due
            .into_iter()
            .flat_map(|(expires_at, by_currency)| {
                by_currency
                    .into_iter()
                    .map(move |(currency, points)| ExpiringPoints {
                        expires_at: micros_time(expires_at),
                        currency,
                        points,
                    })
            })
            .collect();
        MemberAt {
            view,
            open_lots: self.open,
            lots: self.lots,
            expiring,
        }
    }
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
    let nothing = Scratch::default();
    let mut ov = Overlay::new(&nothing);
    fold_range(&mut ov, store, program, member, 1, last)?;
    Ok(Replayed {
        view: ov.member(program, member)?.clone(),
        lots: ov.member_lots(program, member)?,
        tally: ov.pending_tally(program),
    })
}

/// Folds the member's stored events `from..=to` into `ov`.
fn fold_range(
    ov: &mut Overlay,
    store: &Store,
    program: &str,
    member: &str,
    from: u64,
    to: u64,
) -> Result<(), StoreError> {
    let mut next = from;
    while next <= to {
        let upto = to.min(next + CHUNK - 1);
        for stored in stored_events(store, program, member, next, upto)? {
            let at = At {
                partition: stored.partition(),
                offset: stored.offset(),
                payload: stored.payload(),
                digest: stored.hash(),
            };
            fold_stored(ov, at)?;
        }
        next = upto + 1;
    }
    Ok(())
}

/// Stored events read at a time.
const CHUNK: u64 = 1_000;

/// How many of the member's events (1..=`applied`) the cut includes:
/// inclusion only ever turns from yes to no, then back to the start of a
/// group the cut would split.
fn last_included(
    store: &Store,
    program: &str,
    member: &str,
    applied: u64,
    cut: &Cut,
) -> Result<u64, StoreError> {
    let yes = read_model::ledger_prefix(store, program, member, applied, |e| cut.includes(e))?;
    // A group takes effect whole: one cut short is left out whole.
    let last = read_model::ledger_entry(store, program, member, yes)?;
    Ok(match last {
        Some(e) if e.group_last > yes && e.group_first >= 1 => e.group_first - 1,
        _ => yes,
    })
}

/// The latest snapshot at or before event `last`, if any.
fn nearest_snapshot(
    store: &Store,
    program: &str,
    member: &str,
    last: u64,
) -> Result<Option<Snapshot>, StoreError> {
    let found = store.last_at_or_before(
        &keys::snapshots_of(program, member),
        &keys::snapshot(program, member, last),
    )?;
    found
        .map(|(key, value)| snapshot::decode(&key, &value))
        .transpose()
}

/// The member's history entries `from..=to` as stored.
fn stored_events(
    store: &Store,
    program: &str,
    member: &str,
    from: u64,
    to: u64,
) -> Result<Vec<history::Stored>, StoreError> {
    store
        .range(
            &keys::history(program, member, from),
            &keys::history(program, member, to + 1),
        )?
        .iter()
        .map(|(key, value)| {
            let stored = history::decode(store, key, value)?;
            if stored.payload().is_empty() {
                return Err(StoreError::Inconsistent(format!(
                    "member {program}/{member}: history entry {} has no stored event",
                    String::from_utf8_lossy(key)
                )));
            }
            Ok(stored)
        })
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

pub(crate) fn parse_position(position: &str) -> Option<(u32, u64)> {
    let (p, o) = position.split_once(':')?;
    Some((p.parse().ok()?, o.parse().ok()?))
}
