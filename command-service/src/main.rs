//! The command service on Kafka: commands over HTTP and over the commands
//! topic, decided with ledger-core; events appended to the events topic with
//! an idempotent producer, rejections of topic commands to the rejections
//! topic. Instances share the partitions through the commands topic's
//! consumer group; each rebuilds the state of the partitions it is assigned
//! and forwards HTTP commands for the others to their owners.

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Json;
use clap::Parser;
use command_service::courier::Elsewhere;
use command_service::http::routing::{route_to_owner, Routing};
use command_service::intake::{run_intake, IntakeConfig};
use command_service::owners::{Owner, OwnerDirectory};
use command_service::ownership::run_ownership;
use command_service::programs::follow_programs;
use command_service::seal::SealKeys;
use command_service::{CommandService, SystemClock};
use event_log::{EventLog, KafkaArgs, KafkaLog};
use rdkafka::ClientConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

#[derive(Parser)]
#[command(
    name = "command-service",
    about = "Decides loyalty commands and appends their events to Kafka"
)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Address to listen on.
    #[arg(long, env = "LOYALTY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// URL other instances forward commands to (default: http://<listen>).
    #[arg(long, env = "LOYALTY_ADVERTISE_URL")]
    advertise_url: Option<String>,
    /// Consumer group of the commands topic (default: <topic-prefix>command-service).
    #[arg(long, env = "LOYALTY_GROUP_ID")]
    group_id: Option<String>,
    /// Secret (at least 32 bytes) that seals the ledger's own follow-up
    /// commands on the commands topic; the same on every instance.
    #[arg(long, env = "LOYALTY_FOLLOW_UP_KEY", hide_env_values = true)]
    follow_up_key: String,
    /// The key before a rotation, still accepted until the topic holds no
    /// follow-up sealed with it.
    #[arg(long, env = "LOYALTY_FOLLOW_UP_PREVIOUS_KEY", hide_env_values = true)]
    follow_up_previous_key: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    event_log::service::init_tracing();
    let args = Args::parse();
    let keys = SealKeys::new(&args.follow_up_key, args.follow_up_previous_key.as_deref())
        .context("LOYALTY_FOLLOW_UP_KEY")?;
    let log: Arc<dyn EventLog> = KafkaLog::connect(args.kafka.events())
        .await
        .context("connecting to Kafka")?;
    let service = Arc::new(CommandService::unowned(log, Arc::new(SystemClock)));
    let me = Owner {
        instance: service.writer_id().to_string(),
        url: args
            .advertise_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen)),
    };
    let owners = OwnerDirectory::connect(
        &args.kafka.brokers,
        &args.kafka.topic("owners").topic,
        args.kafka.replication_factor,
        me,
    )
    .await
    .context("connecting to the owners topic")?;
    let (programs_ready, ready) = watch::channel(false);
    spawn_or_exit(
        "following programs",
        follow_programs(service.clone(), programs_ready),
    );
    spawn_or_exit("following owners", owners.clone().follow());
    let (changes, assigned) = mpsc::unbounded_channel();
    tokio::spawn(run_ownership(
        service.clone(),
        assigned,
        Some(owners.clone()),
    ));
    let intake = IntakeConfig {
        brokers: args.kafka.brokers.clone(),
        commands_topic: args.kafka.topic("commands").topic,
        rejections_topic: args.kafka.topic("rejections").topic,
        group_id: args
            .group_id
            .clone()
            .unwrap_or_else(|| format!("{}command-service", args.kafka.topic_prefix)),
        partitions: args.kafka.partitions,
        replication_factor: args.kafka.replication_factor,
        keys: keys.clone(),
    };
    service.start_courier(Elsewhere::Topic {
        producer: ClientConfig::new()
            .set("bootstrap.servers", &args.kafka.brokers)
            .set("enable.idempotence", "true")
            // One record per batch (Tansu 0.6.0, see the intake).
            .set("batch.num.messages", "1")
            .create()
            .context("a producer for follow-ups")?,
        topic: intake.commands_topic.clone(),
        keys,
    });
    let (stop, stopping) = watch::channel(false);
    let intake = tokio::spawn(run_intake(service.clone(), intake, changes, stopping));
    let routing = Routing::new(service.clone(), owners);
    let app = command_service::http::router(service.clone())
        .layer(axum::middleware::from_fn_with_state(
            routing,
            route_to_owner,
        ))
        .merge(event_log::service::health_routes())
        .route(
            "/readyz",
            get(move || readiness(service.clone(), ready.clone())),
        )
        .layer(DefaultBodyLimit::max(1 << 20));
    let app = event_log::fallback::with_json_errors(app);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("binding")?;
    tracing::info!(listen = %args.listen, "command service up");
    // HTTP in the background: on SIGTERM the process leaves the consumer
    // group first (its partitions move on at once), whatever connections
    // stay open; it ends when the intake has settled its queue and left.
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the HTTP server stopped");
            std::process::exit(1);
        }
    });
    tokio::spawn(async move {
        event_log::service::terminated().await;
        stop.send_replace(true);
    });
    match intake.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e).context("the commands topic intake"),
        Err(e) => Err(e).context("the commands topic intake"),
    }
}

/// Ready once every program is known; lists the partitions owned now.
async fn readiness(
    service: Arc<CommandService>,
    programs: watch::Receiver<bool>,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    let owned = service.owned().await;
    if *programs.borrow() {
        (
            axum::http::StatusCode::OK,
            Json(serde_json::json!({"status": "ready", "owned_partitions": owned})),
        )
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "starting", "owned_partitions": owned})),
        )
    }
}

/// Runs a task that must not stop: if it fails, the process exits (and is restarted).
fn spawn_or_exit<E: std::fmt::Display>(
    what: &'static str,
    task: impl std::future::Future<Output = Result<(), E>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(e) = task.await {
            tracing::error!(error = %e, "{what} stopped");
            std::process::exit(1);
        }
    });
}
