//! The ledger under benchmark: a real `loyalty serve` child process on a
//! scratch data directory (embedded log, or a local Tansu broker with
//! `--kafka`), so its memory and CPU are its own.

use super::report::memory_line;
use anyhow::Context;
use event_log::tansu::{Storage, TansuBroker};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone)]
pub struct ServerArgs {
    /// Run the ledger on a local Tansu broker (Kafka mode) instead of the embedded log.
    #[arg(long)]
    pub kafka: bool,
    /// Keep the ledger's data in this directory (embedded log only), so a
    /// later run starts from what this one wrote instead of writing it again.
    #[arg(long, conflicts_with = "kafka")]
    pub data_dir: Option<std::path::PathBuf>,
}

pub struct BenchServer {
    child: Child,
    pub base: String,
    _dir: Option<tempfile::TempDir>,
    _broker: Option<TansuBroker>,
    pub mode: &'static str,
}

impl BenchServer {
    pub async fn start(args: &ServerArgs) -> anyhow::Result<BenchServer> {
        let (dir, scratch) = match &args.data_dir {
            Some(kept) => (kept.clone(), None),
            None => {
                let t = tempfile::tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let broker = if args.kafka {
            Some(TansuBroker::start(Storage::Memory).context("starting a Tansu broker")?)
        } else {
            None
        };
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&dir)
            .env_remove("LOYALTY_KAFKA_BROKERS")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(b) = &broker {
            command.args(["--kafka", &b.brokers()]);
        }
        let child = command.spawn().context("starting loyalty serve")?;
        let server = BenchServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: scratch,
            _broker: broker,
            mode: if args.kafka {
                "Kafka mode (local Tansu 0.6.0, in memory)"
            } else {
                "embedded log (fsync per group commit)"
            },
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("loyalty serve did not become ready on {}", self.base)
    }

    /// Waits until the projector has folded everything on the log.
    pub async fn caught_up(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        loop {
            let status: Value = client
                .get(format!("{}/v1/status", self.base))
                .send()
                .await?
                .json()
                .await?;
            if status["projector_lag_events"].as_u64() == Some(0) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn memory(&self) -> String {
        memory_line(self.child.id())
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
