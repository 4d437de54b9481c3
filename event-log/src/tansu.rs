//! A local Tansu broker process for tests and development (Tansu 0.6.0, a
//! Kafka-protocol broker from crates.io, installed by `scripts/setup.sh`).

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the broker keeps its data.
#[derive(Clone, Debug)]
pub enum Storage {
    /// Lost when the broker stops.
    Memory,
    /// An sqlite file: survives a broker restart.
    Sqlite(PathBuf),
}

pub struct TansuBroker {
    child: Option<Child>,
    port: u16,
    storage: Storage,
}

/// The tansu binary: `$TANSU_BIN`, else the project's cache, else `PATH`.
pub fn tansu_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TANSU_BIN") {
        return bin.into();
    }
    let cache = std::env::var_os("LOYALTY_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/loyalty")));
    match cache.map(|c| c.join("tansu/bin/tansu")) {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tansu"),
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl TansuBroker {
    /// Starts a broker on a free loopback port and waits until it accepts connections.
    pub fn start(storage: Storage) -> std::io::Result<Self> {
        let mut broker = TansuBroker {
            child: None,
            port: free_port()?,
            storage,
        };
        broker.spawn()?;
        Ok(broker)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        // Tansu resolves an sqlite path against its working directory, so it
        // runs in the database's directory with a relative path.
        let (engine, cwd) = match &self.storage {
            Storage::Memory => ("memory://tansu/".to_string(), None),
            Storage::Sqlite(path) => {
                let file = path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (format!("sqlite://{file}"), path.parent().map(PathBuf::from))
            }
        };
        let mut command = Command::new(tansu_binary());
        if let Some(dir) = cwd {
            command.current_dir(dir);
        }
        let child = command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--cluster-id", "loyalty", "--storage-engine", &engine])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "starting {} (run scripts/setup.sh): {e}",
                        tansu_binary().display()
                    ),
                )
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(std::io::Error::other("tansu did not start listening"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Bootstrap servers for clients.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kill and start again on the same port and storage.
    pub fn restart(&mut self) -> std::io::Result<()> {
        self.kill();
        self.spawn()
    }
}

impl Drop for TansuBroker {
    fn drop(&mut self) {
        self.kill();
    }
}
