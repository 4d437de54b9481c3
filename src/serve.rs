//! `loyalty serve`: the embedded default in one process.

use crate::embedded::DataDir;
use crate::sample::{sample_program, SAMPLE_PROGRAM_ID};
use crate::status::StatusState;
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use command_service::courier::Elsewhere;
use command_service::{CommandService, SystemClock};
use event_log::{fallback, EventLog, KafkaConfig, KafkaLog};
use projector::{Projector, Store};
use query_service::Applied;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Data directory (event log and read models).
    #[arg(long, env = "LOYALTY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "LOYALTY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Partitions of a new log (an existing log keeps its own).
    #[arg(long, env = "LOYALTY_PARTITIONS", default_value_t = 8)]
    pub partitions: u32,
    /// Do not load the sample program.
    #[arg(long)]
    pub no_sample: bool,
    /// Run on a Kafka-protocol cluster (bootstrap servers) instead of the embedded log.
    #[arg(long, env = "LOYALTY_KAFKA_BROKERS")]
    pub kafka: Option<String>,
    /// Prefix of the Kafka topic names (the events topic is `<prefix>events`).
    #[arg(long, env = "LOYALTY_TOPIC_PREFIX", default_value = "loyalty.")]
    pub topic_prefix: String,
    /// Replication factor of topics created on start.
    #[arg(long, env = "LOYALTY_REPLICATION_FACTOR", default_value_t = 1)]
    pub replication_factor: i32,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let data = DataDir::new(&args.data_dir);
    let log = match &args.kafka {
        Some(brokers) => {
            let config = KafkaConfig {
                brokers: brokers.clone(),
                topic: format!("{}events", args.topic_prefix),
                partitions: args.partitions,
                replication_factor: args.replication_factor,
            };
            let log: Arc<dyn EventLog> = KafkaLog::connect(config)
                .await
                .with_context(|| format!("connecting to Kafka at {brokers}"))?;
            log
        }
        None => data.open_log(args.partitions)?,
    };
    let service = Arc::new(
        CommandService::open(log.clone(), Arc::new(SystemClock))
            .await
            .context("rebuilding command state from the log")?
            .sole_writer(),
    );
    // One writer owns every partition: follow-ups are decided here.
    service.start_courier(Elsewhere::Nowhere);
    let mut startup_end = log.end_offsets().await.context("reading the log's end")?;
    if !args.no_sample && service.program(SAMPLE_PROGRAM_ID).is_none() {
        let (_, outcome) = service
            .define_program(SAMPLE_PROGRAM_ID, sample_program())
            .await
            .context("loading the sample program")?;
        // A broker may report its end a moment late: count our own write in.
        for (p, o) in outcome.positions().iter() {
            if let Some(end) = startup_end.get_mut(*p as usize) {
                *end = (*end).max(o + 1);
            }
        }
    }
    let store = Arc::new(Store::open(&data.read_models()).context("opening the read models")?);
    projector::store::yield_background_work().context("lowering RocksDB's background priority")?;
    let projector = Arc::new(Projector::new(store.clone(), log.partitions())?);
    let (stop, stopped) = watch::channel(false);
    let projecting = {
        let (projector, log) = (projector.clone(), log.clone());
        tokio::spawn(async move { projector.run(log, stopped).await })
    };

    let status = StatusState::new(log.clone(), projector.subscribe(), startup_end);
    let app = Router::new()
        .merge(command_service::http::router(service.clone()))
        .merge(query_service::router(
            store.clone(),
            Applied::new(projector.subscribe()),
        ))
        .merge(crate::status::router(status.clone()))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let app = fallback::with_json_errors(app)
        .layer(TraceLayer::new_for_http())
        .merge(crate::status::probes(status));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    print_welcome(addr);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    let _ = stop.send(true);
    match projecting.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e).context("projector"),
        Err(e) => Err(anyhow::anyhow!("projector task: {e}")),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn print_welcome(addr: SocketAddr) {
    let url = format!("http://{addr}");
    let p = SAMPLE_PROGRAM_ID;
    println!("Loyalty ledger listening on {url}  (program \"{p}\": Cloud Kicks Insiders)");
    println!();
    println!("Try:");
    println!("  curl -s -XPOST {url}/v1/programs/{p}/members -d '{{\"member_id\":\"ada\",\"member_type\":\"individual\"}}'");
    println!(
        "  curl -s -XPOST {url}/v1/programs/{p}/members/ada/accruals -d '{{\"transaction_id\":\"pos-1\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"amount\":\"129.99\",\"channel\":\"app\"}}'"
    );
    println!(
        "  curl -s -XPOST {url}/v1/programs/{p}/members/ada/redemptions -d '{{\"transaction_id\":\"red-1\",\"occurred_at\":\"2026-11-21T10:00:00Z\",\"currency\":\"POINTS\",\"points\":\"500\"}}'"
    );
    println!("  curl -s {url}/v1/programs/{p}/members/ada");
    println!("  curl -s {url}/v1/programs/{p}/members/ada/ledger");
    println!("  curl -s {url}/v1/programs/{p}/partners/skyline-hotels/liability");
    println!("  curl -s {url}/v1/programs/{p}/stats");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
