//! One writer per partition in Kafka mode. The commands topic's consumer
//! group decides which instance writes which events partition: both topics
//! have the same partition count and the same key (`<program>/<member>`), so
//! commands partition p and events partition p hold the same accounts. On
//! assignment an instance brings the partition's accounts up to the events
//! topic's end and announces itself; on revocation it stops writing at once.
//! Overlaps (a paused process that has not noticed yet) are settled by the
//! sequence gate on the log, not by the group (see README).

use crate::owners::OwnerDirectory;
use crate::service::CommandService;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, TopicPartitionList};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{error, info};

/// A change of the group's assignment, in the order the group made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Assigned(Vec<u32>),
    Revoked(Vec<u32>),
}

/// The commands consumer's context: it reports rebalances and keeps the set
/// of assigned partitions, which the intake checks before deciding, and how
/// many times each was assigned (an assignment's commands are re-delivered
/// from the committed offset, so a worker tells them from stale ones).
pub struct GroupContext {
    changes: mpsc::UnboundedSender<Change>,
    assigned: Arc<Mutex<BTreeSet<u32>>>,
    generations: Mutex<HashMap<u32, u64>>,
}

impl GroupContext {
    pub fn new(changes: mpsc::UnboundedSender<Change>) -> Self {
        GroupContext {
            changes,
            assigned: Arc::default(),
            generations: Mutex::default(),
        }
    }

    /// How many times `partition` has been assigned to this consumer: a
    /// message received now belongs to that assignment.
    pub fn generation(&self, partition: u32) -> u64 {
        let generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        generations.get(&partition).copied().unwrap_or_default()
    }

    /// Whether the group has `partition` assigned to this consumer now.
    pub fn is_assigned(&self, partition: u32) -> bool {
        let assigned = self.assigned.lock().unwrap_or_else(|e| e.into_inner());
        assigned.contains(&partition)
    }
}

fn partitions(list: &TopicPartitionList) -> Vec<u32> {
    list.elements()
        .iter()
        .filter_map(|e| u32::try_from(e.partition()).ok())
        .collect()
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let revoked = partitions(list);
            let mut assigned = self.assigned.lock().unwrap_or_else(|e| e.into_inner());
            for p in &revoked {
                assigned.remove(p);
            }
            let _ = self.changes.send(Change::Revoked(revoked));
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let given = partitions(list);
            {
                let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
                for p in &given {
                    *generations.entry(*p).or_default() += 1;
                }
            }
            let mut assigned = self.assigned.lock().unwrap_or_else(|e| e.into_inner());
            assigned.extend(&given);
            let _ = self.changes.send(Change::Assigned(given));
        }
    }
}

/// Applies assignment changes in order until the channel closes: a revoked
/// partition stops being written at once; an assigned one is brought up to
/// date, then announced. State of partitions that did not come back is
/// dropped once an assignment arrives.
pub async fn run_ownership(
    service: Arc<CommandService>,
    mut changes: mpsc::UnboundedReceiver<Change>,
    owners: Option<Arc<OwnerDirectory>>,
) {
    while let Some(change) = changes.recv().await {
        match change {
            Change::Revoked(ps) => {
                for p in ps {
                    service.release(p).await;
                }
            }
            Change::Assigned(ps) => {
                for p in ps {
                    acquire(&service, p).await;
                    if let Some(owners) = &owners {
                        announce(owners, p).await;
                    }
                }
                service.forget_released().await;
                let owned = service.owned().await;
                info!(?owned, "partition ownership settled");
            }
        }
    }
}

/// Acquires a partition, retrying while the log is unreachable.
async fn acquire(service: &CommandService, partition: u32) {
    while let Err(e) = service.acquire(partition).await {
        error!(partition, error = %e, "acquiring the partition failed; retrying");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn announce(owners: &OwnerDirectory, partition: u32) {
    while let Err(e) = owners.announce(partition).await {
        error!(partition, error = %e, "announcing ownership failed; retrying");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
