//! A reader over the topic: an assigned consumer positioned at start offsets.

use super::{kafka_err, KafkaConfig};
use crate::error::LogError;
use crate::log::LogReader;
use crate::record::StoredRecord;
use async_trait::async_trait;
use futures::FutureExt;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::time::Duration;

pub struct KafkaReader {
    consumer: StreamConsumer,
}

impl KafkaReader {
    /// Assigned to each `(partition, start offset)` given.
    pub fn new(
        config: &KafkaConfig,
        starts: impl IntoIterator<Item = (u32, u64)>,
    ) -> Result<Self, LogError> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            // A group id is required by librdkafka; nothing is committed to it.
            .set("group.id", format!("loyalty-reader-{}", std::process::id()))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", super::FETCH_WAIT_MS)
            .create()
            .map_err(kafka_err)?;
        let mut assignment = TopicPartitionList::new();
        for (p, offset) in starts {
            assignment
                .add_partition_offset(&config.topic, p as i32, Offset::Offset(offset as i64))
                .map_err(kafka_err)?;
        }
        consumer.assign(&assignment).map_err(kafka_err)?;
        Ok(KafkaReader { consumer })
    }
}

pub(super) fn stored(m: &rdkafka::message::BorrowedMessage<'_>) -> StoredRecord {
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        h.value.map(<[u8]>::to_vec).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    StoredRecord {
        partition: m.partition() as u32,
        offset: m.offset() as u64,
        key: m
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default(),
        headers,
        payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
    }
}

#[async_trait]
impl LogReader for KafkaReader {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<StoredRecord>, LogError> {
        poll_consumer(&self.consumer, max, wait).await
    }
}

/// Up to `max` records: waits up to `wait` for the first, then takes what
/// is already fetched without waiting.
pub(super) async fn poll_consumer<C: ConsumerContext + 'static>(
    consumer: &StreamConsumer<C>,
    max: usize,
    wait: Duration,
) -> Result<Vec<StoredRecord>, LogError> {
    let mut out = Vec::new();
    match tokio::time::timeout(wait, consumer.recv()).await {
        Err(_) => return Ok(out),
        Ok(Err(e)) => return transient(e),
        Ok(Ok(m)) => out.push(stored(&m)),
    }
    while out.len() < max.max(1) {
        match consumer.recv().now_or_never() {
            Some(Ok(m)) => out.push(stored(&m)),
            Some(Err(_)) | None => break,
        }
    }
    Ok(out)
}

/// A consumer error while polling: librdkafka reconnects and resumes by
/// itself (a broker restart, a leader move), so the poll answers nothing
/// and the caller polls again.
pub(super) fn transient(e: rdkafka::error::KafkaError) -> Result<Vec<StoredRecord>, LogError> {
    tracing::warn!(error = %e, "consumer error; librdkafka retries");
    Ok(Vec::new())
}
