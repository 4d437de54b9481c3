//! Starting and stopping a real `loyalty serve` process for end-to-end tests.

#![allow(dead_code)]

pub mod containers;
pub mod cross_account;
pub mod ledger_run;
pub mod scenario;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The follow-up seal key every command-service of the tests shares.
pub const FOLLOW_UP_KEY: &str = "test-follow-up-key-0123456789abcdef";

pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    port: u16,
    extra: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn loyalty() -> Command {
    Command::new(env!("CARGO_BIN_EXE_loyalty"))
}

/// Runs `loyalty <args>` in embedded mode: (success, stdout and stderr).
pub fn run_loyalty(args: &[&str]) -> (bool, String) {
    let out = loyalty()
        .args(args)
        .env_remove("LOYALTY_KAFKA_BROKERS")
        .env("RUST_LOG", "error")
        .output()
        .expect("loyalty runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

impl Server {
    pub async fn start(data_dir: &Path) -> Server {
        Self::start_on(data_dir, free_port()).await
    }

    pub async fn start_on(data_dir: &Path, port: u16) -> Server {
        Self::start_with(data_dir, port, &[]).await
    }

    /// Starts with extra `serve` arguments (e.g. `--kafka <brokers>`).
    pub async fn start_with(data_dir: &Path, port: u16, extra: &[String]) -> Server {
        let child = loyalty()
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("loyalty serve starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_path_buf(),
            port,
            extra: extra.to_vec(),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("loyalty serve did not become ready on {}", self.base);
    }

    /// SIGKILL: no chance to flush or shut down.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let status = self.child.wait().expect("reaped");
        assert!(status.success(), "server exited with {status}");
    }

    /// Restarts on the same port and data directory.
    pub async fn restart_after_kill9(self) -> Server {
        let (dir, port, extra) = (self.data_dir.clone(), self.port, self.extra.clone());
        self.kill9();
        Server::start_with(&dir, port, &extra).await
    }

    pub fn free_port() -> u16 {
        free_port()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small HTTP helper returning (status, JSON body).
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            // A rejected body (413) may be left unread and the connection
            // closed by the server: never reuse it for the next request.
            .header("connection", "close")
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .put(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("PUT");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    #[allow(dead_code)]
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .expect("DELETE");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits until a command-service instance answers ready and owns
    /// `partitions` partitions (its consumer group has settled).
    #[allow(dead_code)]
    pub async fn wait_owning(&self, partitions: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.base)).send().await {
                let ok = r.status().is_success();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let owned = body["owned_partitions"].as_array().map_or(0, Vec::len);
                if ok && owned == partitions {
                    return;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} never came to own {partitions} partitions",
                self.base
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A binary of the workspace, next to `loyalty`.
pub fn binary(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_loyalty")).with_file_name(name)
}

/// A service process that is killed (-9) and reaped when dropped.
pub struct Proc(Child);

impl Proc {
    pub fn start(name: &str, args: &[String]) -> Proc {
        // LOYALTY_TEST_LOG=info shows the services' own logs when debugging.
        let log = std::env::var("LOYALTY_TEST_LOG").unwrap_or_else(|_| "warn".into());
        let child = Command::new(binary(name))
            .args(args)
            .env("RUST_LOG", log)
            .env("LOYALTY_FOLLOW_UP_KEY", FOLLOW_UP_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Proc(child)
    }

    pub fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Asks the process to shut down (SIGTERM) and waits for it.
    #[allow(dead_code)]
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}
