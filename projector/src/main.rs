//! The projector service: follows the events topic on Kafka and folds it
//! into the RocksDB read models in `--data-dir`, storing consumed offsets in
//! the same WriteBatch. Serves `/healthz` and `/readyz`.

use anyhow::Context;
use axum::routing::get;
use axum::Json;
use clap::Parser;
use event_log::{EventLog, KafkaArgs, KafkaLog};
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
    let (_stop, stopped) = watch::channel(false);
    projector.run(log, stopped).await.context("projector")?;
    Ok(())
}
