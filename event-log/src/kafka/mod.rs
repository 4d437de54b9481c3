//! The event log on a Kafka-protocol broker (Apache Kafka, Tansu, ...), with
//! rdkafka's bundled librdkafka.
//!
//! One topic, partitioned like the embedded log (the key decides the
//! partition, with Kafka's own partitioner function). Appends go through an
//! idempotent producer (`enable.idempotence`, `acks=all`), so a retried send
//! is never written twice by the broker; they are acknowledged once the
//! broker has every record. Readers are plain assigned consumers positioned
//! at start offsets (no consumer group: a reader owns its positions, as the
//! projector keeps them in RocksDB).

mod admin;
#[cfg(feature = "cli")]
mod args;
mod group;
mod reader;

use crate::error::LogError;
use crate::log::{EventLog, LogReader};
use crate::record::Record;
use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::sync::Arc;
use std::time::Duration;

pub use admin::{ensure_topic, topic_partitions};
#[cfg(feature = "cli")]
pub use args::KafkaArgs;
pub use group::{KafkaGroupReader, StartAt};

/// Where the log lives on the broker.
#[derive(Clone, Debug)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port]`.
    pub brokers: String,
    pub topic: String,
    /// Partitions of the topic when it has to be created.
    pub partitions: u32,
    pub replication_factor: i32,
}

pub struct KafkaLog {
    config: KafkaConfig,
    partitions: u32,
    producer: FutureProducer,
    /// For metadata and watermarks (blocking calls, run off the runtime).
    meta: Arc<BaseConsumer>,
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// librdkafka's default. Kafka answers a fetch as soon as a record is there;
/// Tansu 0.6.0 always sleeps about half of it, and lists every stored batch
/// of a partition on each fetch that finds data, so polling faster (we had
/// 50 ms) made its CPU grow with the log until it barely accepted writes.
const FETCH_WAIT_MS: &str = "500";

fn kafka_err(e: KafkaError) -> LogError {
    LogError::Backend(e.to_string())
}

impl KafkaLog {
    /// Connects, creating the topic if it is missing.
    pub async fn connect(config: KafkaConfig) -> Result<Arc<Self>, LogError> {
        ensure_topic(&config).await?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "2")
            // One record per batch: Tansu 0.6.0 answers a fetch that starts
            // inside a record batch with nothing (seen in the contract test
            // `batch_and_read_from_middle`), and readers resume at any offset.
            .set("batch.num.messages", "1")
            .set("message.timeout.ms", "30000")
            .create()
            .map_err(kafka_err)?;
        let meta: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("group.id", "loyalty-metadata")
            .set("enable.auto.commit", "false")
            .create()
            .map_err(kafka_err)?;
        let meta = Arc::new(meta);
        let partitions = {
            let (meta, topic) = (meta.clone(), config.topic.clone());
            tokio::task::spawn_blocking(move || admin::partition_count(&*meta, &topic))
                .await
                .map_err(|e| LogError::Backend(e.to_string()))??
        };
        Ok(Arc::new(KafkaLog {
            config,
            partitions,
            producer,
            meta,
        }))
    }

    pub fn config(&self) -> &KafkaConfig {
        &self.config
    }
}

#[async_trait]
impl EventLog for KafkaLog {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    async fn append(&self, partition: u32, records: Vec<Record>) -> Result<Vec<u64>, LogError> {
        if partition >= self.partitions {
            return Err(LogError::NoSuchPartition(partition));
        }
        // Enqueue all in order (the idempotent producer keeps that order),
        // then wait for every delivery.
        let mut pending = Vec::with_capacity(records.len());
        for r in &records {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
            for (k, v) in &r.headers {
                headers = headers.insert(Header {
                    key: k,
                    value: Some(v),
                });
            }
            let mut record = FutureRecord::to(&self.config.topic)
                .partition(partition as i32)
                .key(r.key.as_bytes())
                .payload(&r.payload)
                .headers(headers);
            loop {
                match self.producer.send_result(record) {
                    Ok(delivery) => {
                        pending.push(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err((e, _)) => return Err(kafka_err(e)),
                }
            }
        }
        let mut offsets = Vec::with_capacity(pending.len());
        for delivery in pending {
            match delivery.await {
                // After a broker restart, a resent batch the broker already
                // had is acknowledged (DuplicateSequenceNumber) with offset -1.
                Ok(Ok(d)) if d.offset < 0 => return Err(LogError::OffsetUnknown(partition)),
                Ok(Ok(d)) => offsets.push(d.offset as u64),
                Ok(Err((e, _))) => return Err(kafka_err(e)),
                Err(_) => return Err(LogError::Closed),
            }
        }
        Ok(offsets)
    }

    async fn end_offsets(&self) -> Result<Vec<u64>, LogError> {
        let (meta, topic, n) = (
            self.meta.clone(),
            self.config.topic.clone(),
            self.partitions,
        );
        tokio::task::spawn_blocking(move || {
            (0..n)
                .map(|p| {
                    meta.fetch_watermarks(&topic, p as i32, TIMEOUT)
                        .map(|(_, high)| high.max(0) as u64)
                        .map_err(kafka_err)
                })
                .collect()
        })
        .await
        .map_err(|e| LogError::Backend(e.to_string()))?
    }

    async fn reader(&self, start: Vec<u64>) -> Result<Box<dyn LogReader>, LogError> {
        Ok(Box::new(reader::KafkaReader::new(
            &self.config,
            (0..self.partitions).map(|p| (p, start.get(p as usize).copied().unwrap_or(0))),
        )?))
    }

    async fn partition_reader(
        &self,
        partition: u32,
        start: u64,
    ) -> Result<Box<dyn LogReader>, LogError> {
        if partition >= self.partitions {
            return Err(LogError::NoSuchPartition(partition));
        }
        Ok(Box::new(reader::KafkaReader::new(
            &self.config,
            [(partition, start)],
        )?))
    }
}
