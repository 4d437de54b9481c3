//! The commands topic: stores and apps send protobuf `CommandEnvelope`s keyed
//! `<program>/<member>`; the service consumes them in a consumer group,
//! decides each like an HTTP command, and writes a `CommandRejected` record
//! on the rejections topic for each one that produced no events. Offsets are
//! committed after a command is settled, so a crash re-delivers it and the
//! transaction id makes the retry harmless.
//!
//! The group's assignment is also the writer's ownership of events
//! partitions (see `ownership`): a command is decided only once its
//! partition is owned, and one whose partition was revoked meanwhile is left
//! uncommitted for its new owner. Commands fetched under an earlier
//! assignment of a partition are skipped: deciding one after a command was
//! given up would commit past it, and the new assignment re-delivers them
//! all, in order, from the committed offset.
//!
//! The ledger's own follow-ups (a transfer's receive, a group's join, ...)
//! come this way too, from the courier of the account that asked for them;
//! they are decided only under a valid seal (see `seal`), so a producer
//! cannot credit points by writing one.

use crate::error::CommandError;
use crate::ownership::{Change, GroupContext};
use crate::seal::{SealKeys, SEAL_HEADER};
use crate::service::CommandService;
use event_log::{ensure_topic, topic_partitions, KafkaConfig};
use ledger_core::command_codec::member_command;
use ledger_core::Rejection;
use loyalty_proto::{CommandEnvelope, CommandRejected, Message as _};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{error, info, info_span, warn, Instrument};

/// Where commands come from and rejections go.
#[derive(Clone, Debug)]
pub struct IntakeConfig {
    pub brokers: String,
    pub commands_topic: String,
    pub rejections_topic: String,
    pub group_id: String,
    pub partitions: u32,
    pub replication_factor: i32,
    /// What follow-ups must be sealed with.
    pub keys: SealKeys,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("log: {0}")]
    Log(#[from] event_log::LogError),
    #[error("the worker of commands partition {0} died")]
    WorkerDied(u32),
    #[error("the commands topic has {commands} partitions, the events topic {events}: they must match for partition ownership")]
    PartitionMismatch { commands: u32, events: u32 },
}

/// Consumes the commands topic until `stop` turns true, reporting the
/// group's assignment changes on `changes`. On stop, the commands in hand
/// are settled, queued ones are left uncommitted, and the consumer leaves
/// the group, so its partitions move to the other replicas at once.
pub async fn run_intake(
    service: Arc<CommandService>,
    config: IntakeConfig,
    changes: mpsc::UnboundedSender<Change>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), IntakeError> {
    for topic in [&config.commands_topic, &config.rejections_topic] {
        ensure_topic(&topic_config(&config, topic)).await?;
    }
    let commands = topic_partitions(&config.brokers, &config.commands_topic).await?;
    let events = service.log().partitions();
    if commands != events {
        return Err(IntakeError::PartitionMismatch { commands, events });
    }
    let consumer: StreamConsumer<GroupContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", &config.group_id)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // A dead instance's partitions move on after 30 s, not librdkafka's
        // 45 s; shorter makes a busy broker (Tansu on sqlite) drop live members.
        .set("session.timeout.ms", "30000")
        .set("heartbeat.interval.ms", "3000")
        .create_with_context(GroupContext::new(changes))?;
    consumer.subscribe(&[&config.commands_topic])?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        // One record per batch: Tansu 0.6.0 answers a fetch that starts
        // inside a batch with nothing (rejection readers resume anywhere).
        .set("batch.num.messages", "1")
        .create()?;
    let intake = Arc::new(Intake {
        service,
        consumer,
        producer,
        rejections: config.rejections_topic.clone(),
        keys: config.keys.clone(),
    });
    // One worker per partition: a partition's commands in order, partitions in parallel.
    let mut workers: HashMap<u32, (mpsc::Sender<Delivery>, JoinHandle<()>)> = HashMap::new();
    loop {
        let received = tokio::select! {
            r = intake.consumer.recv() => r.map(|m| m.detach()),
            _ = stop.changed() => break,
        };
        let message = match received {
            Ok(m) => m,
            Err(e) => {
                // librdkafka reconnects by itself (a broker restart, a leader move).
                warn!(error = %e, "commands consumer error; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let partition = message.partition() as u32;
        // The rebalance callbacks run inside `recv`, so this is the
        // assignment the message was fetched under.
        let delivery = Delivery {
            assignment: intake.consumer.context().generation(partition),
            message,
        };
        let (worker, _) = workers.entry(partition).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(WORKER_QUEUE);
            (
                tx,
                tokio::spawn(intake.clone().work(partition, rx, stop.clone())),
            )
        });
        if worker.send(delivery).await.is_err() {
            // A worker ends only on stop; one that died (a bug) dropped its
            // queue, and committing past it would lose commands: stop, and
            // let the restart re-deliver from the committed offsets.
            error!(partition, "a commands worker died; leaving the group");
            return Err(IntakeError::WorkerDied(partition));
        }
    }
    // Let every worker finish the command in hand (queued ones stay
    // uncommitted for the next owner), then leave the group: dropping the
    // last reference closes the consumer.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for (_, (queue, worker)) in workers.drain() {
        drop(queue);
        let _ = tokio::time::timeout_at(deadline, worker).await;
    }
    drop(intake);
    Ok(())
}

/// Commands queued per partition worker.
const WORKER_QUEUE: usize = 1024;

/// A consumed command and the assignment of its partition it came under.
struct Delivery {
    assignment: u64,
    message: OwnedMessage,
}

struct Intake {
    service: Arc<CommandService>,
    consumer: StreamConsumer<GroupContext>,
    producer: FutureProducer,
    rejections: String,
    keys: SealKeys,
}

impl Intake {
    /// Settles one partition's commands in order, committing each once
    /// settled. A command of an earlier assignment of the partition is left
    /// alone: the current assignment re-delivers it from the committed offset.
    async fn work(
        self: Arc<Self>,
        partition: u32,
        mut queue: mpsc::Receiver<Delivery>,
        stop: watch::Receiver<bool>,
    ) {
        while let Some(Delivery {
            assignment,
            message,
        }) = queue.recv().await
        {
            if *stop.borrow() {
                return;
            }
            let group = self.consumer.context();
            if !owned_under(&self.service, group, partition, assignment).await {
                continue;
            }
            if let Some(right) = self.misrouted(&message) {
                self.reroute(&message, right).await;
            } else if !self.settle(&message).await {
                info!(
                    partition,
                    offset = message.offset(),
                    assignment,
                    "left the command to the partition's next assignment"
                );
                continue;
            }
            if let Err(e) = self.commit(&message) {
                warn!(error = %e, "committing the commands offset failed; the command may be re-delivered");
            }
        }
    }

    /// The partition a command belongs on when a producer partitioned it
    /// differently (librdkafka's default is CRC32, the ledger's is Kafka's
    /// murmur2): the account's events partition.
    fn misrouted(&self, m: &OwnedMessage) -> Option<i32> {
        let env = CommandEnvelope::decode(m.payload().unwrap_or_default()).ok()?;
        let key = crate::encode::account_key(&env.program_id, &env.member_id);
        let right = self.service.log().partition_for(&key) as i32;
        (right != m.partition()).then_some(right)
    }

    /// Moves a misrouted command to its partition (in order: this worker
    /// handles its source partition one command at a time), where the
    /// partition's owner decides it.
    async fn reroute(&self, m: &OwnedMessage, right: i32) {
        let payload = m.payload().unwrap_or_default();
        let key = m.key().unwrap_or_default();
        loop {
            let mut record = FutureRecord::to(m.topic())
                .partition(right)
                .key(key)
                .payload(payload);
            // A follow-up keeps its seal.
            if let Some(headers) = m.headers() {
                record = record.headers(headers.clone());
            }
            match self.producer.send(record, Duration::from_secs(30)).await {
                Ok(_) => return,
                Err((e, _)) => {
                    error!(error = %e, "re-routing a command failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Decides one command; retries infrastructure failures until it is
    /// settled (true), or gives it up to the partition's new owner (false).
    async fn settle(&self, m: &OwnedMessage) -> bool {
        let envelope = CommandEnvelope::decode(m.payload().unwrap_or_default());
        let follow_up = envelope.as_ref().is_ok_and(is_follow_up);
        let span = info_span!(
            "topic_command",
            partition = m.partition(),
            offset = m.offset()
        );
        async {
            loop {
                let answer = match &envelope {
                    Ok(_) if follow_up && !self.sealed(m) => {
                        warn!("refused a follow-up command without a valid seal");
                        Answer::unsealed()
                    }
                    Ok(env) => match decide(&self.service, env).await {
                        Ok(()) => return true,
                        // A follow-up for a program this instance has not read
                        // yet (it just started): its answer would be wrong, so wait.
                        Err(CommandError::Rejected(Rejection::ProgramNotFound(_)))
                            if follow_up =>
                        {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            continue;
                        }
                        Err(CommandError::Rejected(r)) => Answer::from(&r),
                        Err(CommandError::NotOwner { partition }) => {
                            warn!(partition, "the partition moved away before the command was decided; its new owner will");
                            return false;
                        }
                        Err(other) => {
                            error!(error = %other, "command failed on infrastructure; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            continue;
                        }
                    },
                    Err(e) => Answer::from(&Rejection::invalid(format!("undecodable command: {e}"))),
                };
                if self.reject(envelope.as_ref().ok(), &answer, m).await {
                    return true;
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Whether the record carries a valid seal of its payload.
    fn sealed(&self, m: &OwnedMessage) -> bool {
        let payload = m.payload().unwrap_or_default();
        m.headers().is_some_and(|headers| {
            headers.iter().any(|h| {
                h.key == SEAL_HEADER && h.value.is_some_and(|v| self.keys.verifies(payload, v))
            })
        })
    }

    /// Writes a command's rejection record; false (after a pause) when the
    /// broker did not take it.
    async fn reject(
        &self,
        env: Option<&CommandEnvelope>,
        answer: &Answer,
        m: &OwnedMessage,
    ) -> bool {
        let record = rejected(env, answer, m);
        let key = format!("{}/{}", record.program_id, record.member_id);
        let payload = record.encode_to_vec();
        let sent = self
            .producer
            .send(
                FutureRecord::to(&self.rejections)
                    .key(&key)
                    .payload(&payload),
                Duration::from_secs(30),
            )
            .await;
        match sent {
            Ok(_) => true,
            Err((e, _)) => {
                error!(error = %e, "writing the rejection failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                false
            }
        }
    }

    fn commit(&self, m: &OwnedMessage) -> rdkafka::error::KafkaResult<()> {
        let mut next = TopicPartitionList::new();
        next.add_partition_offset(m.topic(), m.partition(), Offset::Offset(m.offset() + 1))?;
        self.consumer.commit(&next, CommitMode::Async)
    }
}

fn topic_config(config: &IntakeConfig, topic: &str) -> KafkaConfig {
    KafkaConfig {
        brokers: config.brokers.clone(),
        topic: topic.to_string(),
        partitions: config.partitions,
        replication_factor: config.replication_factor,
    }
}

/// Waits until the service owns `partition` under `assignment` (its state
/// is being brought up to date); false once the group has taken the
/// partition away or assigned it again (which re-delivers the command).
async fn owned_under(
    service: &CommandService,
    group: &GroupContext,
    partition: u32,
    assignment: u64,
) -> bool {
    loop {
        // Ownership is taken after the assignment is counted, so an owner
        // seen here has its assignment counted already.
        if service.owns(partition).await {
            return group.generation(partition) == assignment;
        }
        if !group.is_assigned(partition) || group.generation(partition) != assignment {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The rejection code of a follow-up command without a valid seal.
pub const UNSEALED: &str = "unsealed_follow_up";

/// The code and message of a rejection record.
struct Answer {
    code: String,
    message: String,
}

impl Answer {
    fn unsealed() -> Self {
        Answer {
            code: UNSEALED.to_string(),
            message: "a ledger follow-up command without a valid seal: only the \
                      command service may send these"
                .to_string(),
        }
    }
}

impl From<&Rejection> for Answer {
    fn from(r: &Rejection) -> Self {
        Answer {
            code: r.code().to_string(),
            message: r.to_string(),
        }
    }
}

async fn decide(service: &CommandService, env: &CommandEnvelope) -> Result<(), CommandError> {
    let now = service.clock.now();
    let command = member_command(env, now)?;
    service
        .execute(&env.program_id, &env.member_id, command)
        .await
        .map(|_| ())
}

/// Whether a command is one of the ledger's own follow-ups.
fn is_follow_up(env: &CommandEnvelope) -> bool {
    member_command(env, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH).is_ok_and(|c| c.is_follow_up())
}

fn rejected(env: Option<&CommandEnvelope>, answer: &Answer, m: &OwnedMessage) -> CommandRejected {
    let transaction_id = env
        .and_then(|e| member_command(e, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH).ok())
        .and_then(|c| c.transaction_id().map(str::to_string))
        .unwrap_or_default();
    CommandRejected {
        command_id: env.map(|e| e.command_id.clone()).unwrap_or_default(),
        program_id: env.map(|e| e.program_id.clone()).unwrap_or_default(),
        member_id: env.map(|e| e.member_id.clone()).unwrap_or_default(),
        transaction_id,
        code: answer.code.clone(),
        message: answer.message.clone(),
        command_partition: m.partition() as u32,
        command_offset: m.offset() as u64,
    }
}
