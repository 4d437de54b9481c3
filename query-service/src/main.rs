//! The query service: serves the read models over HTTP, in one of two ways.
//! - Following a projector (default): it opens the projector's RocksDB as a
//!   secondary (read-only follower) instance on the same volume and catches
//!   up every few milliseconds.
//! - Its own projection (`--brokers`): it folds the events topic into its
//!   own RocksDB (`--data-dir`, e.g. an emptyDir), so replicas scale as a
//!   plain Deployment with no shared volume; ready once it has applied the
//!   topic's end as of its start.
//!
//! Either way the applied offsets drive `min_position`, so a command's token
//! works across processes.

use anyhow::Context;
use axum::routing::get;
use axum::Json;
use clap::Parser;
use event_log::{EventLog, KafkaConfig, KafkaLog};
use projector::{Projector, Store};
use query_service::Applied;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "query-service",
    about = "Serves the loyalty read models over HTTP"
)]
struct Args {
    /// The projector's read-model store directory (RocksDB primary).
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data/readmodels")]
    data_dir: PathBuf,
    /// This follower's own directory.
    #[arg(
        long,
        env = "LOYALTY_SECONDARY_DIR",
        default_value = "data/readmodels-secondary"
    )]
    secondary_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "LOYALTY_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// How often to catch up with the projector, in milliseconds.
    #[arg(long, env = "LOYALTY_CATCH_UP_MS", default_value_t = 20)]
    catch_up_ms: u64,
    /// Kafka bootstrap servers: project the events topic into `--data-dir`
    /// here instead of following a projector's store.
    #[arg(long, env = "LOYALTY_KAFKA_BROKERS")]
    brokers: Option<String>,
    /// Prefix of topic names (with `--brokers`).
    #[arg(long, env = "LOYALTY_TOPIC_PREFIX", default_value = "loyalty.")]
    topic_prefix: String,
    /// Partitions of the events topic if it has to be created (with `--brokers`).
    #[arg(long, env = "LOYALTY_PARTITIONS", default_value_t = 8)]
    partitions: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    event_log::service::init_tracing();
    let args = Args::parse();
    let (store, applied, ready) = match &args.brokers {
        Some(brokers) => project(&args, brokers).await?,
        None => follow(&args)?,
    };
    let routes = query_service::router(store, Applied::new(applied))
        .merge(event_log::service::health_routes())
        .route(
            "/readyz",
            get(move || {
                let ready = *ready.borrow();
                async move {
                    let status = if ready { "ready" } else { "catching_up" };
                    let code = if ready {
                        axum::http::StatusCode::OK
                    } else {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    };
                    (code, Json(serde_json::json!({"status": status})))
                }
            }),
        );
    let app = event_log::fallback::with_json_errors(routes);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("binding")?;
    tracing::info!(listen = %args.listen, "query service up");
    axum::serve(listener, app).await.context("serving")?;
    Ok(())
}

type Serving = (Arc<Store>, watch::Receiver<Vec<u64>>, watch::Receiver<bool>);

/// Follows a projector's store as a RocksDB secondary.
fn follow(args: &Args) -> anyhow::Result<Serving> {
    let store = Arc::new(
        Store::open_follower(&args.data_dir, &args.secondary_dir)
            .with_context(|| format!("following the read models in {}", args.data_dir.display()))?,
    );
    let (applied_tx, applied_rx) = watch::channel(store.applied_all()?);
    {
        let store = store.clone();
        let every = Duration::from_millis(args.catch_up_ms.max(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let store = store.clone();
                let caught = tokio::task::spawn_blocking(move || {
                    store.catch_up()?;
                    store.applied_all()
                })
                .await;
                match caught {
                    Ok(Ok(applied)) => applied_tx.send_if_modified(|a| {
                        let changed = *a != applied;
                        *a = applied;
                        changed
                    }),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "catching up with the projector failed");
                        false
                    }
                    Err(_) => false,
                };
            }
        });
    }
    let (_, ready) = watch::channel(true);
    Ok((store, applied_rx, ready))
}

/// Projects the events topic into this replica's own store.
async fn project(args: &Args, brokers: &str) -> anyhow::Result<Serving> {
    let log: Arc<dyn EventLog> = KafkaLog::connect(KafkaConfig {
        brokers: brokers.to_string(),
        topic: format!("{}events", args.topic_prefix),
        partitions: args.partitions,
        replication_factor: 1,
    })
    .await
    .context("connecting to Kafka")?;
    let store = Arc::new(Store::open(&args.data_dir).context("opening the read models")?);
    let projector = Arc::new(Projector::new(store.clone(), log.partitions())?);
    let applied = projector.subscribe();
    let end = log.end_offsets().await?;
    let (ready_tx, ready) = watch::channel(false);
    let mut progress = projector.subscribe();
    tokio::spawn(async move {
        loop {
            let done = progress
                .borrow_and_update()
                .iter()
                .zip(&end)
                .all(|(a, e)| a >= e);
            if done {
                ready_tx.send_replace(true);
                return;
            }
            if progress.changed().await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let (_stop, stopped) = watch::channel(false);
        if let Err(e) = projector.run(log, stopped).await {
            tracing::error!(error = %e, "the projection stopped");
            std::process::exit(1);
        }
    });
    Ok((store, applied, ready))
}
