//! The command service on Kafka: commands over HTTP and over the commands
//! topic, decided with ledger-core; events appended to the events topic with
//! an idempotent producer, rejections of topic commands to the rejections
//! topic. State is rebuilt from the events topic on start.

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use clap::Parser;
use command_service::intake::{run_intake, IntakeConfig};
use command_service::{CommandService, SystemClock};
use event_log::{EventLog, KafkaArgs, KafkaLog};
use std::net::SocketAddr;
use std::sync::Arc;

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    event_log::service::init_tracing();
    let args = Args::parse();
    let log: Arc<dyn EventLog> = KafkaLog::connect(args.kafka.events())
        .await
        .context("connecting to Kafka")?;
    let service = Arc::new(
        CommandService::open(log, Arc::new(SystemClock))
            .await
            .context("rebuilding state")?,
    );
    let intake = IntakeConfig {
        brokers: args.kafka.brokers.clone(),
        commands_topic: args.kafka.topic("commands").topic,
        rejections_topic: args.kafka.topic("rejections").topic,
        group_id: format!("{}command-service", args.kafka.topic_prefix),
        partitions: args.kafka.partitions,
        replication_factor: args.kafka.replication_factor,
    };
    {
        let service = service.clone();
        tokio::spawn(async move {
            if let Err(e) = run_intake(service, intake).await {
                tracing::error!(error = %e, "the commands topic intake stopped");
                std::process::exit(1);
            }
        });
    }
    let app = command_service::http::router(service)
        .merge(event_log::service::health_and_ready_routes())
        .layer(DefaultBodyLimit::max(1 << 20));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("binding")?;
    tracing::info!(listen = %args.listen, "command service up");
    axum::serve(listener, app).await.context("serving")?;
    Ok(())
}
