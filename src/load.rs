//! `loyalty load`: drives the Kafka-mode command path the way stores and
//! apps do, through the commands topic: enrolls members, then sends
//! accruals and redemptions from several concurrent producers, and waits
//! until every command is settled, as events on the events topic or as a
//! rejection on the rejections topic. Prints throughput and settle latency.

use anyhow::Context;
use event_log::KafkaArgs;
use indicatif::{ProgressBar, ProgressStyle};
use loyalty_proto::v1::command_envelope::Command;
use loyalty_proto::v1::{AccruePoints, EnrollMember, RedeemPoints};
use loyalty_proto::{Body, CommandEnvelope, CommandRejected, EventEnvelope, Message as _};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Program the commands are for (it must exist).
    #[arg(long, default_value = "cloud-kicks")]
    pub program: String,
    /// Members to enroll first.
    #[arg(long, default_value_t = 1000)]
    pub members: usize,
    /// Accruals and redemptions to send after the enrollments.
    #[arg(long, default_value_t = 100_000)]
    pub commands: usize,
    /// Concurrent producers.
    #[arg(long, default_value_t = 4)]
    pub producers: usize,
    /// Give up when commands are still unsettled after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout_secs: u64,
    /// Prefix of member ids and transaction ids (runs with different prefixes do not collide).
    #[arg(long, default_value = "load")]
    pub run_id: String,
}

/// Commands sent and not yet settled, with when they were sent.
type Pending = Arc<Mutex<HashMap<String, Instant>>>;

/// What the settled commands came to.
#[derive(Default)]
struct Settled {
    latencies_ms: Vec<f64>,
    rejected: u64,
}

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let pending: Pending = Arc::default();
    let settled = Arc::new(Mutex::new(Settled::default()));
    let (events, rejections) = (
        args.kafka.events().topic,
        args.kafka.topic("rejections").topic,
    );
    let watcher = watch_outcomes(
        &args,
        &events,
        &rejections,
        pending.clone(),
        settled.clone(),
    )
    .await
    .context("watching the events and rejections topics")?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &args.kafka.brokers)
        // Kafka's (Java) partitioner, as the ledger partitions: each command
        // lands where its account's owner reads.
        .set("partitioner", "murmur2_random")
        // One record per batch: Tansu 0.6.0 answers a fetch that starts
        // inside a batch with nothing, and the command service resumes at
        // any committed offset after a rebalance or a restart.
        .set("batch.num.messages", "1")
        .set("linger.ms", "1")
        .create()
        .context("a producer")?;
    let commands_topic = args.kafka.topic("commands").topic;
    let total = (args.members + args.commands) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} settled ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let enrollments: Vec<CommandEnvelope> = (0..args.members).map(|m| enroll(&args, m)).collect();
    let timeout = Duration::from_secs(args.timeout_secs);
    let rest: Vec<CommandEnvelope> = (0..args.commands)
        .map(|i| member_command(&args, i))
        .collect();
    // Members exist before their first accrual arrives.
    for phase in [enrollments, rest] {
        send_all(&producer, &commands_topic, phase, args.producers, &pending).await?;
        wait_settled(&pending, &settled, &bar, timeout).await?;
    }
    bar.finish_and_clear();
    watcher.abort();
    let secs = started.elapsed().as_secs_f64();
    let mut s = settled.lock().unwrap_or_else(|e| e.into_inner());
    s.latencies_ms.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        let i = ((s.latencies_ms.len() as f64 - 1.0) * q).round() as usize;
        s.latencies_ms.get(i).copied().unwrap_or_default()
    };
    println!(
        "load: {total} commands via {commands_topic} from {} producers in {secs:.1} s: {:.0} commands/s; \
         settle latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {} rejected",
        args.producers,
        total as f64 / secs.max(1e-9),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        s.rejected
    );
    Ok(())
}

fn enroll(args: &LoadArgs, m: usize) -> CommandEnvelope {
    CommandEnvelope {
        command_id: format!("{}-enroll-{m}", args.run_id),
        program_id: args.program.clone(),
        member_id: member(args, m),
        command: Some(Command::Enroll(EnrollMember {
            member_type: "individual".into(),
            enrolled_at: "2026-01-01T00:00:00Z".into(),
            channel: "store".into(),
        })),
    }
}

fn member(args: &LoadArgs, m: usize) -> String {
    format!("{}-m{m}", args.run_id)
}

/// Mostly accruals; one in eight a redemption (some of them too large: rejected).
fn member_command(args: &LoadArgs, i: usize) -> CommandEnvelope {
    let tx = format!("{}-t{i}", args.run_id);
    let occurred_at = "2026-03-01T10:00:00Z".to_string();
    let command = if i % 8 == 7 {
        Command::Redeem(RedeemPoints {
            transaction_id: tx,
            occurred_at,
            currency: "POINTS".into(),
            points: ((i % 5) * 30 + 10).to_string(),
            partner_id: String::new(),
            by_member: String::new(),
        })
    } else {
        Command::Accrue(AccruePoints {
            transaction_id: tx,
            occurred_at,
            amount: format!("{}.{:02}", i % 120 + 5, i % 100),
            channel: if i.is_multiple_of(3) { "app" } else { "store" }.into(),
            ..Default::default()
        })
    };
    CommandEnvelope {
        command_id: format!("{}-c{i}", args.run_id),
        program_id: args.program.clone(),
        // Spread so every member gets both kinds (i % members would line up with i % 8).
        member_id: member(args, (i * 7 + i / 8) % args.members.max(1)),
        command: Some(command),
    }
}

/// What settles a command: its transaction's first event, or its enrollment.
fn settle_key(env: &CommandEnvelope) -> String {
    match &env.command {
        Some(Command::Accrue(a)) => format!("tx/{}", a.transaction_id),
        Some(Command::Redeem(r)) => format!("tx/{}", r.transaction_id),
        _ => format!("enroll/{}/{}", env.program_id, env.member_id),
    }
}

/// Sends commands from `producers` concurrent tasks, each its share in order.
async fn send_all(
    producer: &FutureProducer,
    topic: &str,
    commands: Vec<CommandEnvelope>,
    producers: usize,
    pending: &Pending,
) -> anyhow::Result<()> {
    let producers = producers.max(1);
    let mut shares: Vec<Vec<CommandEnvelope>> = vec![Vec::new(); producers];
    for (i, c) in commands.into_iter().enumerate() {
        shares[i % producers].push(c);
    }
    let mut tasks = Vec::new();
    for share in shares {
        let (producer, topic, pending) = (producer.clone(), topic.to_string(), pending.clone());
        tasks.push(tokio::spawn(async move {
            for env in share {
                let key = format!("{}/{}", env.program_id, env.member_id);
                pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(settle_key(&env), Instant::now());
                let payload = env.encode_to_vec();
                // A failed send (a broker restart) is sent again: a command
                // that did land twice is a retry the ledger recognises.
                let mut attempts = 0;
                while let Err((e, _)) = producer
                    .send(
                        FutureRecord::to(&topic).key(&key).payload(&payload),
                        Duration::from_secs(60),
                    )
                    .await
                {
                    attempts += 1;
                    anyhow::ensure!(attempts < 60, "producing a command: {e}");
                    tracing::warn!(error = %e, "producing a command failed; sending it again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Follows the events and rejections topics from their ends now, settling
/// pending commands as their outcomes arrive.
async fn watch_outcomes(
    args: &LoadArgs,
    events: &str,
    rejections: &str,
    pending: Pending,
    settled: Arc<Mutex<Settled>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.kafka.brokers)
        .set("group.id", format!("{}-load-watch", args.run_id))
        .set("enable.auto.commit", "false")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for topic in [events, rejections] {
        let partitions = event_log::topic_partitions(&args.kafka.brokers, topic)
            .await
            .with_context(|| format!("topic {topic}: start the command service first"))?;
        for p in 0..partitions as i32 {
            let (_, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
            assignment.add_partition_offset(topic, p, Offset::Offset(high))?;
        }
    }
    consumer.assign(&assignment)?;
    let rejections = rejections.to_string();
    Ok(tokio::spawn(async move {
        loop {
            let m = match consumer.recv().await {
                Ok(m) => m,
                Err(e) => {
                    // librdkafka reconnects by itself (a broker restart).
                    tracing::warn!(error = %e, "watch consumer error; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let payload = m.payload().unwrap_or_default();
            let (key, rejected) = if m.topic() == rejections {
                let Ok(r) = CommandRejected::decode(payload) else {
                    continue;
                };
                (rejection_key(&r), true)
            } else {
                let Ok(e) = EventEnvelope::decode(payload) else {
                    continue;
                };
                match &e.body {
                    Some(Body::MemberEnrolled(_)) => {
                        (format!("enroll/{}/{}", e.program_id, e.account_id), false)
                    }
                    _ => (format!("tx/{}", e.transaction_id), false),
                }
            };
            let sent = pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
            if let Some(sent) = sent {
                let mut s = settled.lock().unwrap_or_else(|e| e.into_inner());
                s.latencies_ms.push(sent.elapsed().as_secs_f64() * 1e3);
                s.rejected += u64::from(rejected);
            }
        }
    }))
}

fn rejection_key(r: &CommandRejected) -> String {
    if r.transaction_id.is_empty() {
        format!("enroll/{}/{}", r.program_id, r.member_id)
    } else {
        format!("tx/{}", r.transaction_id)
    }
}

/// Waits until nothing is pending, updating the progress bar.
async fn wait_settled(
    pending: &Pending,
    settled: &Arc<Mutex<Settled>>,
    bar: &ProgressBar,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = pending.lock().unwrap_or_else(|e| e.into_inner()).len();
        let done = settled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .latencies_ms
            .len();
        bar.set_position(done as u64);
        if left == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{left} commands are still unsettled"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
