//! The query service: serves the read models of a projector running in
//! another process. It opens the projector's RocksDB as a secondary
//! (read-only follower) instance and catches up with it every few
//! milliseconds; the applied offsets it then reads drive `min_position`.

use anyhow::Context;
use clap::Parser;
use projector::Store;
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    event_log::service::init_tracing();
    let args = Args::parse();
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
    let app = query_service::router(store, Applied::new(applied_rx))
        .merge(event_log::service::health_and_ready_routes());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .context("binding")?;
    tracing::info!(listen = %args.listen, "query service up");
    axum::serve(listener, app).await.context("serving")?;
    Ok(())
}
