//! Finance on realistic traffic: `loyalty simulate` drives a served ledger
//! through everything (partner stays, escrowed web orders and their
//! release, redemptions into arrears, vouchers, returns, household pools,
//! gifts between members, month-end expiry); then `loyalty reconcile`
//! must agree now and as of several dates, with transfers caught between
//! accounts at the cut, and the history of a pooled member must read back
//! through the ledger's filters as of those dates.

mod common;

use common::{run_loyalty as run, Api, Server};

#[tokio::test(flavor = "multi_thread")]
async fn the_liability_reconciles_now_and_as_of_any_date_after_simulated_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    let (ok, out) = run(&[
        "simulate",
        "--url",
        &server.base,
        "--members",
        "60",
        "--days",
        "45",
    ]);
    assert!(ok, "{out}");
    let api = Api::new(&server.base);
    let (s, pooled) = api
        .get("/v1/programs/cloud-kicks/members/sim-000001/ledger?event_type=PointsTransferredOut&to=2026-01-31")
        .await;
    assert_eq!(s, 200, "{pooled}");
    assert!(
        !pooled["entries"].as_array().unwrap().is_empty(),
        "sim-000001 contributes to its household in January: {pooled}"
    );
    server.stop();

    let dir_arg = data.to_str().unwrap();
    for as_of in [
        None,
        Some("2026-01-03"),
        Some("2026-01-17T12:00:00Z"),
        Some("2026-01-31"),
        Some("2026-02-10"),
    ] {
        let mut args = vec!["reconcile", "cloud-kicks", "--data-dir", dir_arg];
        if let Some(t) = as_of {
            args.extend(["--as-of", t]);
        }
        let (ok, out) = run(&args);
        assert!(ok, "as of {as_of:?}: {out}");
        assert!(out.contains("reconciled"), "{out}");
        assert!(
            out.contains("skyline-hotels"),
            "the partner's figures are listed: {out}"
        );
    }
    let (ok, out) = run(&["verify", "--data-dir", dir_arg]);
    assert!(ok, "{out}");
}
