//! End to end: `POST /v1/programs/{p}/journals` on a real `loyalty serve`.
//! Each command is answered on its own (created, duplicate, rejected or
//! malformed) in the order given; the accepted ones are on the member's
//! view and history; a retried batch writes nothing; oversized batches and
//! bodies are refused whole with 413 and write nothing.

mod common;

use common::{Api, Server};
use serde_json::{json, Value};

const P: &str = "/v1/programs/cloud-kicks";

fn statuses(body: &Value) -> Vec<u64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

async fn log_end(api: &Api) -> u64 {
    let (_, status) = api.get("/v1/status").await;
    status["log_end_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_journals_is_answered_command_by_command() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let buy = |tx: &str, amount: Value| {
        json!({"type": "accrual", "member_id": "ada", "transaction_id": tx,
               "occurred_at": "2026-03-01T10:00:00Z", "amount": amount, "channel": "store"})
    };
    let commands = json!([
        {"type": "enrollment", "member_id": "ada", "member_type": "individual",
         "enrolled_at": "2026-01-01T00:00:00Z"},
        {"type": "enrollment", "member_id": "bob", "member_type": "individual",
         "enrolled_at": "2026-01-01T00:00:00Z"},
        buy("b1", json!("100.00")),
        buy("b2", json!(50)),
        {"type": "redemption", "member_id": "ada", "transaction_id": "r1",
         "occurred_at": "2026-03-02T10:00:00Z", "currency": "POINTS", "points": "999999"},
        {"type": "redemption", "member_id": "ada", "transaction_id": "r2",
         "occurred_at": "2026-03-02T11:00:00Z", "currency": "POINTS", "points": "300"},
        buy("b1", json!("100.00")),
        {"member_id": "ada", "transaction_id": "x"},
        {"type": "teleport", "member_id": "ada"},
        buy("b3", json!("not a number")),
        {"type": "accrual", "member_id": "nobody", "transaction_id": "n1",
         "occurred_at": "2026-03-01T10:00:00Z", "amount": "10"},
        {"type": "adjustment", "member_id": "bob", "transaction_id": "a1",
         "occurred_at": "2026-03-03T10:00:00Z", "currency": "POINTS", "points": "75",
         "actor": "ops", "reason": "goodwill"},
        buy("b1", json!("1.00"))
    ]);
    let (s, body) = api
        .post(&format!("{P}/journals"), json!({"commands": commands}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        statuses(&body),
        vec![201, 201, 201, 201, 422, 201, 200, 400, 400, 400, 404, 201, 409],
        "{body:#}"
    );
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(7), json!(6))
    );
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[2]["credited"]["POINTS"], "1000", "{}", results[2]);
    assert_eq!(results[4]["error"]["code"], "insufficient_points");
    assert_eq!(
        results[6]["credited"], results[2]["credited"],
        "a retry answers the original"
    );
    assert_eq!(results[7]["error"]["code"], "invalid_request");
    assert_eq!(results[10]["error"]["code"], "member_not_found");
    assert_eq!(results[12]["error"]["code"], "transaction_conflict");

    // Everything accepted is visible at the batch's position.
    let token = body["position"].as_str().unwrap();
    let (s, view) = api
        .get(&format!("{P}/members/ada?min_position={token}"))
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["balances"]["POINTS"]["available"], "1200", "{view:#}");
    let (_, bob) = api
        .get(&format!("{P}/members/bob?min_position={token}"))
        .await;
    assert_eq!(bob["balances"]["POINTS"]["available"], "75", "{bob:#}");
    let (_, ledger) = api
        .get(&format!("{P}/members/ada/ledger?min_position={token}"))
        .await;
    let types: Vec<&str> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| **t == "PointsAccrued").count(),
        2,
        "{types:?}"
    );

    // The same batch again: nothing new on the log, every accepted command a duplicate.
    let end = log_end(&api).await;
    let (s, again) = api
        .post(&format!("{P}/journals"), json!({"commands": commands}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        statuses(&again),
        vec![409, 409, 200, 200, 422, 200, 200, 400, 400, 400, 404, 200, 409],
        "{again:#}"
    );
    assert_eq!(log_end(&api).await, end);

    // Too many commands, or too large a body: refused whole, nothing written.
    let many: Vec<Value> = (0..5_001)
        .map(|i| buy(&format!("m{i}"), json!("1")))
        .collect();
    let (s, b) = api
        .post(&format!("{P}/journals"), json!({"commands": many}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("too_many_commands"))
    );
    let huge = format!("{{\"commands\": [\"{}\"]}}", "x".repeat(9 << 20));
    let (s, b) = api
        .post_raw(&format!("{P}/journals"), huge.into_bytes())
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    for bad in [&b"not json"[..], b"{\"commands\": 3}", b"[]"] {
        let (s, b) = api.post_raw(&format!("{P}/journals"), bad.to_vec()).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{b}"
        );
    }
    let (s, b) = api
        .post(
            "/v1/programs/nope/journals",
            json!({"commands": [buy("z", json!("1"))]}),
        )
        .await;
    assert_eq!(
        (s, b["results"][0]["status"].clone()),
        (200, json!(404)),
        "{b}"
    );
    assert_eq!(log_end(&api).await, end);
    server.stop();
}
