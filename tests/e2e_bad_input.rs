//! End to end: program versions over HTTP, and hostile input on every route
//! never gets a 5xx and never writes anything.

mod common;

use common::{Api, Server};
use serde_json::{json, Value};

const FIXTURE: &str = include_str!("fixtures/program.json");

#[tokio::test(flavor = "multi_thread")]
async fn program_versions_and_hostile_input() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);

    // Versions: new, unchanged, changed, invalid.
    let mut def: Value = serde_json::from_str(FIXTURE).unwrap();
    let (s, b) = api.put("/v1/programs/fx", def.clone()).await;
    assert_eq!(
        (s, b["version"].clone(), b["changed"].clone()),
        (200, json!(1), json!(true)),
        "{b}"
    );
    let (s, b) = api.put("/v1/programs/fx", def.clone()).await;
    assert_eq!(
        (s, b["version"].clone(), b["changed"].clone()),
        (200, json!(1), json!(false)),
        "{b}"
    );
    def["name"] = json!("Fixture program, spring edition");
    let (s, b) = api.put("/v1/programs/fx", def.clone()).await;
    assert_eq!((s, b["version"].clone()), (200, json!(2)), "{b}");
    let (s, b) = api
        .get(&format!(
            "/v1/programs/fx?min_position={}",
            b["position"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["versions"].as_array().unwrap().len(), 2);
    def["tiers"]["currency"] = json!("POINTS");
    let (s, b) = api.put("/v1/programs/fx", def).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{b}"
    );

    let (s, _) = api
        .post(
            "/v1/programs/fx/members",
            json!({"member_id": "m1", "member_type": "individual"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, before) = api.get("/v1/status").await;

    // Ids a member cannot take: the program's own account (its events
    // would be folded as the program's) and dot segments (URLs resolve
    // them away).
    for id in ["program", ".", ".."] {
        let (s, b) = api
            .post(
                "/v1/programs/fx/members",
                json!({"member_id": id, "member_type": "individual"}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "enrolling {id:?}: {b}"
        );
    }
    let (s, b) = api
        .post(
            "/v1/programs/fx/journals",
            json!({"commands": [{"type": "enrollment", "member_id": "program", "member_type": "individual"}]}),
        )
        .await;
    assert_eq!(
        (
            s,
            b["results"][0]["status"].clone(),
            b["results"][0]["error"]["code"].as_str()
        ),
        (200, json!(400), Some("invalid_request")),
        "{b}"
    );

    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        "[".repeat(10_000).into_bytes(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":1e999999}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":"NaN"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":"79228162514264337593543950336"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":0}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":"79228162514264337593543950.33"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","points":{"POINTS":"79228162514264337593543950"}}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","amount":"-0"}"#.to_vec(),
        br#"{"transaction_id":"t\u0000","occurred_at":"2026-01-01T00:00:00Z","amount":"1"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"99999-01-01T00:00:00Z","amount":"1"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","points":{"POINTS":"0.5"}}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","currency":"STATUS","points":"5"}"#.to_vec(),
        br#"{"transaction_id":"t","occurred_at":"2026-01-01T00:00:00Z","currency":"POINTS","points":"1e3"}"#.to_vec(),
        br#"{"transaction_id":"t","cancels":"","occurred_at":"2026-01-01T00:00:00Z","reason":"x"}"#.to_vec(),
        br#"{"transaction_id":"t","tier":"Gold","reason":""}"#.to_vec(),
        br#"{"member_id":"","member_type":"individual"}"#.to_vec(),
        br#"{"member_id":"a b/c","member_type":"individual"}"#.to_vec(),
        br#"{"member_id":"ok","member_type":"robot"}"#.to_vec(),
        br#"{"as_of":"not a time"}"#.to_vec(),
    ];
    let long = "x".repeat(300);
    let paths = [
        "/v1/programs/fx/members".to_string(),
        "/v1/programs/fx/members/m1/accruals".to_string(),
        "/v1/programs/fx/members/m1/redemptions".to_string(),
        "/v1/programs/fx/members/m1/cancellations".to_string(),
        "/v1/programs/fx/members/m1/tier-changes".to_string(),
        format!("/v1/programs/fx/members/{long}/accruals"),
        "/v1/programs/fx/members/%E2%9C%93/accruals".to_string(),
        "/v1/programs/%00/members".to_string(),
    ];
    for path in &paths {
        for body in &bodies {
            let (s, b) = api.post_raw(path, body.clone()).await;
            assert!(
                (400..500).contains(&s),
                "POST {path} {:?} -> {s} {b}",
                String::from_utf8_lossy(body)
            );
            assert!(
                b["error"]["code"].is_string() || s == 404 || s == 405,
                "POST {path}: {b}"
            );
        }
    }
    for query in [
        "limit=abc",
        "limit=0",
        "limit=100000",
        "cursor=zzz",
        "min_position=garbage",
    ] {
        let (s, b) = api
            .get(&format!("/v1/programs/fx/members/m1/ledger?{query}"))
            .await;
        assert_eq!(s, 400, "{query}: {b}");
    }
    // Query strings and paths axum cannot take answer in the API's shape.
    for path in [
        "/v1/programs/fx/members/m1/ledger?limit=-1",
        "/v1/programs/fx/members/m1/ledger?limit=99999999999999999999",
        "/v1/programs/fx/members/m1/ledger?limit=1&limit=2",
        "/v1/programs/fx/members/m1/expiring?dates=-3",
        "/v1/programs/fx/members/%FF",
        "/v1/programs/%FF/stats",
        "/v1/programs/fx/members/m1?as_of=2026-01-01&as_of=2026-02-01",
    ] {
        let (s, b) = api.get(path).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "GET {path}: {b}"
        );
        assert!(b["error"]["message"].is_string(), "GET {path}: {b}");
    }
    // Command routes too; an unknown route and a method a route does not
    // serve also answer in the API's shape.
    for path in [
        "/v1/programs/%FF/members",
        "/v1/programs/fx/members/%FF/accruals",
    ] {
        let (s, b) = api.post(path, json!({})).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "POST {path}: {b}"
        );
    }
    let (s, b) = api.post("/v1/programs/fx/no-such-route", json!({})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("route_not_found")),
        "{b}"
    );
    let (s, b) = api.delete("/v1/programs/fx/members/m1").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (405, Some("method_not_allowed")),
        "{b}"
    );
    // A bad parameter is an immediate 400, not one after waiting for a
    // position that will not come.
    for path in [
        "/v1/programs/fx/members/m1/ledger?min_position=0:999999999&limit=0",
        "/v1/programs/fx/members/m1/ledger?min_position=0:999999999&from=someday",
        "/v1/programs/fx/members/m1/expiring?min_position=0:999999999&dates=0",
        "/v1/programs/fx/members/m1?min_position=0:999999999&as_of=never",
        "/v1/programs/fx/stats?min_position=0:999999999&as_of_position=0:1",
    ] {
        let started = std::time::Instant::now();
        let (s, b) = api.get(path).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "GET {path}: {b}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "GET {path} waited {:?} before refusing",
            started.elapsed()
        );
    }
    let (s, b) = api
        .get("/v1/programs/fx/members/m1?min_position=0:999999999")
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (503, Some("position_not_reached"))
    );
    let (s, b) = api.get("/v1/programs/fx/partners/nobody/liability").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("partner_not_found"))
    );
    let (s, b) = api.get("/no/such/route").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("route_not_found"))
    );

    // Nothing was written by any of it.
    let (_, after) = api.get("/v1/status").await;
    assert_eq!(before["log_end_offsets"], after["log_end_offsets"]);
    server.stop();
}
