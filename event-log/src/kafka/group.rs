//! A reader in a consumer group whose positions are kept by the reader's own
//! store, not by the group: on every assignment the partitions start where
//! `start` says (the projector's offsets in RocksDB, written in the same
//! batch as the read models). The group decides who reads what and shows
//! lag to the usual tools; offsets are committed to it only as information.

use super::reader::poll_consumer;
use super::{kafka_err, KafkaConfig};
use crate::error::LogError;
use crate::log::LogReader;
use crate::record::StoredRecord;
use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{info, warn};

/// Where a partition's reading starts (the next offset to read).
pub type StartAt = Arc<dyn Fn(u32) -> Result<u64, String> + Send + Sync>;

pub struct GroupContext {
    topic: String,
    start: StartAt,
    assigned: Arc<Mutex<Vec<u32>>>,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    /// Assigns (eager protocol) at the store's offsets instead of the group's.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let mut assigned = self.assigned.lock().unwrap_or_else(|e| e.into_inner());
        assigned.clear();
        let result = if err == RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let mut at = TopicPartitionList::new();
            for e in tpl.elements() {
                let p = e.partition() as u32;
                let offset = match (self.start)(p) {
                    Ok(o) => Offset::Offset(o as i64),
                    Err(e) => {
                        warn!(partition = p, error = %e, "no stored offset; reading from the start");
                        Offset::Beginning
                    }
                };
                if at
                    .add_partition_offset(&self.topic, e.partition(), offset)
                    .is_ok()
                {
                    assigned.push(p);
                }
            }
            info!(partitions = ?*assigned, "assigned");
            consumer.assign(&at)
        } else {
            info!("partitions revoked");
            consumer.unassign()
        };
        if let Err(e) = result {
            warn!(error = %e, "applying the group's assignment failed");
        }
    }
}

pub struct KafkaGroupReader {
    consumer: StreamConsumer<GroupContext>,
    assigned: Arc<Mutex<Vec<u32>>>,
    topic: String,
}

impl KafkaGroupReader {
    pub fn new(config: &KafkaConfig, group_id: &str, start: StartAt) -> Result<Self, LogError> {
        let assigned = Arc::new(Mutex::new(Vec::new()));
        let context = GroupContext {
            topic: config.topic.clone(),
            start,
            assigned: assigned.clone(),
        };
        let consumer: StreamConsumer<GroupContext> = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("group.id", group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", super::FETCH_WAIT_MS)
            // A replacement after a crash gets the partitions 6 s later, not 45 s.
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(context)
            .map_err(kafka_err)?;
        consumer.subscribe(&[&config.topic]).map_err(kafka_err)?;
        Ok(KafkaGroupReader {
            consumer,
            assigned,
            topic: config.topic.clone(),
        })
    }

    /// The partitions the group gave this reader.
    pub fn assigned(&self) -> Vec<u32> {
        self.assigned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl LogReader for KafkaGroupReader {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<StoredRecord>, LogError> {
        poll_consumer(&self.consumer, max, wait).await
    }

    async fn applied(&mut self, next: &[(u32, u64)]) -> Result<(), LogError> {
        let mut list = TopicPartitionList::new();
        for (p, offset) in next {
            list.add_partition_offset(&self.topic, *p as i32, Offset::Offset(*offset as i64))
                .map_err(kafka_err)?;
        }
        if let Err(e) = self.consumer.commit(&list, CommitMode::Async) {
            // Information only: the store holds the real positions.
            warn!(error = %e, "committing offsets to the group failed");
        }
        Ok(())
    }
}
