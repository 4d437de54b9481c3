//! Who owns which partition, for routing HTTP commands in Kafka mode: each
//! instance announces the partitions it acquires on a small `owners` topic
//! (one partition; key = partition number, value = instance id and URL) and
//! follows it. The latest announcement for a partition wins.

use event_log::{EventLog, KafkaConfig, KafkaLog, LogError, Record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tracing::warn;

/// One instance, as announced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub instance: String,
    /// Base URL of its HTTP API, e.g. `http://10.0.0.7:8080`.
    pub url: String,
}

pub struct OwnerDirectory {
    log: Arc<KafkaLog>,
    me: Owner,
    owners: RwLock<HashMap<u32, Owner>>,
}

impl OwnerDirectory {
    /// Connects to the owners topic (created with one partition if missing).
    pub async fn connect(
        brokers: &str,
        topic: &str,
        replication_factor: i32,
        me: Owner,
    ) -> Result<Arc<Self>, LogError> {
        let log = KafkaLog::connect(KafkaConfig {
            brokers: brokers.to_string(),
            topic: topic.to_string(),
            partitions: 1,
            replication_factor,
        })
        .await?;
        Ok(Arc::new(OwnerDirectory {
            log,
            me,
            owners: RwLock::default(),
        }))
    }

    pub fn me(&self) -> &Owner {
        &self.me
    }

    /// The last announced owner of `partition`.
    pub fn owner(&self, partition: u32) -> Option<Owner> {
        let owners = self.owners.read().unwrap_or_else(|e| e.into_inner());
        owners.get(&partition).cloned()
    }

    /// Announces that this instance owns `partition`.
    pub async fn announce(&self, partition: u32) -> Result<(), LogError> {
        let record = Record {
            key: partition.to_string(),
            headers: Vec::new(),
            payload: serde_json::to_vec(&self.me).unwrap_or_default(),
        };
        self.log.append(0, vec![record]).await?;
        self.note(partition, self.me.clone());
        Ok(())
    }

    fn note(&self, partition: u32, owner: Owner) {
        let mut owners = self.owners.write().unwrap_or_else(|e| e.into_inner());
        owners.insert(partition, owner);
    }

    /// Follows the topic from its start until the process ends.
    pub async fn follow(self: Arc<Self>) -> Result<(), LogError> {
        let mut reader = self.log.reader(vec![0]).await?;
        loop {
            for record in reader.poll(1000, Duration::from_millis(500)).await? {
                let parsed = record
                    .key
                    .parse::<u32>()
                    .ok()
                    .zip(serde_json::from_slice::<Owner>(&record.payload).ok());
                match parsed {
                    Some((partition, owner)) => self.note(partition, owner),
                    None => warn!(offset = record.offset, "ignoring a malformed owners record"),
                }
            }
        }
    }
}
