//! Creating the topic through the admin API when it is missing, and
//! reading an existing topic's partition count.

use super::{kafka_err, KafkaConfig, TIMEOUT};
use crate::error::LogError;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::types::RDKafkaErrorCode;

/// Creates the topic with the configured partitions and replication factor,
/// unless it already exists.
pub async fn ensure_topic(config: &KafkaConfig) -> Result<(), LogError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .map_err(kafka_err)?;
    let topic = NewTopic::new(
        &config.topic,
        config.partitions as i32,
        TopicReplication::Fixed(config.replication_factor),
    );
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let results = admin
        .create_topics([&topic], &options)
        .await
        .map_err(kafka_err)?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(LogError::Backend(format!("creating topic {name}: {code}")));
            }
        }
    }
    Ok(())
}

/// The partition count of an existing topic (an error if it has none).
/// Blocking: call it off the async runtime.
pub(super) fn partition_count<C: ConsumerContext>(
    meta: &BaseConsumer<C>,
    topic: &str,
) -> Result<u32, LogError> {
    let md = meta
        .fetch_metadata(Some(topic), TIMEOUT)
        .map_err(kafka_err)?;
    let partitions = md
        .topics()
        .first()
        .map_or(0, |t| t.partitions().len() as u32);
    if partitions == 0 {
        return Err(LogError::Backend(format!(
            "topic {topic} has no partitions"
        )));
    }
    Ok(partitions)
}

/// The partition count of an existing topic, over a short-lived connection.
pub async fn topic_partitions(brokers: &str, topic: &str) -> Result<u32, LogError> {
    let (brokers, topic) = (brokers.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let meta: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .create()
            .map_err(kafka_err)?;
        partition_count(&meta, &topic)
    })
    .await
    .map_err(|e| LogError::Backend(e.to_string()))?
}
