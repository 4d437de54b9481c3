//! The projector service: follows the events topic on Kafka and folds it
//! into the RocksDB read models in `--data-dir`, storing consumed offsets in
//! the same WriteBatch. It reads in a consumer group (`--group-id`): the
//! group hands partitions over between replicas and shows lag to the usual
//! tools, while every assignment starts at the offsets in RocksDB. Serves
//! `/healthz` and `/readyz`.

use anyhow::Context;
use axum::routing::get;
use axum::Json;
use clap::Parser;
use event_log::{EventLog, KafkaArgs, KafkaGroupReader, KafkaLog, StartAt};
use projector::{Projector, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "projector",
    about = "Folds the loyalty event log into RocksDB read models"
)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Read-model store directory (RocksDB primary).
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data/readmodels")]
    data_dir: PathBuf,
    /// Address of the health endpoints.
    #[arg(long, env = "LOYALTY_LISTEN", default_value = "127.0.0.1:8082")]
    listen: SocketAddr,
    /// Consumer group (default: <topic-prefix>projector). Replicas sharing a
    /// group split the partitions; a read-model copy needs all of them, so
    /// give each copy its own group.
    #[arg(long, env = "LOYALTY_GROUP_ID")]
    group_id: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    event_log::service::init_tracing();
    let args = Args::parse();
    let log: Arc<dyn EventLog> = KafkaLog::connect(args.kafka.events())
        .await
        .context("connecting to Kafka")?;
    let store = Arc::new(Store::open(&args.data_dir).context("opening the read models")?);
    let projector = Arc::new(Projector::new(store, log.partitions())?);
    let applied = projector.subscribe();
    let health = event_log::service::health_routes().route(
        "/readyz",
        get(move || {
            let applied = applied.borrow().clone();
            async move { Json(serde_json::json!({"status": "ready", "applied_offsets": applied})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("binding")?;
    tokio::spawn(async move { axum::serve(listener, health).await });
    let partitions = log.partitions();
    let offsets = projector.store().clone();
    let start: StartAt = Arc::new(move |p| {
        let applied = offsets
            .applied_offsets(partitions)
            .map_err(|e| e.to_string())?;
        Ok(applied.get(p as usize).copied().unwrap_or(0))
    });
    let group = args
        .group_id
        .clone()
        .unwrap_or_else(|| format!("{}projector", args.kafka.topic_prefix));
    let reader = KafkaGroupReader::new(&args.kafka.events(), &group, start)
        .context("joining the consumer group")?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        event_log::service::terminated().await;
        stop.send_replace(true);
    });
    projector
        .follow(Box::new(reader), stopped)
        .await
        .context("projector")?;
    Ok(())
}
