//! Command-line and environment arguments of a process that uses the Kafka log.

use super::KafkaConfig;

#[derive(clap::Args, Clone, Debug)]
pub struct KafkaArgs {
    /// Kafka bootstrap servers.
    #[arg(long, env = "LOYALTY_KAFKA_BROKERS")]
    pub brokers: String,
    /// Prefix of topic names (the events topic is `<prefix>events`).
    #[arg(long, env = "LOYALTY_TOPIC_PREFIX", default_value = "loyalty.")]
    pub topic_prefix: String,
    /// Partitions of topics created on start.
    #[arg(long, env = "LOYALTY_PARTITIONS", default_value_t = 8)]
    pub partitions: u32,
    /// Replication factor of topics created on start.
    #[arg(long, env = "LOYALTY_REPLICATION_FACTOR", default_value_t = 1)]
    pub replication_factor: i32,
}

impl KafkaArgs {
    /// The events topic's configuration.
    pub fn events(&self) -> KafkaConfig {
        self.topic("events")
    }

    /// Configuration of the topic `<prefix><name>`.
    pub fn topic(&self, name: &str) -> KafkaConfig {
        KafkaConfig {
            brokers: self.brokers.clone(),
            topic: format!("{}{name}", self.topic_prefix),
            partitions: self.partitions,
            replication_factor: self.replication_factor,
        }
    }
}
