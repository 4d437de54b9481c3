//! Auditors and finance against a real `loyalty serve`: member views as of
//! a time and a log position, statistics and liability as of a date (JSON
//! and CSV), the ledger's filters, cursor and why; then the CLIs on the
//! data directory: `loyalty audit member`, `loyalty reconcile` (passing, and
//! failing on a figure altered in the read models) and `loyalty export` to
//! JSON lines and Parquet.

mod common;

use common::{run_loyalty as run, Api, Server};
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{json, Value};
use std::path::Path;

const P: &str = "/v1/programs/fx";

async fn command(api: &Api, path: &str, body: Value) -> Value {
    let (s, b) = api.post(&format!("{P}{path}"), body).await;
    assert_eq!(s, 201, "{path}: {b}");
    b
}

/// A decimal served as a string (or a number).
fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
        .parse()
        .unwrap_or_else(|e| panic!("{v} is not a decimal: {e}"))
}

fn points(body: &Value) -> String {
    body["balances"]["POINTS"]["available"].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn auditors_and_finance_read_the_ledger_as_of_any_point() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    let api = Api::new(&server.base);
    let program: Value = serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = api.put(P, program).await;
    assert_eq!(s, 200, "{b}");
    for m in ["ada", "bob"] {
        command(&api, "/members", json!({"member_id": m, "member_type": "individual", "enrolled_at": "2026-01-01T00:00:00Z"})).await;
    }
    let jan = command(
        &api,
        "/members/ada/accruals",
        json!({"transaction_id": "a-jan", "occurred_at": "2026-01-10T10:00:00Z", "amount": "100"}),
    )
    .await;
    command(&api, "/members/bob/accruals", json!({"transaction_id": "b-jan", "occurred_at": "2026-01-15T10:00:00Z", "points": {"POINTS": "300"}, "partner_id": "hotel"})).await;
    let feb = command(&api, "/members/ada/accruals", json!({"transaction_id": "a-feb", "occurred_at": "2026-02-10T10:00:00Z", "points": {"POINTS": "500"}, "partner_id": "hotel"})).await;
    let mar = command(&api, "/members/ada/redemptions", json!({"transaction_id": "a-mar", "occurred_at": "2026-03-10T10:00:00Z", "currency": "POINTS", "points": "200"})).await;
    let token = mar["position"].as_str().unwrap().to_string();
    let member = |query: &str| format!("{P}/members/ada?min_position={token}&{query}");

    // A member as of a time: the balances after the last event by then.
    let (s, now) = api.get(&member("")).await;
    assert_eq!(s, 200, "{now}");
    assert_eq!(points(&now), points(&mar));
    for (as_of, after) in [
        ("2026-01-31", &jan),
        ("2026-02-10T10:00:00Z", &feb),
        ("2026-03-31", &mar),
    ] {
        let (s, b) = api.get(&member(&format!("as_of={as_of}"))).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(points(&b), points(after), "as of {as_of}: {b}");
        assert_eq!(b["as_of"], json!(as_of));
    }
    let (_, jan_view) = api.get(&member("as_of=2026-01-31")).await;
    let points_lots = |lots: &Value| {
        lots.as_array()
            .unwrap()
            .iter()
            .filter(|l| l["currency"] == "POINTS")
            .count()
    };
    assert_eq!(
        points_lots(&jan_view["lots"]),
        1,
        "one open lot in January: {jan_view}"
    );
    // ... and as of a log position (the January accrual's).
    let jan_position = jan["position"].as_str().unwrap();
    let (s, b) = api
        .get(&member(&format!("as_of_position={jan_position}")))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(points(&b), points(&jan));
    // Before enrolment there is no member; bad parameters are 400s.
    let (s, b) = api.get(&member("as_of=2025-12-31")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("member_not_found")),
        "{b}"
    );
    for bad in [
        "as_of=last-week",
        "as_of_position=zero",
        "as_of_position=,",
        "as_of_position=",
        "as_of=2026-01-31&as_of_position=0:1",
    ] {
        let (s, b) = api.get(&member(bad)).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{bad}: {b}"
        );
    }

    // A position cut is a consistency token too: one the read models have
    // not applied is 503, never the live view labelled as of it.
    let (s, b) = api
        .get(&format!("{P}/members/ada?as_of_position=0:999999999"))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (503, Some("position_not_reached")),
        "{b}"
    );
    // Totals are kept by business time: a position cut is refused, not ignored.
    for path in ["stats", "liability", "partners/hotel/liability"] {
        let (s, b) = api
            .get(&format!("{P}/{path}?as_of_position={jan_position}"))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{path}: {b}"
        );
        assert!(
            b["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("as_of_position is not supported")),
            "{path}: {b}"
        );
    }

    // Statistics and liability as of the end of January.
    let (s, stats) = api.get(&format!("{P}/stats?as_of=2026-01-31")).await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(stats["members"], json!(2));
    let (_, hotel) = api
        .get(&format!("{P}/partners/hotel/liability?as_of=2026-01-31"))
        .await;
    assert_eq!(hotel["issued"], json!("300"), "{hotel}");
    let (_, hotel) = api.get(&format!("{P}/partners/hotel/liability")).await;
    assert_eq!(hotel["issued"], json!("800"), "{hotel}");
    let (s, all) = api.get(&format!("{P}/liability?as_of=2026-03-31")).await;
    assert_eq!(s, 200, "{all}");
    let ids: Vec<&Value> = all["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["partner_id"])
        .collect();
    assert_eq!(
        ids,
        [&Value::Null, &json!("hotel")],
        "the program's own points and the hotel: {all}"
    );
    let (_, bob) = api.get(&format!("{P}/members/bob")).await;
    let balances: rust_decimal::Decimal = [&mar, &bob]
        .iter()
        .map(|b| dec(&b["balances"]["POINTS"]["available"]))
        .sum();
    let outstanding = dec(&all["total"]["outstanding"]);
    assert_eq!(
        outstanding, balances,
        "total outstanding = member balances: {all}"
    );
    let csv = api
        .http
        .get(format!("{}{P}/liability?as_of=2026-01-31", server.base))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "partner_id,currency,issued,redeemed,expired,cancelled,outstanding,cost_per_point,liability_amount,money_currency");
    assert!(
        lines.contains(&"hotel,POINTS,300,0,0,0,300,0.005,1.5,EUR"),
        "{csv}"
    );

    // The ledger: filters, a stable cursor, and the why of every entry.
    let ledger = |query: &str| format!("{P}/members/ada/ledger?{query}");
    let (_, full) = api.get(&ledger("limit=100")).await;
    let all_entries = full["entries"].as_array().unwrap().clone();
    assert_eq!(
        all_entries.len(),
        4,
        "enrolment, two accruals, a redemption: {full}"
    );
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = api.get(&ledger(&format!("limit=1&cursor={cursor}"))).await;
        assert_eq!(s, 200, "{page}");
        walked.extend(
            page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["sequence"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let sequences: Vec<Value> = all_entries.iter().map(|e| e["sequence"].clone()).collect();
    assert_eq!(
        walked, sequences,
        "pages of one walk the whole history once"
    );
    let (_, accruals) = api.get(&ledger("event_type=PointsAccrued")).await;
    assert_eq!(
        accruals["entries"].as_array().unwrap().len(),
        2,
        "{accruals}"
    );
    let (_, hotel_only) = api.get(&ledger("partner=hotel")).await;
    let hotel_entries = hotel_only["entries"].as_array().unwrap();
    assert_eq!(
        hotel_entries.len(),
        2,
        "the hotel accrual and the redemption from its lot: {hotel_only}"
    );
    let (_, february) = api.get(&ledger("from=2026-02-01&to=2026-02-28")).await;
    assert_eq!(
        february["entries"].as_array().unwrap().len(),
        1,
        "{february}"
    );
    let jan_entry = &all_entries[1];
    assert_eq!(
        jan_entry["why"]["journal"]["transaction_id"],
        json!("a-jan")
    );
    assert!(
        !jan_entry["why"]["rules"].as_array().unwrap().is_empty(),
        "{jan_entry}"
    );
    assert_eq!(
        points_lots(&jan_entry["why"]["lots_opened"]),
        1,
        "{jan_entry}"
    );
    let redemption = &all_entries[3];
    assert!(
        !redemption["why"]["lots_debited"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{redemption}"
    );
    assert_eq!(redemption["detail"]["points"], json!("200"), "{redemption}");
    let (s, b) = api.get(&ledger("from=someday")).await;
    assert_eq!(s, 400, "{b}");

    // The audit table, from the CLI.
    let (ok, out) = run(&["audit", "member", "fx", "ada", "--url", &server.base]);
    assert!(ok, "{out}");
    assert!(
        out.contains("PointsRedeemed") && out.contains("a-feb") && out.contains("4 entries"),
        "{out}"
    );
    // An unknown member is the API's error, code and message; an id with a
    // `/` stays one path segment (not another route).
    for nobody in ["nobody", "no/body"] {
        let (ok, out) = run(&["audit", "member", "fx", nobody, "--url", &server.base]);
        assert!(!ok, "{out}");
        assert!(
            out.contains("404") && out.contains("member_not_found: member") && out.contains(nobody),
            "{out}"
        );
    }
    server.stop();

    // Reconciliation, now and as of January.
    let dir_arg = data.to_str().unwrap();
    let (ok, out) = run(&["reconcile", "fx", "--data-dir", dir_arg]);
    assert!(ok, "{out}");
    assert!(out.contains("reconciled"), "{out}");
    let (ok, out) = run(&[
        "reconcile",
        "fx",
        "--data-dir",
        dir_arg,
        "--as-of",
        "2026-01-31",
    ]);
    assert!(ok, "{out}");

    // Exports.
    let jsonl = dir.path().join("events.jsonl");
    let (ok, out) = run(&[
        "export",
        "--data-dir",
        dir_arg,
        "--format",
        "jsonl",
        "--output",
        jsonl.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let rows: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let fx = rows.iter().filter(|r| r["program_id"] == "fx").count();
    assert_eq!(fx, 1 + 2 + 4, "the program, two enrolments, four commands");
    assert!(rows
        .iter()
        .any(|r| r["transaction_id"] == "a-mar" && r["body"]["points"] == json!("200")));
    let (ok, out) = run(&[
        "export",
        "--data-dir",
        dir_arg,
        "--format",
        "jsonl",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        "--output",
        jsonl.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap().lines().count(), 1);
    let parquet_file = dir.path().join("events.parquet");
    let (ok, out) = run(&[
        "export",
        "--data-dir",
        dir_arg,
        "--format",
        "parquet",
        "--output",
        parquet_file.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let reader = SerializedFileReader::new(std::fs::File::open(&parquet_file).unwrap()).unwrap();
    assert_eq!(
        reader.metadata().file_metadata().num_rows(),
        rows.len() as i64
    );
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert!(
        columns.starts_with(&[
            "partition".to_string(),
            "offset".to_string(),
            "event_id".to_string()
        ]),
        "{columns:?}"
    );

    // A figure altered in the read models does not reconcile.
    alter_hotel_figures(&data.join("readmodels"));
    let (ok, out) = run(&["reconcile", "fx", "--data-dir", dir_arg]);
    assert!(!ok, "{out}");
    assert!(out.contains("MISMATCH partner hotel POINTS"), "{out}");
}

/// Adds 1,000 issued points to the hotel's live figures behind the ledger's back.
fn alter_hotel_figures(models: &Path) {
    let store = projector::Store::open(models).unwrap();
    let key = projector::keys::partner("fx", "hotel", "POINTS");
    let mut figures: projector::views::PartnerFigures = store.get_json(&key).unwrap().unwrap();
    figures.issued += rust_decimal::Decimal::from(1000);
    let mut batch = rocksdb::WriteBatch::default();
    batch.put(&key, serde_json::to_vec(&figures).unwrap());
    store.write(batch).unwrap();
}

/// Every page of `path` (`{cursor_param}` appended), following the cursor in
/// `next_field` to the end; the items of `field` in order.
async fn all_pages(
    api: &Api,
    path: &str,
    cursor_param: &str,
    field: &str,
    next_field: &str,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let (s, b) = api.get(&format!("{path}&{cursor_param}={cursor}")).await;
        assert_eq!(s, 200, "{path}: {b}");
        items.extend(b[field].as_array().unwrap().iter().cloned());
        match b[next_field].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return items,
        }
    }
    panic!("{path}: the cursor never ended");
}

/// A served ledger with the fixture program and one member enrolled.
async fn serve_with_member(dir: &Path, member: &str) -> (Server, Api) {
    let server = Server::start(&dir.join("data")).await;
    let api = Api::new(&server.base);
    let program: Value = serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    let (s, b) = api.put(P, program).await;
    assert_eq!(s, 200, "{b}");
    command(&api, "/members", json!({"member_id": member, "member_type": "individual", "enrolled_at": "2026-01-01T00:00:00Z"})).await;
    (server, api)
}

#[tokio::test(flavor = "multi_thread")]
async fn open_lots_come_a_page_at_a_time_live_and_as_of() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, api) = serve_with_member(dir.path(), "cy").await;
    let mut token = String::new();
    for day in 1..=7 {
        let b = command(&api, "/members/cy/accruals", json!({"transaction_id": format!("cy-{day}"), "occurred_at": format!("2026-03-0{day}T10:00:00Z"), "points": {"POINTS": "10"}, "partner_id": if day % 2 == 0 { json!("hotel") } else { Value::Null }})).await;
        token = b["position"].as_str().unwrap().to_string();
    }
    let member = format!("{P}/members/cy?min_position={token}");

    // Live: pages of two in key order, then nothing more; one page of all agrees.
    let (s, whole) = api
        .get(&format!(
            "{P}/members/cy/lots?min_position={token}&limit=1000"
        ))
        .await;
    assert_eq!(s, 200, "{whole}");
    assert!(whole["next_cursor"].is_null(), "{whole}");
    let whole = whole["lots"].as_array().unwrap().clone();
    assert!(whole.len() >= 7, "one lot per accrual at least: {whole:?}");
    let paged = all_pages(
        &api,
        &format!("{P}/members/cy/lots?min_position={token}&limit=2"),
        "cursor",
        "lots",
        "next_cursor",
    )
    .await;
    assert_eq!(paged, whole);
    let (_, first) = api
        .get(&format!("{P}/members/cy/lots?min_position={token}"))
        .await;
    assert_eq!(
        first["lots"].as_array().unwrap().len(),
        whole.len(),
        "a default page holds 100"
    );

    // As of the fifth accrual: the lots open then, a page at a time, and their count.
    let as_of = format!("{member}&as_of=2026-03-05T12:00:00Z");
    let (s, view) = api.get(&format!("{as_of}&lots_limit=1000")).await;
    assert_eq!(s, 200, "{view}");
    let then = view["lots"].as_array().unwrap().clone();
    assert_eq!(view["open_lots"], json!(then.len()), "{view}");
    assert!(view["lots_next_cursor"].is_null(), "{view}");
    assert!(then.len() >= 5 && then.len() < whole.len(), "{view}");
    let paged = all_pages(
        &api,
        &format!("{as_of}&lots_limit=2"),
        "lots_cursor",
        "lots",
        "lots_next_cursor",
    )
    .await;
    assert_eq!(paged, then);

    // Bad page parameters are 400s on both routes.
    for bad in [
        format!("{P}/members/cy/lots?limit=0"),
        format!("{P}/members/cy/lots?limit=1001"),
        format!("{P}/members/cy/lots?cursor=zz"),
        format!("{as_of}&lots_limit=0"),
        format!("{as_of}&lots_cursor=not-a-cursor"),
        format!("{as_of}&lots_limit=many"),
    ] {
        let (s, b) = api.get(&bad).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{bad}: {b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_from_filter_starts_at_the_clock_and_keeps_late_events() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, api) = serve_with_member(dir.path(), "di").await;
    let mut token = String::new();
    // The February accrual arrives after the March one: its entry comes
    // later in the history than its business time.
    for (tx, at) in [
        ("d-jan", "2026-01-10"),
        ("d-mar", "2026-03-05"),
        ("d-feb", "2026-02-15"),
        ("d-apr", "2026-04-01"),
    ] {
        let b = command(&api, "/members/di/accruals", json!({"transaction_id": tx, "occurred_at": format!("{at}T10:00:00Z"), "points": {"POINTS": "10"}})).await;
        token = b["position"].as_str().unwrap().to_string();
    }
    let ledger = |query: &str| format!("{P}/members/di/ledger?min_position={token}&{query}");
    let kept = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["transaction_id"].as_str().unwrap().to_string())
            .collect()
    };

    let (s, page) = api.get(&ledger("from=2026-02-10")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(kept(&page), ["d-mar", "d-feb", "d-apr"], "{page}");
    assert_eq!(
        page["examined"],
        json!(3),
        "the enrolment and January are never read: {page}"
    );
    // After March the clock is past the late February entry: not kept.
    let (_, page) = api.get(&ledger("from=2026-03-10")).await;
    assert_eq!(kept(&page), ["d-apr"], "{page}");
    // A cursor before the start is moved on; one after it is kept.
    let (_, page) = api.get(&ledger("from=2026-02-10&cursor=1")).await;
    assert_eq!(kept(&page), ["d-mar", "d-feb", "d-apr"], "{page}");
    let (_, page) = api.get(&ledger("from=2026-02-10&cursor=4")).await;
    assert_eq!(kept(&page), ["d-apr"], "{page}");
    let (_, page) = api.get(&ledger("from=2027-01-01")).await;
    assert_eq!(kept(&page), Vec::<String>::new(), "{page}");
    assert!(page["next_cursor"].is_null(), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn liability_as_of_a_date_is_priced_at_the_cost_in_force_then() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, api) = serve_with_member(dir.path(), "di").await;
    let jan = command(&api, "/members/di/accruals", json!({"transaction_id": "di-jan", "occurred_at": "2026-01-15T10:00:00Z", "points": {"POINTS": "300"}, "partner_id": "hotel"})).await;
    // The hotel's cost doubles from February on (a second version).
    let mut program: Value = serde_json::from_str(include_str!("fixtures/program.json")).unwrap();
    program["partners"][0]["cost_per_point"] = json!("0.01");
    program["effective_from"] = json!("2026-02-01T00:00:00Z");
    let (s, b) = api.put(P, program).await;
    assert_eq!((s, b["version"].as_u64()), (200, Some(2)), "{b}");
    let token = format!(
        "{},{}",
        jan["position"].as_str().unwrap(),
        b["position"].as_str().unwrap()
    );
    let priced = |body: &Value| {
        (
            body["cost_per_point"].as_str().map(str::to_string),
            body["liability_amount"].as_str().map(str::to_string),
        )
    };
    let hotel = |query: &str| format!("{P}/partners/hotel/liability?min_position={token}&{query}");
    let cases = [
        ("as_of=2026-01-31", ("0.005", "1.5")),
        ("as_of=2026-03-31", ("0.01", "3")),
        ("", ("0.01", "3")),
    ];
    for (query, (cost, amount)) in cases {
        let (s, b) = api.get(&hotel(query)).await;
        assert_eq!(s, 200, "{query}: {b}");
        assert_eq!(
            priced(&b),
            (Some(cost.to_string()), Some(amount.to_string())),
            "{query}: {b}"
        );
        let (_, all) = api
            .get(&format!("{P}/liability?min_position={token}&{query}"))
            .await;
        assert_eq!(
            all["total"]["liability_amount"],
            json!(amount),
            "{query}: {all}"
        );
    }
    // Every version lists its partners' costs, the figures' explanation.
    let (_, p) = api.get(&format!("{P}?min_position={token}")).await;
    assert_eq!(
        p["versions"][0]["partner_costs"],
        json!({"hotel": "0.005"}),
        "{p}"
    );
    assert_eq!(
        p["versions"][1]["partner_costs"],
        json!({"hotel": "0.01"}),
        "{p}"
    );
}
