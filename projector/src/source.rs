//! Where an overlay reads documents it has not loaded yet: the RocksDB
//! store, or a scratch map (a member's state rebuilt as of a past point,
//! see [`crate::as_of`]).

use crate::store::{Entry, Store, StoreError};
use std::collections::BTreeMap;

pub trait Source {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every entry under `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError>;
}

impl Source for Store {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Store::get_raw(self, key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.scan(prefix, None, usize::MAX)
    }
}

/// An in-memory source.
#[derive(Default)]
pub struct Scratch(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl Source for Scratch {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.get(key).cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .0
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}
