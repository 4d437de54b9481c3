//! The RocksDB store of the read models.

use crate::carry::{Carry, CARRY_BYTES};
use crate::keys;
use rocksdb::{
    BlockBasedOptions, Cache, DBCompressionType, Direction, Env, IteratorMode, LruCacheOptions,
    Options, ReadOptions, WriteBatch, WriteOptions, DB,
};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    #[error("read model value at {key}: {source}")]
    Json {
        key: String,
        source: serde_json::Error,
    },
    #[error("read model value at {key}: {message}")]
    Undecodable { key: String, message: String },
    #[error("event log: {0}")]
    Log(#[from] event_log::LogError),
    #[error("undecodable event at {partition}:{offset}: {message}")]
    Decode {
        partition: u32,
        offset: u64,
        message: String,
    },
    #[error("projector task failed: {0}")]
    Task(String),
    #[error("read models inconsistent: {0}")]
    Inconsistent(String),
}

/// A key and its value, as stored.
pub type Entry = (Vec<u8>, Vec<u8>);
/// A key and its value, as iterated.
pub type RawEntry = (Box<[u8]>, Box<[u8]>);

/// Bytes a store holds in memory, by part.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryUse {
    /// Memtables, the active one and those waiting to be flushed.
    pub memtables: u64,
    /// Index and filter blocks of the open files (held outside the block
    /// cache).
    pub table_readers: u64,
    /// Blocks read from the files and kept.
    pub block_cache: u64,
    /// Member views carried between batches, in their stored size (parsed
    /// they take about five times that).
    pub carried: u64,
}

pub struct Store {
    db: DB,
    path: PathBuf,
    snapshot_every: u64,
    /// Whether writes go through RocksDB's write-ahead log.
    wal: bool,
    /// Parsed documents the last batch committed, by lane (see [`Carry`]).
    carry: Mutex<Vec<Carry>>,
    /// Bytes of member views (stored form) carried by each lane at most.
    carry_bytes: usize,
}

/// Block cache shared by a store's reads (documents are read once per batch).
const BLOCK_CACHE: usize = 256 << 20;

/// A long-lived member's snapshot is one value of several MiB, so one block
/// of that size: RocksDB's default of 64 shards of 4 MiB each never keeps
/// one, and every view as of a past point read it from the file again.
/// 16 shards of 16 MiB keep one of up to about 250,000 lots, and readers
/// still rarely wait on each other's shard.
fn block_cache() -> Cache {
    let mut opts = LruCacheOptions::default();
    opts.set_capacity(BLOCK_CACHE);
    opts.set_num_shard_bits(4);
    Cache::new_lru_cache_opts(&opts)
}

/// Options of a writable store. A fold reads many keys that do not exist yet
/// (a new lot, a new time bucket, an account without an open group), so
/// whole-key Bloom filters, on disk and in the memtable, answer those
/// without searching; fresh data stays uncompressed in the two upper levels
/// where compaction would only compress it again.
fn options() -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    table.set_block_cache(&block_cache());
    table.set_block_size(16 << 10);
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.set_block_based_table_factory(&table);
    opts.set_memtable_whole_key_filtering(true);
    opts.set_memtable_prefix_bloom_ratio(0.1);
    opts.set_compression_per_level(&[
        DBCompressionType::None,
        DBCompressionType::None,
        DBCompressionType::Lz4,
    ]);
    // Batches are large and few; a bigger memtable means fewer flushes.
    opts.set_write_buffer_size(64 << 20);
    opts.set_max_background_jobs(2);
    opts
}

/// Options of a scratch store: a rebuild writes every read model once, so
/// larger memtables and files mean fewer flushes and each byte compacted
/// fewer times (a third of a rebuild's CPU went to flushes and compactions).
fn scratch_options() -> Options {
    let mut opts = options();
    opts.set_write_buffer_size(256 << 20);
    opts.set_max_write_buffer_number(4);
    opts.set_target_file_size_base(256 << 20);
    opts.set_max_bytes_for_level_base(2 << 30);
    opts.set_level_compaction_dynamic_level_bytes(true);
    opts
}

/// Lowers the CPU priority of RocksDB's flush and compaction threads in
/// this process (its default environment's pools, shared by every store):
/// a server calls it so they yield the cores to the requests being
/// answered, as the live projector's fold thread does. A rebuild on its own
/// does not: there they are the work.
pub fn yield_background_work() -> Result<(), StoreError> {
    let mut env = Env::new()?;
    env.lower_thread_pool_cpu_priority();
    env.lower_high_priority_thread_pool_cpu_priority();
    Ok(())
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Store {
            db: DB::open(&options(), path)?,
            path: path.to_path_buf(),
            snapshot_every: crate::fold::SNAPSHOT_EVERY,
            wal: true,
            carry: Mutex::default(),
            carry_bytes: CARRY_BYTES,
        })
    }

    /// Opens a scratch store that a rebuild fills from the log: no
    /// write-ahead log (after a crash the rebuild starts over, and nothing
    /// follows a scratch store as a secondary); [`Store::flush`] makes it
    /// durable before it is used as a live store.
    pub fn open_scratch(path: &Path) -> Result<Self, StoreError> {
        Ok(Store {
            db: DB::open(&scratch_options(), path)?,
            path: path.to_path_buf(),
            snapshot_every: crate::fold::SNAPSHOT_EVERY,
            wal: false,
            carry: Mutex::default(),
            carry_bytes: CARRY_BYTES,
        })
    }

    /// Writes the memtables to disk (what a scratch store needs before
    /// another process or a reopen relies on it).
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(self.db.flush()?)
    }

    /// Opens a read-only follower of the store at `primary` (a RocksDB
    /// secondary instance keeping its own files in `secondary`); call
    /// [`Store::catch_up`] to see the primary's newer writes.
    pub fn open_follower(primary: &Path, secondary: &Path) -> Result<Self, StoreError> {
        let mut opts = Options::default();
        opts.set_max_open_files(-1);
        Ok(Store {
            db: DB::open_as_secondary(&opts, primary, secondary)?,
            path: primary.to_path_buf(),
            snapshot_every: crate::fold::SNAPSHOT_EVERY,
            wal: true,
            carry: Mutex::default(),
            carry_bytes: CARRY_BYTES,
        })
    }

    /// A follower reads the primary's latest writes (a no-op cost otherwise).
    pub fn catch_up(&self) -> Result<(), StoreError> {
        Ok(self.db.try_catch_up_with_primary()?)
    }

    /// Next offset to consume for every partition the store has applied.
    pub fn applied_all(&self) -> Result<Vec<u64>, StoreError> {
        let prefix = keys::applied_prefix();
        let mut out = Vec::new();
        for (k, v) in self.scan(&prefix, None, usize::MAX)? {
            let p = k[prefix.len()..]
                .try_into()
                .map(u32::from_be_bytes)
                .unwrap_or(0) as usize;
            let next = v.try_into().map(u64::from_be_bytes).unwrap_or(0);
            if out.len() <= p {
                out.resize(p + 1, 0);
            }
            out[p] = next;
        }
        Ok(out)
    }

    /// A member's view and lots are kept after every this many of its
    /// events (see [`crate::as_of`]).
    pub fn snapshot_every(&self) -> u64 {
        self.snapshot_every
    }

    /// Changes how often member snapshots are kept (tests use small values
    /// so short histories cross several).
    pub fn set_snapshot_every(&mut self, events: u64) {
        self.snapshot_every = events.max(1);
    }

    /// Bytes of member views (stored form) carried by each lane at most
    /// (tests make it small; 0 carries none).
    pub fn set_carry_bytes(&mut self, bytes: usize) {
        self.carry_bytes = bytes;
    }

    pub fn carry_bytes(&self) -> usize {
        self.carry_bytes
    }

    /// The documents the last batch committed, one carry per lane (empty
    /// after a failed batch or when the lanes changed).
    pub fn take_carries(&self, lanes: usize) -> Vec<Carry> {
        let mut carries =
            std::mem::take(&mut *self.carry.lock().unwrap_or_else(|e| e.into_inner()));
        if carries.len() != lanes {
            carries = (0..lanes).map(|_| Carry::default()).collect();
        }
        carries
    }

    pub fn put_carries(&self, carries: Vec<Carry>) {
        *self.carry.lock().unwrap_or_else(|e| e.into_inner()) = carries;
    }

    /// What the store holds in memory, by RocksDB's own count and the
    /// carry's (asked between batches: a batch takes the carry out).
    pub fn memory(&self) -> MemoryUse {
        let property = |name: &str| self.db.property_int_value(name).ok().flatten().unwrap_or(0);
        let carries = self.carry.lock().unwrap_or_else(|e| e.into_inner());
        MemoryUse {
            memtables: property("rocksdb.cur-size-all-mem-tables"),
            table_readers: property("rocksdb.estimate-table-readers-mem"),
            block_cache: property("rocksdb.block-cache-usage"),
            carried: carries.iter().map(|c| c.bytes() as u64).sum(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a batch atomically. No fsync per batch: the log is the source of
    /// truth, and the batch carries its own offsets, so after a crash the store
    /// resumes from whatever batch last made it to disk.
    pub fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut opts = WriteOptions::default();
        opts.set_sync(false);
        opts.disable_wal(!self.wal);
        Ok(self.db.write_opt(batch, &opts)?)
    }

    pub fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key)?)
    }

    pub fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.db.get_pinned(key)? {
            Some(bytes) => from_json(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Entries with keys in `[from, to)`, in key order.
    pub fn range(&self, from: &[u8], to: &[u8]) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .db
            .iterator(IteratorMode::From(from, Direction::Forward))
        {
            let (k, v) = item?;
            if &*k >= to {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// The last entry under `prefix` whose key is at most `key`.
    pub fn last_at_or_before(
        &self,
        prefix: &[u8],
        key: &[u8],
    ) -> Result<Option<Entry>, StoreError> {
        let mut it = self
            .db
            .iterator(IteratorMode::From(key, Direction::Reverse));
        match it.next().transpose()? {
            Some((k, v)) if k.starts_with(prefix) => Ok(Some((k.to_vec(), v.to_vec()))),
            _ => Ok(None),
        }
    }

    /// Next offset to consume per partition (0 where nothing was applied).
    pub fn applied_offsets(&self, partitions: u32) -> Result<Vec<u64>, StoreError> {
        (0..partitions)
            .map(|p| {
                Ok(self
                    .db
                    .get(keys::applied(p))?
                    .and_then(|v| v.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0))
            })
            .collect()
    }

    /// Up to `limit` entries under `prefix`, starting after `after` (a full key).
    pub fn scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        self.walk(prefix, after, |k, v| {
            if out.len() >= limit {
                return Ok(false);
            }
            out.push((k.to_vec(), v.to_vec()));
            Ok(true)
        })?;
        Ok(out)
    }

    /// Visits the entries under `prefix` in key order, after `after` (a
    /// full key) if given, while `visit` answers true. One iterator bounded
    /// to the prefix, so RocksDB stops at its end; nothing is copied.
    pub fn walk(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut options = ReadOptions::default();
        if let Some(end) = keys::prefix_end(prefix) {
            options.set_iterate_upper_bound(end);
        }
        let mut it = self.db.raw_iterator_opt(options);
        it.seek(after.unwrap_or(prefix));
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(prefix) {
                break;
            }
            if after != Some(k) && !visit(k, v)? {
                return Ok(());
            }
            it.next();
        }
        Ok(it.status()?)
    }

    /// How many keys there are under `prefix` (values are not read).
    pub fn count_prefix(&self, prefix: &[u8]) -> Result<usize, StoreError> {
        let mut it = self.db.raw_iterator();
        it.seek(prefix);
        let mut n = 0;
        while it.valid() && it.key().is_some_and(|k| k.starts_with(prefix)) {
            n += 1;
            it.next();
        }
        it.status()?;
        Ok(n)
    }

    /// Every key and value, in key order (for comparisons and verification).
    pub fn entries(&self) -> impl Iterator<Item = Result<RawEntry, StoreError>> + '_ {
        self.db
            .iterator(IteratorMode::Start)
            .map(|r| r.map_err(StoreError::from))
    }
}

/// Decodes a stored document, naming its key on failure.
pub fn from_json<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Json {
        key: String::from_utf8_lossy(key).into_owned(),
        source,
    })
}

/// Serializes a read-model document (our own types; cannot fail).
pub fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
