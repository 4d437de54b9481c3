//! Given/when/then tests of vouchers: bought with points, given by an
//! operator or earned by an upgrade; reserved, redeemed in parts, cancelled
//! and expired.

mod support;

use ledger_core::command::{VoucherAction, VoucherUse};
use ledger_core::event::EventBody;
use ledger_core::voucher::{VoucherDef, VoucherPrice, VoucherStatus, VoucherValue};
use ledger_core::{MemberCommand, Time};
use support::*;

fn with_vouchers(mut s: Scenario) -> Scenario {
    s.program.definition.vouchers = vec![
        VoucherDef {
            id: "ten-off".into(),
            name: "10 EUR off".into(),
            value: VoucherValue::FaceValue { amount: dec("10") },
            valid_days: 90,
            price: Some(VoucherPrice {
                currency: "POINTS".into(),
                points: dec("500"),
            }),
            issue_on_tier: None,
        },
        VoucherDef {
            id: "gold-welcome".into(),
            name: "20% welcome to Gold".into(),
            value: VoucherValue::Percent { percent: dec("20") },
            valid_days: 30,
            price: None,
            issue_on_tier: Some("Gold".into()),
        },
    ];
    s.program.definition.validate().unwrap();
    s
}

fn given_vouchers(commands: &[MemberCommand]) -> Scenario {
    let mut s = with_vouchers(given(&[]));
    for c in commands {
        let events = s.decide(c).unwrap_or_else(|r| panic!("given {c:?}: {r}"));
        s.fold(&events);
    }
    s
}

fn buy(tx: &str, at: Time) -> MemberCommand {
    MemberCommand::IssueVoucher {
        transaction_id: tx.into(),
        voucher: "ten-off".into(),
        occurred_at: at,
        reason: "reward shop".into(),
        paid: true,
    }
}

fn step(tx: &str, voucher: &str, action: VoucherAction, at: Time) -> MemberCommand {
    MemberCommand::UseVoucher(VoucherUse {
        transaction_id: tx.into(),
        voucher_id: voucher.into(),
        occurred_at: at,
        action,
    })
}

fn spend(tx: &str, amount: &str, at: Time) -> MemberCommand {
    step(
        tx,
        "v1:ten-off",
        VoucherAction::Redeem {
            amount: Some(dec(amount)),
        },
        at,
    )
}

fn status_of(out: &Outcome, voucher: &str) -> VoucherStatus {
    out.member.as_ref().unwrap().vouchers[voucher].status
}

fn bought() -> Vec<MemberCommand> {
    vec![
        enroll(),
        purchase("t1", "800", t(2026, 2, 1)),
        buy("v1", t(2026, 2, 2)),
    ]
}

#[test]
fn buying_a_voucher_redeems_its_price_and_issues_it_in_one_transaction() {
    let history = [enroll(), purchase("t1", "800", t(2026, 2, 1))];
    let out = given_vouchers(&history).when(buy("v1", t(2026, 2, 2)));
    let events = out.then_events();
    let names: Vec<_> = events.iter().map(|e| e.body.name()).collect();
    assert_eq!(names, ["PointsRedeemed", "VoucherIssued"]);
    assert!(events.iter().all(|e| e.transaction_id == "v1"));
    match body(events, 1) {
        EventBody::VoucherIssued {
            voucher_id,
            valid_until,
            source,
            ..
        } => {
            assert_eq!(voucher_id, "v1:ten-off");
            assert_eq!(*valid_until, t(2026, 5, 3));
            assert_eq!(source, "points");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("300"));
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Issued);
}

#[test]
fn a_voucher_costs_points_the_member_has() {
    let history = [enroll(), purchase("t1", "100", t(2026, 2, 1))];
    let out = given_vouchers(&history).when(buy("v1", t(2026, 2, 2)));
    out.then_rejected("insufficient_points");
    assert!(out.member.unwrap().vouchers.is_empty());
}

#[test]
fn an_unpriced_voucher_is_not_for_sale_but_an_operator_can_give_it() {
    let s = given_vouchers(&[enroll()]);
    let gift = |paid| MemberCommand::IssueVoucher {
        transaction_id: "g1".into(),
        voucher: "gold-welcome".into(),
        occurred_at: t(2026, 2, 2),
        reason: "service recovery".into(),
        paid,
    };
    assert_eq!(s.decide(&gift(true)).unwrap_err().code(), "invalid_request");
    let out = s.when(gift(false));
    assert!(matches!(
        body(out.then_events(), 0),
        EventBody::VoucherIssued { source, .. } if source == "manual"
    ));
    let mut again = given_vouchers(&[]);
    again.member = out.member;
    again.when(gift(false)).then_duplicate();
}

#[test]
fn a_face_value_voucher_is_spent_in_parts_and_never_beyond_its_value() {
    let s = given_vouchers(&bought());
    let over = s.decide(&spend("u0", "11", t(2026, 2, 3))).unwrap_err();
    assert_eq!(over.code(), "voucher_unavailable");
    assert!(over.to_string().contains("only 10 left"), "{over}");
    let mut history = bought();
    history.push(spend("u1", "4", t(2026, 2, 3)));
    let out = given_vouchers(&history).when(spend("u2", "6", t(2026, 2, 4)));
    assert!(matches!(
        body(out.then_events(), 0),
        EventBody::VoucherRedeemed { remaining: Some(r), .. } if r.is_zero()
    ));
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Redeemed);
    history.push(spend("u2", "6", t(2026, 2, 4)));
    let spent = given_vouchers(&history).when(spend("u3", "1", t(2026, 2, 5)));
    spent.then_rejected("voucher_unavailable");
}

#[test]
fn a_face_value_redemption_needs_the_amount() {
    let s = given_vouchers(&bought());
    let r = s
        .decide(&step(
            "u1",
            "v1:ten-off",
            VoucherAction::Redeem { amount: None },
            t(2026, 2, 3),
        ))
        .unwrap_err();
    assert_eq!(r.code(), "invalid_request");
}

#[test]
fn a_reserved_voucher_cannot_be_reserved_twice_but_can_be_redeemed() {
    let mut history = bought();
    history.push(step(
        "r1",
        "v1:ten-off",
        VoucherAction::Reserve,
        t(2026, 2, 3),
    ));
    let s = given_vouchers(&history);
    let twice = s
        .decide(&step(
            "r2",
            "v1:ten-off",
            VoucherAction::Reserve,
            t(2026, 2, 3),
        ))
        .unwrap_err();
    assert_eq!(twice.code(), "voucher_unavailable");
    let out = s.when(spend("u1", "10", t(2026, 2, 3)));
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Redeemed);
}

#[test]
fn a_cancelled_voucher_is_gone_for_good() {
    let mut history = bought();
    history.push(step(
        "x1",
        "v1:ten-off",
        VoucherAction::Cancel {
            reason: "fraud check".into(),
        },
        t(2026, 2, 3),
    ));
    let out = given_vouchers(&history).when(spend("u1", "1", t(2026, 2, 4)));
    out.then_rejected("voucher_unavailable");
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Cancelled);
    let missing = given_vouchers(&history).when(spend("u1", "1", t(2026, 2, 4)));
    let mut s = given_vouchers(&[]);
    s.member = missing.member;
    let r = s
        .decide(&step("u2", "nope", VoucherAction::Reserve, t(2026, 2, 4)))
        .unwrap_err();
    assert_eq!(r.code(), "voucher_not_found");
}

#[test]
fn an_upgrade_into_gold_issues_the_welcome_voucher() {
    let out = given_vouchers(&[enroll()]).when(purchase("big", "2500", t(2026, 3, 1)));
    let names: Vec<_> = out.then_events().iter().map(|e| e.body.name()).collect();
    assert_eq!(names, ["PointsAccrued", "TierChanged", "VoucherIssued"]);
    assert_eq!(status_of(&out, "big:gold-welcome"), VoucherStatus::Issued);
}

#[test]
fn the_expiry_run_lapses_open_vouchers_and_leaves_used_ones() {
    let mut history = bought();
    history.push(purchase("big", "2500", t(2026, 3, 1)));
    history.push(step(
        "u1",
        "big:gold-welcome",
        VoucherAction::Redeem {
            amount: Some(dec("80")),
        },
        t(2026, 3, 2),
    ));
    let s = given_vouchers(&history);
    let late = s.decide(&spend("u2", "1", t(2026, 5, 4))).unwrap_err();
    assert_eq!(late.code(), "voucher_unavailable", "lapsed before the run");
    let out = s.when(expire(t(2026, 5, 10)));
    let expired: Vec<_> = out
        .then_events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::VoucherExpired {
                voucher_id,
                remaining,
            } => Some((voucher_id.clone(), *remaining)),
            _ => None,
        })
        .collect();
    assert_eq!(expired, [("v1:ten-off".to_string(), Some(dec("10")))]);
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Expired);
    assert_eq!(status_of(&out, "big:gold-welcome"), VoucherStatus::Redeemed);
}

#[test]
fn cancelling_the_purchase_refunds_the_points_and_the_unused_voucher_goes() {
    let out = given_vouchers(&bought()).when(cancel("c1", "v1", t(2026, 2, 3)));
    let names: Vec<_> = out.then_events().iter().map(|e| e.body.name()).collect();
    assert_eq!(names, ["RedemptionCancelled", "VoucherCancelled"]);
    assert_eq!(out.available("POINTS"), dec("800"));
    assert_eq!(status_of(&out, "v1:ten-off"), VoucherStatus::Cancelled);
    let mut used = bought();
    used.push(spend("u1", "2", t(2026, 2, 3)));
    let refused = given_vouchers(&used).when(cancel("c1", "v1", t(2026, 2, 4)));
    refused.then_rejected("voucher_unavailable");
    assert_eq!(refused.available("POINTS"), dec("300"));
}
