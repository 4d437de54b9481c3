//! The commands topic: stores and apps send protobuf `CommandEnvelope`s keyed
//! `<program>/<member>`; the service consumes them in a consumer group,
//! decides each like an HTTP command, and writes a `CommandRejected` record
//! on the rejections topic for each one that produced no events. Offsets are
//! committed after a command is settled, so a crash re-delivers it and the
//! transaction id makes the retry harmless.

use crate::error::CommandError;
use crate::service::CommandService;
use event_log::{ensure_topic, KafkaConfig};
use ledger_core::command_codec::member_command;
use ledger_core::Rejection;
use loyalty_proto::{CommandEnvelope, CommandRejected, Message as _};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info_span, warn, Instrument};

/// Where commands come from and rejections go.
#[derive(Clone, Debug)]
pub struct IntakeConfig {
    pub brokers: String,
    pub commands_topic: String,
    pub rejections_topic: String,
    pub group_id: String,
    pub partitions: u32,
    pub replication_factor: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("log: {0}")]
    Log(#[from] event_log::LogError),
}

/// Consumes the commands topic until the process ends.
pub async fn run_intake(
    service: Arc<CommandService>,
    config: IntakeConfig,
) -> Result<(), IntakeError> {
    for topic in [&config.commands_topic, &config.rejections_topic] {
        ensure_topic(&KafkaConfig {
            brokers: config.brokers.clone(),
            topic: topic.clone(),
            partitions: config.partitions,
            replication_factor: config.replication_factor,
        })
        .await?;
    }
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", &config.group_id)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[&config.commands_topic])?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()?;
    loop {
        let message = consumer.recv().await?;
        settle(&service, &producer, &config.rejections_topic, &message).await;
        if let Err(e) = consumer.commit_message(&message, CommitMode::Async) {
            warn!(error = %e, "committing the commands offset failed; the command may be re-delivered");
        }
    }
}

/// Decides one command; retries infrastructure failures until it is settled.
async fn settle(
    service: &CommandService,
    producer: &FutureProducer,
    rejections: &str,
    m: &BorrowedMessage<'_>,
) {
    let envelope = CommandEnvelope::decode(m.payload().unwrap_or_default());
    let span = info_span!(
        "topic_command",
        partition = m.partition(),
        offset = m.offset()
    );
    async {
        loop {
            let outcome = match &envelope {
                Ok(env) => decide(service, env).await,
                Err(e) => Err(CommandError::Rejected(Rejection::invalid(format!(
                    "undecodable command: {e}"
                )))),
            };
            let rejection = match outcome {
                Ok(()) => return,
                Err(CommandError::Rejected(r)) => r,
                Err(other) => {
                    error!(error = %other, "command failed on infrastructure; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let record = rejected(envelope.as_ref().ok(), &rejection, m);
            let key = format!("{}/{}", record.program_id, record.member_id);
            let payload = record.encode_to_vec();
            match producer
                .send(
                    FutureRecord::to(rejections).key(&key).payload(&payload),
                    Duration::from_secs(30),
                )
                .await
            {
                Ok(_) => return,
                Err((e, _)) => {
                    error!(error = %e, "writing the rejection failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
    .instrument(span)
    .await
}

async fn decide(service: &CommandService, env: &CommandEnvelope) -> Result<(), CommandError> {
    let now = service.clock.now();
    let command = member_command(env, now)?;
    service
        .execute(&env.program_id, &env.member_id, command)
        .await
        .map(|_| ())
}

fn rejected(
    env: Option<&CommandEnvelope>,
    r: &Rejection,
    m: &BorrowedMessage<'_>,
) -> CommandRejected {
    let transaction_id = env
        .and_then(|e| member_command(e, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH).ok())
        .and_then(|c| c.transaction_id().map(str::to_string))
        .unwrap_or_default();
    CommandRejected {
        command_id: env.map(|e| e.command_id.clone()).unwrap_or_default(),
        program_id: env.map(|e| e.program_id.clone()).unwrap_or_default(),
        member_id: env.map(|e| e.member_id.clone()).unwrap_or_default(),
        transaction_id,
        code: r.code().to_string(),
        message: r.to_string(),
        command_partition: m.partition() as u32,
        command_offset: m.offset() as u64,
    }
}
