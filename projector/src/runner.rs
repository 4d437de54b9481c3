//! The projector loop: poll a batch from the log, fold it through an
//! overlay, commit it with its offsets, tell waiting readers.

use crate::fold::{fold, At};
use crate::folder::Folder;
use crate::gate::admit_record;
use crate::overlay::Overlay;
use crate::store::{Store, StoreError};
use crate::threads;
use event_log::{EventLog, LogReader, StoredRecord};
use ledger_core::chain::digest;
use ledger_core::codec::{from_envelope, meta_of, EnvelopeMeta};
use ledger_core::Event;
use loyalty_proto::{EventEnvelope, Message};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{debug_span, error};

/// Events per batch: large, so RocksDB sees few big writes.
pub const BATCH: usize = 8_192;

/// Where a batch's time went (`loyalty bench rebuild` reports it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Split {
    /// Protobuf to envelope to domain event, and the sequence gate.
    pub decode: Duration,
    /// Folding into the overlay (reads of documents not yet in it included).
    pub fold: Duration,
    /// Serializing the overlay and the RocksDB write.
    pub commit: Duration,
}

/// Folds records into the store in one atomic write with their offsets.
/// Returns how many were applied (repeats are skipped).
pub fn apply_records(store: &Store, records: &[StoredRecord]) -> Result<usize, StoreError> {
    apply_records_timed(store, records, &mut Split::default())
}

/// [`apply_records`], adding where the time went to `split`.
///
/// Accounts never span partitions, so the batch is folded in lanes of
/// partitions (partition modulo [`lanes`]), each with its own overlay and,
/// in a batch of [`threads::WORTH_THREADS`] records or more, on a thread of
/// its own; their documents are committed together.
pub fn apply_records_timed(
    store: &Store,
    records: &[StoredRecord],
    split: &mut Split,
) -> Result<usize, StoreError> {
    let _span = debug_span!("projector_batch", events = records.len()).entered();
    let started = Instant::now();
    let lanes = lanes();
    let mut groups: Vec<Vec<&StoredRecord>> = vec![Vec::new(); lanes];
    for r in records {
        groups[r.partition as usize % lanes].push(r);
    }
    let overlays: Vec<Overlay> = store
        .take_carries(lanes)
        .into_iter()
        .map(|carry| {
            Overlay::new(store)
                .snapshotting(store.snapshot_every())
                .carrying(carry)
        })
        .collect();
    let busy = groups.iter().filter(|g| !g.is_empty()).count();
    let parallel = busy > 1 && records.len() >= threads::WORTH_THREADS;
    let work: Vec<_> = overlays.into_iter().zip(&groups).collect();
    let folded: Vec<Result<Lane, StoreError>> =
        threads::each(work, parallel, |(ov, g)| fold_lane(ov, g));
    let mut overlays = Vec::with_capacity(lanes);
    let (mut applied, mut decode, mut fold) = (0, Duration::ZERO, Duration::ZERO);
    for lane in folded {
        let lane = lane?;
        overlays.push(lane.overlay);
        applied += lane.applied;
        decode += lane.split.decode;
        fold += lane.split.fold;
    }
    // The lanes ran side by side: their wall time, in their proportions.
    let wall = started.elapsed();
    let share = decode.as_secs_f64() / (decode + fold).as_secs_f64().max(1e-12);
    split.decode += wall.mul_f64(share);
    split.fold += wall.mul_f64(1.0 - share);
    let started = Instant::now();
    store.put_carries(Overlay::commit_all(overlays, parallel, store)?);
    split.commit += started.elapsed();
    Ok(applied)
}

/// Lanes a batch is folded in: one per core, at most four. Asked once:
/// the answer reads cgroup files.
pub fn lanes() -> usize {
    static LANES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LANES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

/// One lane's fold of a batch.
struct Lane<'s> {
    overlay: Overlay<'s>,
    applied: usize,
    split: Split,
}

/// Folds one lane's records (its partitions', in log order) into `ov`.
fn fold_lane<'s>(mut ov: Overlay<'s>, records: &[&StoredRecord]) -> Result<Lane<'s>, StoreError> {
    let mut split = Split::default();
    let mut applied = 0;
    let mut clock = Instant::now();
    let mut lap = |slot: &mut Duration| {
        let now = Instant::now();
        *slot += now - clock;
        clock = now;
    };
    for r in records {
        let env = decode(r.partition, r.offset, &r.payload)?;
        for held in admit_record(&mut ov, &env, r)? {
            // A held group's earlier records are decoded again; the usual
            // single record is the one just decoded.
            let earlier;
            let env = if held.offset == r.offset && held.partition == r.partition {
                &env
            } else {
                earlier = decode(held.partition, held.offset, &held.payload)?;
                &earlier
            };
            let at = At {
                partition: held.partition,
                offset: held.offset,
                payload: &held.payload,
                digest: &digest(&held.payload),
            };
            let (meta, event) = domain(env, &at)?;
            lap(&mut split.decode);
            fold(&mut ov, &meta, &event, at)?;
            lap(&mut split.fold);
            applied += 1;
        }
        ov.consumed(r.partition, r.offset);
    }
    lap(&mut split.decode);
    Ok(Lane {
        overlay: ov,
        applied,
        split,
    })
}

fn decode(partition: u32, offset: u64, payload: &[u8]) -> Result<EventEnvelope, StoreError> {
    EventEnvelope::decode(payload).map_err(|e| StoreError::Decode {
        partition,
        offset,
        message: e.to_string(),
    })
}

/// Folds one stored event known to be its account's next (a point-in-time
/// view folds a member's stored events this way).
pub fn fold_stored(ov: &mut Overlay, at: At<'_>) -> Result<(), StoreError> {
    let env = decode(at.partition, at.offset, at.payload)?;
    fold_envelope(ov, &env, at)
}

/// Folds one admitted event.
fn fold_envelope(ov: &mut Overlay, env: &EventEnvelope, at: At<'_>) -> Result<(), StoreError> {
    let (meta, event) = domain(env, &at)?;
    fold(ov, &meta, &event, at)?;
    Ok(())
}

/// The domain event and its metadata from an envelope.
fn domain(env: &EventEnvelope, at: &At<'_>) -> Result<(EnvelopeMeta, Event), StoreError> {
    let decode_err = |message: String| StoreError::Decode {
        partition: at.partition,
        offset: at.offset,
        message,
    };
    let meta = meta_of(env).map_err(|e| decode_err(e.to_string()))?;
    let event = from_envelope(env).map_err(|e| decode_err(e.to_string()))?;
    Ok((meta, event))
}

/// The running projector: owns the store's writes.
pub struct Projector {
    store: Arc<Store>,
    applied: watch::Sender<Vec<u64>>,
}

impl Projector {
    pub fn new(store: Arc<Store>, partitions: u32) -> Result<Self, StoreError> {
        let offsets = store.applied_offsets(partitions)?;
        Ok(Projector {
            store,
            applied: watch::Sender::new(offsets),
        })
    }

    /// Applied offsets (next offset per partition), updated after every commit.
    pub fn subscribe(&self) -> watch::Receiver<Vec<u64>> {
        self.applied.subscribe()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Follows the log until `shutdown` turns true.
    pub async fn run(
        &self,
        log: Arc<dyn EventLog>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        let start = self.store.applied_offsets(log.partitions())?;
        let reader = log.reader(start).await?;
        self.follow(reader, shutdown).await
    }

    /// Folds what `reader` delivers until `shutdown` turns true. The reader
    /// must start at the store's offsets (a group reader asks the store on
    /// every assignment).
    pub async fn follow(
        &self,
        mut reader: Box<dyn LogReader>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), StoreError> {
        let folder = Folder::start(self.store.clone())?;
        loop {
            let batch = tokio::select! {
                b = reader.poll(BATCH, Duration::from_millis(250)) => b?,
                _ = shutdown.changed() => return Ok(()),
            };
            if *shutdown.borrow() {
                return Ok(());
            }
            if batch.is_empty() {
                continue;
            }
            let offsets: Vec<(u32, u64)> = batch.iter().map(|r| (r.partition, r.offset)).collect();
            if let Err(e) = folder.fold(batch).await {
                error!(error = %e, "projector batch failed");
                return Err(e);
            }
            self.applied.send_modify(|applied| {
                for (p, o) in &offsets {
                    if let Some(next) = applied.get_mut(*p as usize) {
                        *next = (*next).max(o + 1);
                    }
                }
            });
            let next: Vec<(u32, u64)> = {
                let applied = self.applied.borrow();
                let mut ps: Vec<u32> = offsets.iter().map(|(p, _)| *p).collect();
                ps.dedup();
                ps.into_iter()
                    .filter_map(|p| applied.get(p as usize).map(|n| (p, *n)))
                    .collect()
            };
            reader.applied(&next).await?;
        }
    }
}
