//! The in-memory overlay of one batch: documents read once from the store,
//! changed in memory by every event of the batch, written once at the end
//! in a single WriteBatch with the consumed offsets.

use crate::carry::Carry;
use crate::keys;
use crate::lot_table::LotTable;
use crate::snapshot::Snapshot;
use crate::source::Source;
use crate::store::{from_json, to_json, Store, StoreError};
use crate::tally::{self, Tally};
use crate::threads;
use crate::views::*;
use ledger_core::sequence::OpenGroup;
use ledger_core::Time;
use rocksdb::WriteBatch;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A key and its new value, `None` to delete it.
type Change = (Vec<u8>, Option<Vec<u8>>);

/// Documents of one kind, keyed by their store key; `None` means deleted.
struct Docs<T> {
    docs: HashMap<Vec<u8>, Option<T>>,
}

impl<T: Serialize + DeserializeOwned> Docs<T> {
    fn new() -> Self {
        Docs {
            docs: HashMap::new(),
        }
    }

    fn get(
        &mut self,
        source: &(dyn Source + Sync),
        key: Vec<u8>,
    ) -> Result<&mut Option<T>, StoreError> {
        use std::collections::hash_map::Entry;
        match self.docs.entry(key) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => {
                let loaded = match source.get_raw(e.key())? {
                    Some(bytes) => Some(from_json(e.key(), &bytes)?),
                    None => None,
                };
                Ok(e.insert(loaded))
            }
        }
    }

    fn drain_into(self, out: &mut Vec<Change>) {
        out.extend(
            self.docs
                .into_iter()
                .map(|(key, doc)| (key, doc.as_ref().map(to_json))),
        );
    }
}

/// A member's open lots from a snapshot.
struct BaseLots {
    prefix: Vec<u8>,
    lots: LotTable,
}

impl BaseLots {
    fn find(&self, key: &[u8]) -> Option<LotView> {
        let place = key.strip_prefix(self.prefix.as_slice())?;
        self.lots.find(place).map(|i| self.lots.lot(i).to_view())
    }
}

pub struct Overlay<'s> {
    store: &'s (dyn Source + Sync),
    carry: Carry,
    members: Docs<MemberView>,
    lots: Docs<LotView>,
    expiring: Docs<ExpiringPoints>,
    partners: Docs<PartnerFigures>,
    stats: Docs<ProgramStats>,
    programs: Docs<ProgramView>,
    open: Docs<OpenGroup<HeldRecord>>,
    buckets: Docs<Tally>,
    /// A member's open lots from a snapshot, in key order, read where the
    /// fold has not touched them (see [`Overlay::seed_member`]).
    base: Option<BaseLots>,
    /// The batch's tallies by program and business time (microseconds).
    tallies: BTreeMap<(String, i64), Tally>,
    /// Written as they are: history entries, snapshots.
    puts: Vec<(Vec<u8>, Vec<u8>)>,
    applied: HashMap<u32, u64>,
    snapshot_every: u64,
}

impl<'s> Overlay<'s> {
    pub fn new(store: &'s (dyn Source + Sync)) -> Self {
        Overlay {
            store,
            carry: Carry::default(),
            members: Docs::new(),
            lots: Docs::new(),
            expiring: Docs::new(),
            partners: Docs::new(),
            stats: Docs::new(),
            programs: Docs::new(),
            open: Docs::new(),
            buckets: Docs::new(),
            base: None,
            tallies: BTreeMap::new(),
            puts: Vec::new(),
            applied: HashMap::new(),
            snapshot_every: crate::fold::SNAPSHOT_EVERY,
        }
    }

    /// Keeps member snapshots every `events` events.
    pub fn snapshotting(mut self, events: u64) -> Self {
        self.snapshot_every = events.max(1);
        self
    }

    /// Starts from the views an earlier batch committed.
    pub fn carrying(mut self, carry: Carry) -> Self {
        self.carry = carry;
        self
    }

    /// Starts a member from a snapshot of its view and open lots (the
    /// overlay's source then holds nothing else of the member). The lots
    /// stay the snapshot's columns, a lot copied out when an event touches
    /// it: a long-lived member has tens of thousands and an event touches
    /// a few.
    pub fn seed_member(&mut self, program: &str, member: &str, snapshot: Snapshot) {
        self.base = Some(BaseLots {
            prefix: keys::lots_of(program, member),
            lots: snapshot.lots,
        });
        self.members
            .docs
            .insert(keys::member(program, member), Some(snapshot.view));
    }

    pub fn snapshot_every(&self) -> u64 {
        self.snapshot_every
    }

    pub fn member(
        &mut self,
        program: &str,
        member: &str,
    ) -> Result<&mut Option<MemberView>, StoreError> {
        let key = keys::member(program, member);
        if !self.members.docs.contains_key(&key) {
            if let Some(view) = self.carry.take(&key) {
                self.members.docs.insert(key.clone(), Some(view));
            }
        }
        self.members.get(self.store, key)
    }

    pub fn lot(
        &mut self,
        program: &str,
        member: &str,
        currency: &str,
        lot_id: &str,
    ) -> Result<&mut Option<LotView>, StoreError> {
        let key = keys::lot(program, member, currency, lot_id);
        if !self.lots.docs.contains_key(&key) {
            if let Some(lot) = self.base.as_ref().and_then(|b| b.find(&key)) {
                self.lots.docs.insert(key.clone(), Some(lot));
            }
        }
        self.lots.get(self.store, key)
    }

    /// A member's open points due on `at` in `currency`.
    pub fn expiring(
        &mut self,
        program: &str,
        member: &str,
        at: Time,
        currency: &str,
    ) -> Result<&mut Option<ExpiringPoints>, StoreError> {
        self.expiring
            .get(self.store, keys::expiring(program, member, at, currency))
    }

    /// Where an event at business time `at` records what it changes in
    /// its program's totals.
    pub fn tally(&mut self, program: &str, at: Time) -> &mut Tally {
        self.tallies
            .entry((program.to_string(), at.timestamp_micros()))
            .or_default()
    }

    /// What the batch's events changed in a program's totals so far.
    pub fn pending_tally(&self, program: &str) -> Tally {
        let mut sum = Tally::default();
        for ((p, _), t) in &self.tallies {
            if p == program {
                sum.add(t);
            }
        }
        sum
    }

    /// A member's open lots as the batch has them so far, by key order.
    pub fn member_lots(&self, program: &str, member: &str) -> Result<Vec<LotView>, StoreError> {
        let mut lots = Vec::new();
        self.visit_member_lots(program, member, |_, lot| lots.push(lot.to_view()))?;
        Ok(lots)
    }

    /// Shows `visit` each of a member's open lots, with its place in the
    /// key order, as the batch has them so far, by key order: the lots it
    /// touched merged into the ones before it (its snapshot's, or the
    /// source's).
    pub fn visit_member_lots(
        &self,
        program: &str,
        member: &str,
        visit: impl FnMut(&[u8], LotRef<'_>),
    ) -> Result<(), StoreError> {
        let prefix = keys::lots_of(program, member);
        let mut touched: Vec<(&[u8], &Option<LotView>)> = self
            .lots
            .docs
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, doc)| (&k[prefix.len()..], doc))
            .collect();
        touched.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if let Some(base) = self.base.as_ref().filter(|b| b.prefix == prefix) {
            merge(base.lots.iter(), touched, visit);
            return Ok(());
        }
        let stored: Vec<(Vec<u8>, LotView)> = self
            .store
            .scan_prefix(&prefix)?
            .into_iter()
            .map(|(k, v)| Ok::<_, StoreError>((k[prefix.len()..].to_vec(), from_json(&k, &v)?)))
            .collect::<Result<_, StoreError>>()?;
        let before = stored
            .iter()
            .map(|(place, lot)| (place.as_slice(), LotRef::from(lot)));
        merge(before, touched, visit);
        Ok(())
    }

    pub fn program(&mut self, program: &str) -> Result<&mut Option<ProgramView>, StoreError> {
        self.programs.get(self.store, keys::program(program))
    }

    /// An account's unfinished group of events, if any.
    pub fn open_group(
        &mut self,
        program: &str,
        account: &str,
    ) -> Result<&mut Option<OpenGroup<HeldRecord>>, StoreError> {
        self.open
            .get(self.store, keys::open_group(program, account))
    }

    /// Stores a value as it is (a history entry, a snapshot).
    pub fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.puts.push((key, value));
    }

    /// Records that `offset` of `partition` was consumed.
    pub fn consumed(&mut self, partition: u32, offset: u64) {
        let next = self.applied.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }

    /// Adds the batch's tallies to the live totals and to their buckets:
    /// each program's sum once to its statistics and partner figures, the
    /// coarse buckets' sums once each, every tally to its second.
    fn settle_tallies(&mut self) -> Result<(), StoreError> {
        let tallies = std::mem::take(&mut self.tallies);
        let mut rest = tallies.iter().peekable();
        while let Some(((program, _), _)) = rest.peek() {
            let program = program.clone();
            let mine: Vec<(i64, &Tally)> =
                std::iter::from_fn(|| rest.next_if(|((p, _), _)| *p == program))
                    .map(|((_, micros), t)| (*micros, t))
                    .collect();
            for (micros, t) in &mine {
                self.add_to_second(&program, *micros, t)?;
            }
            let (buckets, total) = tally::roll_up(mine);
            for (level, start, sum) in buckets {
                self.bucket(&program, level, start)?.add(&sum);
            }
            self.settle_totals(&program, &total)?;
        }
        Ok(())
    }

    /// Adds a program's batch total to its statistics and partner figures.
    fn settle_totals(&mut self, program: &str, total: &Tally) -> Result<(), StoreError> {
        let stats = self.stats.get(self.store, keys::stats(program))?;
        total.apply_to(stats.get_or_insert_with(ProgramStats::default));
        for (partner, by_currency) in &total.partners {
            for (currency, f) in by_currency {
                let key = keys::partner(program, partner, currency);
                let doc = self.partners.get(self.store, key)?;
                tally::add_figures(doc.get_or_insert_with(PartnerFigures::default), f);
            }
        }
        Ok(())
    }

    fn bucket(
        &mut self,
        program: &str,
        level: usize,
        start: i64,
    ) -> Result<&mut Tally, StoreError> {
        let doc = self
            .buckets
            .get(self.store, keys::tally(program, level, start))?;
        Ok(doc.get_or_insert_with(Tally::default))
    }

    /// Adds a tally at microsecond `micros` to its second, and to its exact
    /// bucket once the second holds more than one microsecond (the first
    /// microsecond's bucket is then made from the second's sum so far).
    fn add_to_second(&mut self, program: &str, micros: i64, t: &Tally) -> Result<(), StoreError> {
        let start = tally::bucket_of(tally::SECOND, micros);
        let doc = self
            .buckets
            .get(self.store, keys::tally(program, tally::SECOND, start))?;
        let second = doc.get_or_insert_with(|| Tally {
            only_at: Some(micros),
            ..Tally::default()
        });
        let split = match second.only_at {
            Some(at) if at == micros => None,
            Some(at) => Some((at, second.clone())),
            None => Some((micros, Tally::default())),
        };
        second.add(t);
        let Some((first_at, first)) = split else {
            return Ok(());
        };
        second.only_at = None;
        if first_at != micros {
            self.bucket(program, tally::EXACT, first_at)?.add(&first);
        }
        self.bucket(program, tally::EXACT, micros)?.add(t);
        Ok(())
    }

    /// Writes everything, offsets included, in one atomic batch; returns
    /// the member views for the next batch.
    pub fn commit(self, store: &Store) -> Result<Carry, StoreError> {
        let mut carries = Overlay::commit_all(vec![self], false, store)?;
        Ok(carries.pop().unwrap_or_default())
    }

    /// Commits overlays of disjoint accounts (a batch's partitions folded
    /// apart) in one atomic batch: their tallies are settled together, each
    /// serializes its own documents, on a thread of its own if `parallel`.
    /// Returns each overlay's carry, in order.
    pub fn commit_all(
        mut overlays: Vec<Overlay>,
        parallel: bool,
        store: &Store,
    ) -> Result<Vec<Carry>, StoreError> {
        let Some((first, rest)) = overlays.split_first_mut() else {
            return Ok(Vec::new());
        };
        for other in rest {
            for (at, t) in std::mem::take(&mut other.tallies) {
                first.tallies.entry(at).or_default().add(&t);
            }
        }
        first.settle_tallies()?;
        let limit = store.carry_bytes();
        let (changes, carries): (Vec<Vec<Change>>, Vec<Carry>) =
            threads::each(overlays, parallel, |ov| ov.into_writes(limit))
                .into_iter()
                .unzip();
        write_changes(store, changes.into_iter().flatten().collect())?;
        Ok(carries)
    }

    /// Everything the overlay changed, serialized (`None`: deleted), and
    /// the member views to carry (at most `limit` bytes of them, stored).
    fn into_writes(self, limit: usize) -> (Vec<Change>, Carry) {
        let mut out = Vec::with_capacity(self.members.docs.len() * 8 + self.puts.len());
        let mut views = Vec::with_capacity(self.members.docs.len());
        for (key, doc) in self.members.docs {
            let stored = doc.as_ref().map(to_json);
            if let (Some(view), Some(bytes)) = (doc, &stored) {
                views.push((key.clone(), view, bytes.len()));
            }
            out.push((key, stored));
        }
        let mut carry = self.carry;
        carry.keep(views, limit);
        self.lots.drain_into(&mut out);
        self.expiring.drain_into(&mut out);
        self.partners.drain_into(&mut out);
        self.stats.drain_into(&mut out);
        self.programs.drain_into(&mut out);
        self.open.drain_into(&mut out);
        self.buckets.drain_into(&mut out);
        out.extend(self.puts.into_iter().map(|(k, v)| (k, Some(v))));
        for (p, next) in self.applied {
            out.push((keys::applied(p), Some(next.to_be_bytes().to_vec())));
        }
        (out, carry)
    }
}

/// Writes `changes` in one atomic batch, in key order: the memtable then
/// inserts each key next to the one before (RocksDB keeps the last
/// insert's place in its skip list) instead of searching from the top.
/// The sort is stable: a key written twice keeps its last value.
fn write_changes(store: &Store, mut changes: Vec<Change>) -> Result<(), StoreError> {
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut batch = WriteBatch::default();
    for (k, v) in &changes {
        match v {
            Some(v) => batch.put(k, v),
            None => batch.delete(k),
        }
    }
    store.write(batch)
}

/// Visits the lots `before` (in key order) with the `touched` ones (sorted
/// by place) in their stead, deleted ones left out.
fn merge<'a>(
    before: impl Iterator<Item = (&'a [u8], LotRef<'a>)>,
    touched: Vec<(&'a [u8], &'a Option<LotView>)>,
    mut visit: impl FnMut(&[u8], LotRef<'_>),
) {
    let mut touched = touched.into_iter().peekable();
    for (place, lot) in before {
        while let Some((p, doc)) = touched.next_if(|(p, _)| *p < place) {
            doc.iter().for_each(|l| visit(p, l.into()));
        }
        match touched.next_if(|(p, _)| *p == place) {
            Some((p, doc)) => doc.iter().for_each(|l| visit(p, l.into())),
            None => visit(place, lot),
        }
    }
    touched.for_each(|(p, doc)| doc.iter().for_each(|l| visit(p, l.into())));
}
