//! The Kafka-mode stack as containers on a private Docker network (images
//! built locally FROM scratch by `scripts/images.sh`; nothing is pulled):
//! Tansu, command-service, projector and query-service, plus the `loyalty`
//! image as load generator and auditor.

use super::Api;
use serde_json::Value;
use std::time::{Duration, Instant};
use testcontainers::core::{IntoContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, GenericImage, ImageExt};

pub const PARTITIONS: &str = "4";
pub const MEMORY: &str = "memory://tansu/";
/// Survives a broker restart (the volume holds it); Tansu is much slower on it.
pub const SQLITE: &str = "sqlite://tansu.db";

pub fn image(name: &str) -> GenericImage {
    GenericImage::new(format!("loyalty/{name}"), "dev".to_string())
}

pub struct Stack {
    pub run: String,
    pub network: String,
    broker_data: String,
    models: String,
    pub tansu: ContainerAsync<GenericImage>,
    pub commands: ContainerAsync<GenericImage>,
    projector: Option<ContainerAsync<GenericImage>>,
    queries: ContainerAsync<GenericImage>,
    /// The first command-service's API.
    pub cmd: Api,
    /// The query-service's API.
    pub query: Api,
}

impl Stack {
    /// A stack whose broker keeps its data in `storage` (`MEMORY`, or
    /// `SQLITE` on a volume where the broker restarts), with program `fx`
    /// (tests/fixtures/program.json) defined.
    pub async fn start(name: &str, storage: &str) -> Stack {
        let run = format!("{name}-{}-{}", std::process::id(), nanos());
        let network = format!("loyalty-{run}");
        let (broker_data, models) = (format!("tansu-{run}"), format!("models-{run}"));
        let tansu = image("tansu")
            .with_wait_for(WaitFor::millis(500))
            .with_network(&network)
            .with_container_name(format!("tansu-{run}"))
            .with_mount(Mount::volume_mount(&broker_data, "/data"))
            .with_cmd([
                "broker".to_string(),
                "--listener-url".into(),
                "tcp://0.0.0.0:9092".into(),
                "--advertised-listener-url".into(),
                format!("tcp://tansu-{run}:9092"),
                "--cluster-id".into(),
                "loyalty".into(),
                "--storage-engine".into(),
                storage.to_string(),
            ])
            .start()
            .await
            .expect("tansu container");
        let commands = command_service(&run, &network, "cmd1").await;
        let projector = projector_container(&run, &network, &models).await;
        let queries = image("query-service")
            .with_exposed_port(8081.tcp())
            .with_wait_for(WaitFor::millis(200))
            .with_network(&network)
            .with_env_var("LOYALTY_DATA_DIR", "/data/readmodels")
            .with_env_var("LOYALTY_SECONDARY_DIR", "/tmp/secondary")
            .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8081")
            .with_mount(Mount::volume_mount(&models, "/data"))
            .start()
            .await
            .expect("query-service container");
        let cmd = api_of(&commands, 8080).await;
        let query = api_of(&queries, 8081).await;
        let stack = Stack {
            run,
            network,
            broker_data,
            models,
            tansu,
            commands,
            projector: Some(projector),
            queries,
            cmd,
            query,
        };
        stack.cmd.wait_owning(4).await;
        let program: Value =
            serde_json::from_str(include_str!("../fixtures/program.json")).unwrap();
        let (s, b) = stack.cmd.put("/v1/programs/fx", program).await;
        assert_eq!(s, 200, "{b}");
        stack
    }

    pub fn brokers(&self) -> String {
        format!("tansu-{}:9092", self.run)
    }

    /// Starts a projector container on the read-model volume (after
    /// `remove_projector`, a new container replaces the old one).
    pub async fn start_projector(&mut self) {
        assert!(self.projector.is_none(), "a projector is running");
        self.projector = Some(projector_container(&self.run, &self.network, &self.models).await);
    }

    pub fn projector(&self) -> &ContainerAsync<GenericImage> {
        self.projector.as_ref().expect("a projector is running")
    }

    pub async fn remove_projector(&mut self) {
        let projector = self.projector.take().expect("a projector is running");
        projector.rm().await.expect("projector removed");
    }

    /// Starts `loyalty load` in a container (it runs until every command is settled).
    pub async fn load(&self, members: usize, commands: usize) -> ContainerAsync<GenericImage> {
        let args = [
            "load".to_string(),
            "--brokers".into(),
            self.brokers(),
            "--partitions".into(),
            PARTITIONS.into(),
            "--program".into(),
            "fx".into(),
            "--members".into(),
            members.to_string(),
            "--commands".into(),
            commands.to_string(),
            "--producers".into(),
            "4".into(),
            "--run-id".into(),
            format!("r{}", nanos() % 1_000_000),
        ];
        image("loyalty")
            .with_network(&self.network)
            .with_env_var("RUST_LOG", "warn")
            .with_cmd(args)
            .start()
            .await
            .expect("load container")
    }

    /// Runs `loyalty verify` against the projector's volume; returns its report.
    pub async fn verify(&self) -> String {
        let verifier = image("loyalty")
            .with_network(&self.network)
            .with_env_var("RUST_LOG", "warn")
            .with_mount(Mount::volume_mount(&self.models, "/data"))
            .with_cmd([
                "verify".to_string(),
                "--brokers".into(),
                self.brokers(),
                "--partitions".into(),
                PARTITIONS.into(),
                "--data-dir".into(),
                "/data/readmodels".into(),
            ])
            .start()
            .await
            .expect("verify container");
        let (code, out) = finished(&verifier, Duration::from_secs(600)).await;
        assert_eq!(code, 0, "loyalty verify failed:\n{out}");
        assert!(out.contains("verified"), "{out}");
        out
    }

    /// Removes the containers, then their volumes.
    pub async fn remove(self) {
        drop(self.queries);
        drop(self.projector);
        drop(self.commands);
        drop(self.tansu);
        for v in [&self.broker_data, &self.models] {
            let _ = std::process::Command::new("docker")
                .args(["volume", "rm", "-f", v])
                .output();
        }
    }
}

pub fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

/// A service container of the stack `run`, pointed at its broker.
fn service(run: &str, network: &str, image: GenericImage) -> ContainerRequest<GenericImage> {
    image
        .with_wait_for(WaitFor::millis(200))
        .with_network(network)
        .with_env_var("LOYALTY_KAFKA_BROKERS", format!("tansu-{run}:9092"))
        .with_env_var("LOYALTY_PARTITIONS", PARTITIONS)
        .with_env_var("RUST_LOG", "warn")
}

/// A projector container keeping its read models on the volume `models`.
async fn projector_container(
    run: &str,
    network: &str,
    models: &str,
) -> ContainerAsync<GenericImage> {
    service(run, network, image("projector"))
        .with_env_var("LOYALTY_DATA_DIR", "/data/readmodels")
        .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8082")
        .with_mount(Mount::volume_mount(models, "/data"))
        .start()
        .await
        .expect("projector container")
}

/// A command-service container named `name` (other instances forward to it by that name).
pub async fn command_service(run: &str, network: &str, name: &str) -> ContainerAsync<GenericImage> {
    service(
        run,
        network,
        image("command-service").with_exposed_port(8080.tcp()),
    )
    .with_container_name(format!("{name}-{run}"))
    .with_env_var("LOYALTY_LISTEN", "0.0.0.0:8080")
    .with_env_var("LOYALTY_ADVERTISE_URL", format!("http://{name}-{run}:8080"))
    .with_env_var("LOYALTY_FOLLOW_UP_KEY", super::FOLLOW_UP_KEY)
    .start()
    .await
    .expect("command-service container")
}

pub async fn api_of(container: &ContainerAsync<GenericImage>, port: u16) -> Api {
    let host_port = container.get_host_port_ipv4(port).await.expect("port");
    Api::new(&format!("http://127.0.0.1:{host_port}"))
}

/// Waits for a one-shot container to exit; its exit code and output.
pub async fn finished(container: &ContainerAsync<GenericImage>, limit: Duration) -> (i64, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(code)) = container.exit_code().await {
            let mut out =
                String::from_utf8_lossy(&container.stdout_to_vec().await.unwrap_or_default())
                    .into_owned();
            out.push_str(&String::from_utf8_lossy(
                &container.stderr_to_vec().await.unwrap_or_default(),
            ));
            return (code, out);
        }
        assert!(
            Instant::now() < deadline,
            "container did not finish in {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Sends SIGKILL to a container (its process dies at once, like kill -9).
pub fn kill9(container: &ContainerAsync<GenericImage>) {
    let out = std::process::Command::new("docker")
        .args(["kill", "--signal", "KILL", container.id()])
        .output()
        .expect("docker kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
