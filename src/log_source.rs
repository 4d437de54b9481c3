//! Which log a command reads: the events topic on Kafka, or the embedded
//! log of a `loyalty serve` data directory (server stopped).

use crate::embedded::DataDir;
use anyhow::Context;
use event_log::{EventLog, KafkaConfig, KafkaLog};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct LogArgs {
    /// Kafka mode: the events topic on these bootstrap servers. Without it,
    /// `--data-dir` is a `loyalty serve` data directory (log and read models).
    #[arg(long, env = "LOYALTY_KAFKA_BROKERS")]
    pub brokers: Option<String>,
    /// Prefix of the Kafka topic names (the events topic is `<prefix>events`).
    #[arg(long, env = "LOYALTY_TOPIC_PREFIX", default_value = "loyalty.")]
    pub topic_prefix: String,
    /// Partitions of the events topic if it has to be created.
    #[arg(long, env = "LOYALTY_PARTITIONS", default_value_t = 8)]
    pub partitions: u32,
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl LogArgs {
    pub async fn open(&self) -> anyhow::Result<Arc<dyn EventLog>> {
        match &self.brokers {
            Some(brokers) => {
                let log: Arc<dyn EventLog> = KafkaLog::connect(KafkaConfig {
                    brokers: brokers.clone(),
                    topic: format!("{}events", self.topic_prefix),
                    partitions: self.partitions,
                    replication_factor: 1,
                })
                .await
                .context("connecting to Kafka")?;
                Ok(log)
            }
            None => DataDir::new(&self.data_dir).open_existing_log(),
        }
    }
}
