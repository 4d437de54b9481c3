//! The HTTP scenario every end-to-end test drives: enroll, accrue, retry,
//! conflict, redeem, partner points, tier upgrade, cancellations, manual
//! adjustments, member status, escrow, promotions and their versions, the
//! accrual dry run, vouchers, tier benefits and negative limits, bad input,
//! program-wide runs, liability, ledger paging.

use super::Api;
use serde_json::{json, Value};

pub const P: &str = "/v1/programs/cloud-kicks";

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// The views whose equality proves nothing was lost.
pub async fn snapshot(api: &Api, members: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for m in members {
        out.push(api.get(&format!("{P}/members/{m}")).await.1);
        out.push(
            api.get(&format!("{P}/members/{m}/ledger?limit=1000"))
                .await
                .1,
        );
    }
    out.push(
        api.get(&format!("{P}/partners/skyline-hotels/liability"))
            .await
            .1,
    );
    out.push(api.get(&format!("{P}/stats")).await.1);
    out
}

/// Drives the scenario on members ada and bob; returns the first accrual's
/// request and response (to check retries later).
pub async fn drive(api: &Api) -> (Value, Value) {
    // Enroll.
    let (s, b) = api.post(&format!("{P}/members"), json!({"member_id": "ada", "member_type": "individual", "channel": "app", "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .post(
            &format!("{P}/members"),
            json!({"member_id": "ada", "member_type": "individual"}),
        )
        .await;
    assert_eq!((s, code(&b)), (409, "member_exists"));
    let (s, _) = api.post(&format!("{P}/members"), json!({"member_id": "bob", "member_type": "corporate", "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201);

    // Accrue in the app: 10 POINTS per USD doubled, 1 STATUS per USD.
    let accrual = json!({"transaction_id": "pos-1", "occurred_at": "2026-11-20T10:00:00Z", "amount": "129.99", "channel": "app"});
    let (s, first) = api
        .post(&format!("{P}/members/ada/accruals"), accrual.clone())
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(
        first["credited"],
        json!({"POINTS": "2598", "STATUS": "129"})
    );
    assert_eq!(first["tier"], "Bronze");
    let position = first["position"].as_str().unwrap().to_string();

    // A retry returns the original result; a different body conflicts.
    let (s, retry) = api
        .post(&format!("{P}/members/ada/accruals"), accrual.clone())
        .await;
    assert_eq!(s, 200);
    assert_eq!(retry, first);
    let mut changed = accrual.clone();
    changed["amount"] = json!(130);
    let (s, b) = api
        .post(&format!("{P}/members/ada/accruals"), changed)
        .await;
    assert_eq!((s, code(&b)), (409, "transaction_conflict"));

    // Read your write.
    let (s, view) = api
        .get(&format!("{P}/members/ada?min_position={position}"))
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["balances"]["POINTS"]["available"], "2598");
    assert_eq!(view["balances"]["STATUS"]["available"], "129");
    assert_eq!(view["tier"], "Bronze");
    assert_eq!(
        view["expiring"],
        json!([{"currency": "POINTS", "points": "2598", "expires_at": "2027-11-20T10:00:00Z"}])
    );
    let (s, due) = api.get(&format!("{P}/members/ada/expiring?dates=3")).await;
    assert_eq!(s, 200, "{due}");
    assert_eq!(
        due["expiring"],
        json!([{"expires_at": "2027-11-20T10:00:00Z", "points": {"POINTS": "2598"}}])
    );
    let (s, b) = api.get(&format!("{P}/members/ada/expiring?dates=0")).await;
    assert_eq!((s, code(&b)), (400, "invalid_request"));

    // Redeem; overdraft is refused.
    let (s, red) = api
        .post(&format!("{P}/members/ada/redemptions"), json!({"transaction_id": "red-1", "occurred_at": "2026-11-21T10:00:00Z", "currency": "POINTS", "points": 500}))
        .await;
    assert_eq!(s, 201, "{red}");
    assert_eq!(red["balances"]["POINTS"]["available"], "2098");
    assert_eq!(
        red["badges"],
        json!([{"badge": "first-reward", "valid_until": null}]),
        "the first redemption earns its badge"
    );
    let (s, b) = api
        .post(&format!("{P}/members/ada/redemptions"), json!({"transaction_id": "red-2", "occurred_at": "2026-11-21T10:00:00Z", "currency": "POINTS", "points": "100000"}))
        .await;
    assert_eq!((s, code(&b)), (422, "insufficient_points"));

    // A partner hotel stay, then a big purchase that reaches Silver.
    let (s, b) = api
        .post(&format!("{P}/members/ada/accruals"), json!({"transaction_id": "hotel-1", "occurred_at": "2026-11-22T10:00:00Z", "points": {"POINTS": "1000"}, "partner_id": "skyline-hotels"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .post(&format!("{P}/members/ada/accruals"), json!({"transaction_id": "pos-2", "occurred_at": "2026-11-22T11:00:00Z", "amount": 600, "channel": "store"}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["tier"], "Silver");
    assert_eq!(b["events"], json!(["PointsAccrued", "TierChanged"]));

    // Cancel the redemption (lots come back), not twice; unknown ids are 404.
    let cancel = json!({"transaction_id": "x-1", "cancels": "red-1", "occurred_at": "2026-11-23T09:00:00Z", "reason": "order cancelled"});
    let (s, b) = api
        .post(&format!("{P}/members/ada/cancellations"), cancel)
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .post(&format!("{P}/members/ada/cancellations"), json!({"transaction_id": "x-2", "cancels": "red-1", "occurred_at": "2026-11-23T09:00:00Z", "reason": "again"}))
        .await;
    assert_eq!((s, code(&b)), (409, "already_cancelled"));
    let (s, b) = api
        .post(&format!("{P}/members/ada/cancellations"), json!({"transaction_id": "x-3", "cancels": "nope", "occurred_at": "2026-11-23T09:00:00Z", "reason": "?"}))
        .await;
    assert_eq!((s, code(&b)), (404, "transaction_not_found"));

    // Manual tier change.
    let (s, b) = api
        .post(
            &format!("{P}/members/bob/tier-changes"),
            json!({"transaction_id": "tc-1", "tier": "Gold", "reason": "corporate deal"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["tier"], "Gold");
    assert_eq!(b["badges"][0]["badge"], "gold-club", "{b}");
    let (s, b) = api
        .post(
            &format!("{P}/members/ada/badges"),
            json!({"transaction_id": "bd-1", "badge": "ambassador", "occurred_at": "2026-11-23T10:00:00Z", "reason": "store opening"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["badges"],
        json!([{"badge": "ambassador", "valid_until": "2027-05-23T10:00:00Z"}])
    );
    let (s, again) = api
        .post(
            &format!("{P}/members/ada/badges"),
            json!({"transaction_id": "bd-2", "badge": "ambassador", "occurred_at": "2026-11-24T10:00:00Z", "reason": "again"}),
        )
        .await;
    assert_eq!((s, code(&again)), (409, "badge_held"));
    let (s, view) = api
        .get(&format!(
            "{P}/members/ada?min_position={}",
            b["position"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200, "{view}");
    let held: Vec<_> = view["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["badge"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(held, ["ambassador", "first-reward"]);

    // Manual adjustments, suspension, reactivation and unenrollment (cy).
    status_and_adjustments(api).await;
    // Escrow on a second program: pending, not spendable, released by a run.
    escrow(api).await;
    // Promotions (dry run, versions), vouchers, benefits, negative limits (eve).
    promotions(api).await;
    vouchers_and_limits(api).await;
    // Point transfers and a group with a pool (fay, gus, lees).
    super::cross_account::transfers_and_groups(api).await;

    // Bad input: clear 4xx codes, nothing written.
    let bad = [
        (b"{not json".to_vec(), 400, "invalid_request"),
        (br#"{"transaction_id":"b1","occurred_at":"2026-11-20T10:00:00Z","amount":true}"#.to_vec(), 400, "invalid_request"),
        (br#"{"transaction_id":"b2","occurred_at":"2026-11-20T10:00:00Z","amount":"-5"}"#.to_vec(), 400, "invalid_request"),
        (br#"{"transaction_id":"b3","occurred_at":"2026-11-20T10:00:00Z","amount":"1.001"}"#.to_vec(), 400, "invalid_request"),
        (br#"{"transaction_id":"b4","occurred_at":"2026-11-20T10:00:00Z","points":{"GEMS":"5"}}"#.to_vec(), 400, "invalid_request"),
        (br#"{"transaction_id":"b5","occurred_at":"yesterday","amount":"5"}"#.to_vec(), 400, "invalid_request"),
    ];
    for (body, status, want) in bad {
        let (s, b) = api
            .post_raw(&format!("{P}/members/ada/accruals"), body)
            .await;
        assert_eq!((s, code(&b)), (status, want), "{b}");
    }
    let (s, b) = api
        .post(
            &format!("{P}/members/bob/tier-changes"),
            json!({"transaction_id": "tc-2", "tier": "Platinum", "reason": "x"}),
        )
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_request"));
    let (s, b) = api
        .post("/v1/programs/nope/members/ada/accruals", accrual.clone())
        .await;
    assert_eq!((s, code(&b)), (404, "program_not_found"));
    let (s, b) = api
        .post(&format!("{P}/members/zed/accruals"), accrual.clone())
        .await;
    assert_eq!((s, code(&b)), (404, "member_not_found"));
    let (s, b) = api.get(&format!("{P}/members/zed")).await;
    assert_eq!((s, code(&b)), (404, "member_not_found"));
    let huge = vec![b' '; 2 << 20];
    let (s, _) = api
        .post_raw(&format!("{P}/members/ada/accruals"), huge)
        .await;
    assert_eq!(s, 413);

    // Program-wide runs.
    let (s, b) = api
        .post(
            &format!("{P}/tier-assessments"),
            json!({"as_of": "2027-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // ada's 729 STATUS keep Silver and are reset; bob falls from Gold to
    // Bronze, eve (40 STATUS, Silver by status match) from Silver.
    assert_eq!(b["members_affected"], 3, "{b}");
    assert_eq!(
        b["tier_moves"],
        json!([{"from": "Gold", "to": "Bronze", "members": 1}, {"from": "Silver", "to": "Bronze", "members": 1}])
    );
    let (s, b) = api
        .post(
            &format!("{P}/expirations"),
            json!({"as_of": "2027-11-21T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["points"]["POINTS"], "2598", "pos-1's lot is due: {b}");
    let token = b["position"].as_str().unwrap().to_string();

    // Partner liability: 1000 issued at 0.004.
    let (s, l) = api
        .get(&format!(
            "{P}/partners/skyline-hotels/liability?min_position={token}"
        ))
        .await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["issued"], "1000");
    assert_eq!(l["outstanding"], "1000");
    assert_eq!(l["liability_amount"], "4");

    // Ledger pages with a cursor cover every event exactly once.
    let mut cursor = String::new();
    let mut seen = Vec::new();
    loop {
        let (s, page) = api
            .get(&format!("{P}/members/ada/ledger?limit=3&cursor={cursor}"))
            .await;
        assert_eq!(s, 200, "{page}");
        for e in page["entries"].as_array().unwrap() {
            seen.push(e["sequence"].as_u64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
    assert!(seen.len() >= 8, "{seen:?}");

    (accrual, first)
}

async fn status_and_adjustments(api: &Api) {
    let m = format!("{P}/members/cy");
    let (s, b) = api.post(&format!("{P}/members"), json!({"member_id": "cy", "member_type": "individual", "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{b}");
    let adjust = |tx: &str, points: &str| json!({"transaction_id": tx, "occurred_at": "2026-11-10T10:00:00Z", "currency": "POINTS", "points": points, "actor": "agent-7", "reason": "goodwill"});
    let (s, b) = api
        .post(&format!("{m}/adjustments"), adjust("adj-1", "300"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["adjusted"], json!({"POINTS": "300"}));
    let (s, b) = api
        .post(&format!("{m}/adjustments"), adjust("adj-2", "-120"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["balances"]["POINTS"]["available"], "180");
    let (s, b) = api
        .post(&format!("{m}/adjustments"), adjust("adj-3", "-181"))
        .await;
    assert_eq!((s, code(&b)), (422, "insufficient_points"));
    let mut anonymous = adjust("adj-4", "5");
    anonymous["actor"] = json!("");
    let (s, b) = api.post(&format!("{m}/adjustments"), anonymous).await;
    assert_eq!((s, code(&b)), (400, "invalid_request"));

    let status = |tx: &str, to: &str| json!({"transaction_id": tx, "status": to, "occurred_at": "2026-11-11T10:00:00Z", "reason": "fraud review"});
    let (s, b) = api
        .post(&format!("{m}/status-changes"), status("st-1", "suspended"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        (b["previous_status"].as_str(), b["status"].as_str()),
        (Some("active"), Some("suspended"))
    );
    let (s, again) = api
        .post(&format!("{m}/status-changes"), status("st-1", "suspended"))
        .await;
    assert_eq!((s, &again), (200, &b), "a retry answers the original");
    let (s, b) = api.post(&format!("{m}/accruals"), json!({"transaction_id": "cy-1", "occurred_at": "2026-11-12T10:00:00Z", "amount": "10"})).await;
    assert_eq!((s, code(&b)), (422, "member_inactive"), "{b}");
    let (s, b) = api
        .post(&format!("{m}/status-changes"), status("st-2", "suspended"))
        .await;
    assert_eq!((s, code(&b)), (422, "invalid_status_change"));
    let (s, b) = api
        .post(&format!("{m}/status-changes"), status("st-3", "active"))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api.post(&format!("{m}/accruals"), json!({"transaction_id": "cy-1", "occurred_at": "2026-11-12T10:00:00Z", "amount": "10"})).await;
    assert_eq!(s, 201, "{b}");

    let (s, b) = api
        .post(&format!("{m}/status-changes"), status("st-4", "unenrolled"))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["forfeited"],
        json!({"POINTS": "280", "STATUS": "10"}),
        "{b}"
    );
    assert_eq!(
        b["events"],
        json!(["MemberStatusChanged", "PointsForfeited", "PointsForfeited"])
    );
    let (s, again) = api
        .post(&format!("{m}/status-changes"), status("st-4", "unenrolled"))
        .await;
    assert_eq!((s, &again), (200, &b), "a retry answers the whole original");
    let token = b["position"].as_str().unwrap().to_string();
    let (s, view) = api.get(&format!("{m}?min_position={token}")).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["status"], "unenrolled");
    assert_eq!(view["balances"]["POINTS"]["available"], "0");
    assert_eq!(view["balances"]["POINTS"]["expired"], "280");
    let (s, b) = api
        .post(&format!("{m}/adjustments"), adjust("adj-5", "5"))
        .await;
    assert_eq!((s, code(&b)), (422, "member_inactive"));
}

async fn escrow(api: &Api) {
    let mut program: Value =
        serde_json::from_str(include_str!("../fixtures/program.json")).unwrap();
    program["currencies"][0]["pending_days"] = json!(30);
    let (s, b) = api.put("/v1/programs/returns", program).await;
    assert_eq!(s, 200, "{b}");
    let e = "/v1/programs/returns";
    let (s, b) = api.post(&format!("{e}/members"), json!({"member_id": "dee", "member_type": "individual", "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api.post(&format!("{e}/members/dee/accruals"), json!({"transaction_id": "sale-1", "occurred_at": "2026-11-02T10:00:00Z", "amount": "80", "partner_id": "hotel"})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["balances"]["POINTS"]["available"], "0", "{b}");
    assert_eq!(b["balances"]["POINTS"]["pending"], "80", "{b}");
    let (s, b) = api.post(&format!("{e}/members/dee/redemptions"), json!({"transaction_id": "r-1", "occurred_at": "2026-11-03T10:00:00Z", "currency": "POINTS", "points": "10"})).await;
    assert_eq!(
        (s, code(&b)),
        (422, "insufficient_points"),
        "escrowed points are not spendable"
    );
    let (s, b) = api
        .post(
            &format!("{e}/releases"),
            json!({"as_of": "2026-12-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["events"], 0, "not due before the window ends: {b}");
    let (s, b) = api
        .post(
            &format!("{e}/releases"),
            json!({"as_of": "2026-12-02T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["points"]["POINTS"], "80", "{b}");
    let token = b["position"].as_str().unwrap().to_string();
    let (s, view) = api
        .get(&format!("{e}/members/dee?min_position={token}"))
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["balances"]["POINTS"]["available"], "80");
    assert_eq!(view["balances"]["POINTS"]["pending"], "0");
    let (s, l) = api
        .get(&format!(
            "{e}/partners/hotel/liability?min_position={token}"
        ))
        .await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(
        (l["issued"].as_str(), l["outstanding"].as_str()),
        (Some("80"), Some("80")),
        "{l}"
    );
}

async fn promotions(api: &Api) {
    let m = format!("{P}/members/eve");
    let (s, b) = api.post(&format!("{P}/members"), json!({"member_id": "eve", "member_type": "individual", "enrolled_at": "2026-11-01T00:00:00Z"})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["tier"], "Bronze");
    // A dry run says what a sneaker purchase in store earns and why; it writes nothing.
    let sneakers = json!({"occurred_at": "2026-11-05T10:00:00Z", "amount": "40", "channel": "store", "product_category": "sneakers"});
    let (s, dry) = api
        .post(&format!("{m}/accruals/simulate"), sneakers.clone())
        .await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["simulated"], true);
    assert_eq!(
        dry["credited"],
        json!({"POINTS": "1200", "STATUS": "40"}),
        "{dry}"
    );
    assert_eq!(
        dry["promotions"],
        json!([{"promotion_id": "sneaker-week", "version": 1, "currency": "POINTS", "points": "800"}])
    );
    assert_eq!(
        dry["promotions_not_applied"],
        json!([{"promotion_id": "welcome-bonus", "reason": "other channel"}])
    );
    assert!(dry.get("position").is_none(), "{dry}");
    let mut real = sneakers.clone();
    real["transaction_id"] = json!("eve-1");
    let (s, b) = api.post(&format!("{m}/accruals"), real).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["credited"], dry["credited"], "the dry run told the truth");
    assert_eq!(b["promotions"], dry["promotions"]);
    let (s, b) = api
        .post(
            &format!("{m}/accruals"),
            json!({"occurred_at": "2026-11-05T10:00:00Z", "amount": "1"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (400, "invalid_request"),
        "a real accrual needs its id"
    );

    // A promotion put through its own route is a new program version; a
    // change is its next version; a dry run dated after it sees it.
    let now = chrono::Utc::now();
    let flash = |points: &str| json!({"name": "Flash sale", "when": {"from": now - chrono::Duration::days(1), "until": now + chrono::Duration::days(2)}, "reward": {"kind": "bonus", "points": {"POINTS": points}}});
    let (s, v1) = api
        .put(&format!("{P}/promotions/flash"), flash("100"))
        .await;
    assert_eq!(s, 200, "{v1}");
    assert_eq!(v1["promotion"]["version"], 1, "{v1}");
    let (s, same) = api
        .put(&format!("{P}/promotions/flash"), flash("100"))
        .await;
    assert_eq!((s, &same["changed"]), (200, &json!(false)), "{same}");
    let (s, v2) = api
        .put(&format!("{P}/promotions/flash"), flash("150"))
        .await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(v2["promotion"]["version"], 2);
    assert_eq!(v2["version"], v1["version"].as_u64().unwrap() + 1, "{v2}");
    let later = json!({"occurred_at": now + chrono::Duration::hours(1), "amount": "10", "channel": "store"});
    let (s, dry) = api.post(&format!("{m}/accruals/simulate"), later).await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["program_version"], v2["version"]);
    assert_eq!(
        dry["promotions"],
        json!([{"promotion_id": "flash", "version": 2, "currency": "POINTS", "points": "150"}])
    );
    // Dated before the new versions took effect: decided by the version then.
    let (s, old) = api.post(&format!("{m}/accruals/simulate"), sneakers).await;
    assert_eq!(s, 200, "{old}");
    assert!(
        old["program_version"].as_u64() < v1["version"].as_u64(),
        "{old}"
    );
    let token = v2["position"].as_str().unwrap().to_string();
    let (s, list) = api
        .get(&format!("{P}/promotions?min_position={token}"))
        .await;
    assert_eq!(s, 200, "{list}");
    let flash_view = list["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["promotion_id"] == "flash")
        .cloned()
        .unwrap();
    assert_eq!(
        flash_view["versions"].as_array().unwrap().len(),
        2,
        "{flash_view}"
    );
    let (s, gone) = api.delete(&format!("{P}/promotions/flash")).await;
    assert_eq!(s, 200, "{gone}");
    let (s, b) = api.delete(&format!("{P}/promotions/flash")).await;
    assert_eq!((s, code(&b)), (404, "promotion_not_found"));
    let token = gone["position"].as_str().unwrap().to_string();
    let (s, program) = api.get(&format!("{P}?min_position={token}")).await;
    assert_eq!(s, 200, "{program}");
    assert_eq!(
        program["versions"].as_array().unwrap().len() as u64,
        gone["version"].as_u64().unwrap()
    );
}

async fn vouchers_and_limits(api: &Api) {
    let m = format!("{P}/members/eve");
    // eve holds 1200 POINTS; the ten-off voucher costs 1000.
    let buy = json!({"transaction_id": "eve-v1", "voucher": "ten-off", "occurred_at": "2026-11-06T10:00:00Z", "reason": "reward shop", "paid": true});
    let (s, b) = api.post(&format!("{m}/vouchers"), buy.clone()).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b["events"],
        json!(["PointsRedeemed", "VoucherIssued", "BadgeAwarded"]),
        "buying with points is eve's first redemption"
    );
    assert_eq!(b["vouchers_issued"][0]["voucher_id"], "eve-v1:ten-off");
    assert_eq!(b["balances"]["POINTS"]["available"], "200");
    let (s, again) = api.post(&format!("{m}/vouchers"), buy).await;
    assert_eq!((s, &again), (200, &b), "a retry answers the original");
    let v = format!("{m}/vouchers/eve-v1:ten-off");
    let (s, b) = api.post(&format!("{v}/redemptions"), json!({"transaction_id": "eve-u1", "occurred_at": "2026-11-07T10:00:00Z", "amount": "4"})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["voucher"]["remaining"], "6");
    let (s, b) = api.post(&format!("{v}/redemptions"), json!({"transaction_id": "eve-u2", "occurred_at": "2026-11-07T11:00:00Z", "amount": "7"})).await;
    assert_eq!((s, code(&b)), (409, "voucher_unavailable"), "{b}");
    let (s, b) = api
        .post(
            &format!("{v}/reservations"),
            json!({"transaction_id": "eve-u3", "occurred_at": "2026-11-07T12:00:00Z"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api
        .post(
            &format!("{m}/vouchers/nope/reservations"),
            json!({"transaction_id": "eve-u4", "occurred_at": "2026-11-07T12:00:00Z"}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, "voucher_not_found"));
    let (s, b) = api
        .post(
            &format!("{v}/refunds"),
            json!({"transaction_id": "eve-u5", "occurred_at": "2026-11-07T12:00:00Z"}),
        )
        .await;
    assert_eq!(s, 404, "{b}");

    // Silver grants free shipping and lets POINTS go 500 below zero.
    let (s, b) = api
        .post(
            &format!("{m}/tier-changes"),
            json!({"transaction_id": "eve-t1", "tier": "Silver", "reason": "status match"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = api.post(&format!("{m}/redemptions"), json!({"transaction_id": "eve-r1", "occurred_at": "2026-11-08T10:00:00Z", "currency": "POINTS", "points": "701"})).await;
    assert_eq!((s, code(&b)), (422, "insufficient_points"), "{b}");
    let (s, b) = api.post(&format!("{m}/redemptions"), json!({"transaction_id": "eve-r2", "occurred_at": "2026-11-08T10:00:00Z", "currency": "POINTS", "points": "500"})).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["balances"]["POINTS"]["available"], "-300", "{b}");
    assert_eq!(b["balances"]["POINTS"]["arrears"], "300", "{b}");
    let token = b["position"].as_str().unwrap().to_string();
    let (s, view) = api.get(&format!("{m}?min_position={token}")).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["benefits"], json!(["birthday-gift", "free-shipping"]));
    let vouchers = view["vouchers"].as_array().unwrap();
    assert_eq!(vouchers.len(), 1, "{view}");
    assert_eq!(vouchers[0]["voucher_id"], "eve-v1:ten-off");
    assert_eq!(vouchers[0]["status"], "reserved");
    assert_eq!(vouchers[0]["remaining"], "6");
}
