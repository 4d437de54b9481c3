//! The part of the HTTP scenario that spans accounts: point transfers and a
//! group with a pool. The receiving side is decided after the sender's
//! reply (the ledger's follow-ups), so reads wait until it shows.

use super::scenario::{code, P};
use super::Api;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Reads `path` until `ready` holds (at most 30 s); returns the body.
async fn eventually(api: &Api, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, body) = api.get(path).await;
        if s == 200 && ready(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn points(view: &Value, currency: &str) -> String {
    view["balances"][currency]["available"]
        .as_str()
        .unwrap_or("0")
        .to_string()
}

async fn enroll(api: &Api, id: &str, member_type: &str) {
    let (s, b) = api.post(&format!("{P}/members"), json!({"member_id": id, "member_type": member_type, "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{b}");
}

async fn credit(api: &Api, member: &str, tx: &str, pts: &str) -> Value {
    let (s, b) = api.post(&format!("{P}/members/{member}/accruals"), json!({"transaction_id": tx, "occurred_at": "2026-11-25T10:00:00Z", "points": {"POINTS": pts}})).await;
    assert_eq!(s, 201, "{b}");
    b
}

/// fay sends gus points (lots keep expiry), one to nobody comes back; the
/// Lees group pools 25% of fay's and 50% of gus's accruals; only fay may
/// spend from the pool, and her history shows it.
pub async fn transfers_and_groups(api: &Api) {
    for (id, kind) in [
        ("fay", "individual"),
        ("gus", "individual"),
        ("lees", "group"),
    ] {
        enroll(api, id, kind).await;
    }
    credit(api, "fay", "fay-1", "400").await;

    let transfer = |tx: &str, to: &str, pts: &str| json!({"transaction_id": tx, "to_member": to, "occurred_at": "2026-11-26T10:00:00Z", "currency": "POINTS", "points": pts, "reason": "birthday"});
    let (s, b) = api
        .post(
            &format!("{P}/members/fay/transfers"),
            transfer("tr-1", "gus", "150"),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, again) = api
        .post(
            &format!("{P}/members/fay/transfers"),
            transfer("tr-1", "gus", "150"),
        )
        .await;
    assert_eq!(s, 200, "a retry answers the original: {again}");
    let gus = eventually(api, &format!("{P}/members/gus"), |v| {
        points(v, "POINTS") == "150"
    })
    .await;
    assert_eq!(gus["balances"]["POINTS"]["transferred"], "150");
    let (_, lots) = api.get(&format!("{P}/members/gus/lots")).await;
    assert!(
        lots.to_string().contains("transfer:fay/tr-1>fay-1/POINTS")
            && lots.to_string().contains("2027-11-25"),
        "the lot keeps its expiry: {lots}"
    );
    let fay = eventually(api, &format!("{P}/members/fay"), |v| {
        v["transfers_in_flight"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    })
    .await;
    assert_eq!(points(&fay, "POINTS"), "250");
    let (s, b) = api
        .post(
            &format!("{P}/members/fay/transfers"),
            transfer("tr-2", "nobody", "50"),
        )
        .await;
    assert_eq!(s, 201, "accepted on the sender: {b}");
    let fay = eventually(api, &format!("{P}/members/fay/ledger?limit=100"), |v| {
        v.to_string().contains("TransferSettled") && v.to_string().contains("not found")
    })
    .await;
    assert!(fay.to_string().contains("PointsTransferredOut"));
    eventually(api, &format!("{P}/members/fay"), |v| {
        points(v, "POINTS") == "250"
    })
    .await;
    let (s, b) = api
        .post(
            &format!("{P}/members/fay/transfers"),
            transfer("tr-3", "gus", "251"),
        )
        .await;
    assert_eq!((s, code(&b)), (422, "insufficient_points"), "{b}");
    let (s, b) = api
        .post(&format!("{P}/members/fay/transfers"), json!({"transaction_id": "tr-4", "to_member": "gus", "occurred_at": "2026-11-26T10:00:00Z", "currency": "STATUS", "points": "1"}))
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_request"), "{b}");

    let add = |tx: &str, m: &str, pct: &str, may: bool| json!({"transaction_id": tx, "member_id": m, "occurred_at": "2026-11-26T10:00:00Z", "contribution_percent": pct, "may_redeem": may});
    for (tx, m, pct, may) in [("g-1", "fay", "25", true), ("g-2", "gus", "50", false)] {
        let (s, b) = api
            .post(
                &format!("{P}/members/lees/group-members"),
                add(tx, m, pct, may),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = api
        .post(
            &format!("{P}/members/fay/group-members"),
            add("g-3", "gus", "5", true),
        )
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_request"), "not a group: {b}");
    let lees = eventually(api, &format!("{P}/members/lees"), |v| {
        v["roster"]["fay"]["confirmed"] == true && v["roster"]["gus"]["confirmed"] == true
    })
    .await;
    assert_eq!(lees["member_type"], "group");
    eventually(api, &format!("{P}/members/fay"), |v| {
        v["group"]["group_id"] == "lees"
    })
    .await;

    credit(api, "fay", "fay-2", "200").await;
    credit(api, "gus", "gus-1", "101").await;
    // 25% of 200 and 50% of 101 (rounded down): 50 + 50.
    let lees = eventually(api, &format!("{P}/members/lees"), |v| {
        points(v, "POINTS") == "100"
    })
    .await;
    assert_eq!(lees["balances"]["POINTS"]["transferred"], "100");
    eventually(api, &format!("{P}/members/fay"), |v| {
        points(v, "POINTS") == "400"
    })
    .await;
    eventually(api, &format!("{P}/members/gus"), |v| {
        points(v, "POINTS") == "201"
    })
    .await;

    let spend = |tx: &str, by: &str, pts: &str| json!({"transaction_id": tx, "occurred_at": "2026-11-27T10:00:00Z", "currency": "POINTS", "points": pts, "by_member": by});
    let (s, b) = api
        .post(
            &format!("{P}/members/lees/redemptions"),
            spend("lr-1", "gus", "10"),
        )
        .await;
    assert_eq!((s, code(&b)), (403, "pool_not_allowed"), "{b}");
    let (s, b) = api
        .post(
            &format!("{P}/members/lees/redemptions"),
            spend("lr-2", "fay", "60"),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    eventually(api, &format!("{P}/members/fay/ledger?limit=100"), |v| {
        v.to_string().contains("PoolSpent")
    })
    .await;

    let (s, b) = api
        .post(&format!("{P}/members/lees/group-members/gus/removals"), json!({"transaction_id": "g-4", "occurred_at": "2026-11-28T10:00:00Z", "reason": "moved out"}))
        .await;
    assert_eq!(s, 201, "{b}");
    eventually(api, &format!("{P}/members/gus"), |v| v["group"].is_null()).await;
    let (s, b) = api
        .post(&format!("{P}/members/lees/group-members/gus/removals"), json!({"transaction_id": "g-5", "occurred_at": "2026-11-28T10:00:00Z", "reason": "again"}))
        .await;
    assert_eq!((s, code(&b)), (404, "not_in_group"), "{b}");
}
