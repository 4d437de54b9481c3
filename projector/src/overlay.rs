//! The in-memory overlay of one batch: documents read once from the store,
//! changed in memory by every event of the batch, written once at the end
//! in a single WriteBatch with the consumed offsets.

use crate::keys;
use crate::store::{to_json, Store, StoreError};
use crate::views::*;
use ledger_core::sequence::OpenGroup;
use rocksdb::WriteBatch;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

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

    fn get(&mut self, store: &Store, key: Vec<u8>) -> Result<&mut Option<T>, StoreError> {
        use std::collections::hash_map::Entry;
        match self.docs.entry(key) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => {
                let loaded = store.get_json(e.key())?;
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
    store: &'s Store,
    members: Docs<MemberView>,
    lots: Docs<LotView>,
    partners: Docs<PartnerFigures>,
    stats: Docs<ProgramStats>,
    programs: Docs<ProgramView>,
    open: Docs<OpenGroup<HeldRecord>>,
    history: Vec<(Vec<u8>, Vec<u8>)>,
    applied: HashMap<u32, u64>,
}

impl<'s> Overlay<'s> {
    pub fn new(store: &'s Store) -> Self {
        Overlay {
            store,
            members: Docs::new(),
            lots: Docs::new(),
            partners: Docs::new(),
            stats: Docs::new(),
            programs: Docs::new(),
            open: Docs::new(),
            history: Vec::new(),
            applied: HashMap::new(),
        }
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

    pub fn partner(
        &mut self,
        program: &str,
        partner: &str,
        currency: &str,
    ) -> Result<&mut PartnerFigures, StoreError> {
        let doc = self
            .partners
            .get(self.store, keys::partner(program, partner, currency))?;
        Ok(doc.get_or_insert_with(PartnerFigures::default))
    }

    pub fn stats(&mut self, program: &str) -> Result<&mut ProgramStats, StoreError> {
        let doc = self.stats.get(self.store, keys::stats(program))?;
        Ok(doc.get_or_insert_with(ProgramStats::default))
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
        self.history.push((key, to_json(entry)));
    }

    /// Records that `offset` of `partition` was consumed.
    pub fn consumed(&mut self, partition: u32, offset: u64) {
        let next = self.applied.entry(partition).or_insert(0);
        *next = (*next).max(offset + 1);
    }

    /// Writes everything, offsets included, in one atomic batch.
    pub fn commit(self) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        self.members.write_into(&mut batch);
        self.lots.write_into(&mut batch);
        self.partners.write_into(&mut batch);
        self.stats.write_into(&mut batch);
        self.programs.write_into(&mut batch);
        self.open.write_into(&mut batch);
        for (k, v) in self.history {
            batch.put(k, v);
        }
        for (p, next) in self.applied {
            batch.put(keys::applied(p), next.to_be_bytes());
        }
        self.store.write(batch)
    }
}
