//! End to end: the real `loyalty serve` process driven over HTTP, then
//! killed (-9) and restarted, then stopped, rebuilt and restarted: nothing
//! is lost and every figure stays the same.

mod common;

use common::scenario::{drive, snapshot, P};
use common::{loyalty, Api, Server};

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_end_to_end_survives_kill_and_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);

    // The sample program is loaded.
    let (s, program) = api.get(P).await;
    assert_eq!(s, 200, "{program}");
    assert_eq!(program["name"], "Cloud Kicks Insiders");
    assert_eq!(program["version"], 1);

    let (accrual, first) = drive(&api).await;

    // kill -9 and restart: nothing lost, retries still recognised.
    let before = snapshot(&api, &["ada", "bob"]).await;
    let server = server.restart_after_kill9().await;
    let (s, again) = api
        .post(&format!("{P}/members/ada/accruals"), accrual.clone())
        .await;
    assert_eq!(
        (s, again["credited"].clone()),
        (200, first["credited"].clone())
    );
    let after = snapshot(&api, &["ada", "bob"]).await;
    assert_eq!(before, after);

    // Stop, rebuild the read models from position 0, restart: identical.
    server.stop();
    let out = loyalty()
        .args(["rebuild", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("events/s"));
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    assert_eq!(snapshot(&api, &["ada", "bob"]).await, after);
    server.stop();
}
