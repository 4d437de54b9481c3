//! The in-memory overlay of one batch: documents read once from the store,
//! changed in memory by every event of the batch, written once at the end
//! in a single WriteBatch with the consumed offsets.

use crate::keys;
use crate::source::Source;
use crate::store::{from_json, to_json, Store, StoreError};
use crate::tally::{self, Tally};
use crate::views::*;
use ledger_core::sequence::OpenGroup;
use ledger_core::Time;
use rocksdb::WriteBatch;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

    fn get(&mut self, source: &dyn Source, key: Vec<u8>) -> Result<&mut Option<T>, StoreError> {
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

    fn write_into(self, batch: &mut WriteBatch) {
        for (key, doc) in self.docs {
            match doc {
                Some(d) => batch.put(key, to_json(&d)),
                None => batch.delete(key),
            }
        }
    }
}

pub struct Overlay<'s> {
    store: &'s dyn Source,
    members: Docs<MemberView>,
    lots: Docs<LotView>,
    expiring: Docs<ExpiringPoints>,
    partners: Docs<PartnerFigures>,
    stats: Docs<ProgramStats>,
    programs: Docs<ProgramView>,
    open: Docs<OpenGroup<HeldRecord>>,
    buckets: Docs<Tally>,
    /// The batch's tallies by program and business time (microseconds).
    tallies: BTreeMap<(String, i64), Tally>,
    /// Written as they are: history entries, stored events, snapshots.
    puts: Vec<(Vec<u8>, Vec<u8>)>,
    applied: HashMap<u32, u64>,
    snapshot_every: u64,
}

impl<'s> Overlay<'s> {
    pub fn new(store: &'s dyn Source) -> Self {
        Overlay {
            store,
            members: Docs::new(),
            lots: Docs::new(),
            expiring: Docs::new(),
            partners: Docs::new(),
            stats: Docs::new(),
            programs: Docs::new(),
            open: Docs::new(),
            buckets: Docs::new(),
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

    pub fn snapshot_every(&self) -> u64 {
        self.snapshot_every
    }

    pub fn member(
        &mut self,
        program: &str,
        member: &str,
    ) -> Result<&mut Option<MemberView>, StoreError> {
        self.members.get(self.store, keys::member(program, member))
    }

    pub fn lot(
        &mut self,
        program: &str,
        member: &str,
        currency: &str,
        lot_id: &str,
    ) -> Result<&mut Option<LotView>, StoreError> {
        self.lots
            .get(self.store, keys::lot(program, member, currency, lot_id))
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
        let prefix = keys::lots_of(program, member);
        let mut lots: BTreeMap<Vec<u8>, LotView> = BTreeMap::new();
        for (k, v) in self.store.scan_prefix(&prefix)? {
            if !self.lots.docs.contains_key(&k) {
                lots.insert(k.clone(), from_json(&k, &v)?);
            }
        }
        for (k, doc) in &self.lots.docs {
            if let (true, Some(lot)) = (k.starts_with(&prefix), doc) {
                lots.insert(k.clone(), lot.clone());
            }
        }
        Ok(lots.into_values().collect())
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

    pub fn put_history(&mut self, key: Vec<u8>, entry: &LedgerEntry) {
        self.puts.push((key, to_json(entry)));
    }

    /// Stores a value as it is (an event's payload, a snapshot).
    pub fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.puts.push((key, value));
    }

    /// Records that `offset` of `partition` was consumed.
    pub fn consumed(&mut self, partition: u32, offset: u64) {
        let next = self.applied.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }

    /// Adds the batch's tallies to the live totals and to their buckets.
    fn settle_tallies(&mut self) -> Result<(), StoreError> {
        for ((program, micros), t) in std::mem::take(&mut self.tallies) {
            let stats = self.stats.get(self.store, keys::stats(&program))?;
            t.apply_to(stats.get_or_insert_with(ProgramStats::default));
            for (partner, by_currency) in &t.partners {
                for (currency, f) in by_currency {
                    let key = keys::partner(&program, partner, currency);
                    let doc = self.partners.get(self.store, key)?;
                    tally::add_figures(doc.get_or_insert_with(PartnerFigures::default), f);
                }
            }
            for level in 0..tally::LEVELS.len() {
                let key = keys::tally(&program, level, tally::bucket_of(level, micros));
                let doc = self.buckets.get(self.store, key)?;
                doc.get_or_insert_with(Tally::default).add(&t);
            }
        }
        Ok(())
    }

    /// Writes everything, offsets included, in one atomic batch.
    pub fn commit(mut self, store: &Store) -> Result<(), StoreError> {
        self.settle_tallies()?;
        let mut batch = WriteBatch::default();
        self.members.write_into(&mut batch);
        self.lots.write_into(&mut batch);
        self.expiring.write_into(&mut batch);
        self.partners.write_into(&mut batch);
        self.stats.write_into(&mut batch);
        self.programs.write_into(&mut batch);
        self.open.write_into(&mut batch);
        self.buckets.write_into(&mut batch);
        for (k, v) in self.puts {
            batch.put(k, v);
        }
        for (p, next) in self.applied {
            batch.put(keys::applied(p), next.to_be_bytes());
        }
        store.write(batch)
    }
}
