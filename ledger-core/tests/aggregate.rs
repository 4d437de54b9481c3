//! Given/when/then tests of the member aggregate: every command and rejection.

mod support;

use ledger_core::event::{EventBody, TierChangeKind};
use ledger_core::member::MemberType;
use ledger_core::MemberCommand;
use support::*;

#[test]
fn enroll_starts_in_the_lowest_tier() {
    let out = given(&[]).when(enroll());
    match body(out.then_events(), 0) {
        EventBody::MemberEnrolled {
            member_type, tier, ..
        } => {
            assert_eq!(*member_type, MemberType::Individual);
            assert_eq!(tier.as_deref(), Some("Bronze"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.tier().as_deref(), Some("Bronze"));
}

#[test]
fn enrolling_twice_is_rejected() {
    given(&[enroll()])
        .when(enroll())
        .then_rejected("member_exists");
}

#[test]
fn commands_on_an_unknown_member_are_rejected() {
    given(&[])
        .when(purchase("t1", "10", t(2026, 2, 1)))
        .then_rejected("member_not_found");
}

#[test]
fn purchase_earns_base_points_in_each_currency_with_fixed_expiry() {
    let out = given(&[enroll()]).when(purchase("t1", "120.50", t(2026, 2, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, rules, .. } => {
            assert_eq!(credits.len(), 2);
            let points = credits.iter().find(|c| c.currency == "POINTS").unwrap();
            assert_eq!(points.points, dec("120"), "rounded down");
            let lot = points.lot.as_ref().unwrap();
            assert_eq!(
                lot.expires_at,
                Some(t(2027, 2, 1)),
                "12 months after earning"
            );
            assert_eq!(lot.lot_id, "t1/POINTS");
            assert!(rules.iter().all(|r| r.rule_id == "base"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("120"));
    assert_eq!(out.available("STATUS"), dec("120"));
}

#[test]
fn app_channel_multiplier_adds_base_times_m_minus_one() {
    let out = given(&[enroll()]).when(accrue_with("t1", "100", t(2026, 2, 1), "app"));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { rules, .. } => {
            let app: Vec<_> = rules.iter().filter(|r| r.rule_id == "app-double").collect();
            assert_eq!(app.len(), 2, "applies to both currencies");
            assert!(app.iter().all(|r| r.points == dec("100")));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("200"));
}

#[test]
fn crossing_a_threshold_upgrades_the_tier_in_the_same_command() {
    let out = given(&[enroll(), purchase("t1", "400", t(2026, 2, 1))]).when(purchase(
        "t2",
        "150",
        t(2026, 2, 2),
    ));
    let events = out.then_events();
    assert_eq!(events.len(), 2);
    match body(events, 1) {
        EventBody::TierChanged {
            from_tier,
            to_tier,
            kind,
            qualifying_points,
            ..
        } => {
            assert_eq!((from_tier.as_str(), to_tier.as_str()), ("Bronze", "Silver"));
            assert_eq!(*kind, TierChangeKind::Qualified);
            assert_eq!(*qualifying_points, dec("550"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.tier().as_deref(), Some("Silver"));
}

#[test]
fn tier_conditioned_rule_uses_the_tier_before_the_purchase() {
    let s = given(&[enroll(), purchase("t1", "2500", t(2026, 2, 1))]);
    let out = s.when(purchase("t2", "100", t(2026, 2, 2)));
    // Gold since t1: base 100 + gold bonus 50 on POINTS only.
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, .. } => {
            let p = credits.iter().find(|c| c.currency == "POINTS").unwrap();
            let s = credits.iter().find(|c| c.currency == "STATUS").unwrap();
            assert_eq!((p.points, s.points), (dec("150"), dec("100")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn explicit_partner_points_open_a_partner_lot() {
    let out = given(&[enroll()]).when(credit("h1", "POINTS", "500", Some("hotel"), t(2026, 3, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, rules, .. } => {
            let lot = credits[0].lot.as_ref().unwrap();
            assert_eq!(lot.partner_id.as_deref(), Some("hotel"));
            assert_eq!(rules[0].rule_id, "explicit");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_accruals_are_rejected() {
    let s = || given(&[enroll()]);
    s().when(purchase("t1", "0", t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(purchase("t1", "-5", t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(purchase("t1", "1.001", t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(credit("t1", "NOPE", "5", None, t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(credit("t1", "POINTS", "5.5", None, t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(credit("t1", "POINTS", "5", Some("bank"), t(2026, 2, 1)))
        .then_rejected("invalid_request");
    s().when(purchase("", "5", t(2026, 2, 1)))
        .then_rejected("invalid_request");
}

#[test]
fn a_retry_with_the_same_body_is_a_duplicate_and_a_different_body_conflicts() {
    let s = || given(&[enroll(), purchase("t1", "10", t(2026, 2, 1))]);
    s().when(purchase("t1", "10", t(2026, 2, 1)))
        .then_duplicate();
    s().when(purchase("t1", "11", t(2026, 2, 1)))
        .then_rejected("transaction_conflict");
}

#[test]
fn redeem_consumes_oldest_expiring_lots_first_and_non_expiring_last() {
    let s = given(&[
        enroll(),
        credit("late", "POINTS", "100", None, t(2026, 5, 1)),
        credit("early", "POINTS", "100", Some("hotel"), t(2026, 2, 1)),
    ]);
    let out = s.when(redeem("r1", "POINTS", "150", t(2026, 6, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsRedeemed { lots_consumed, .. } => {
            assert_eq!(lots_consumed.len(), 2);
            assert_eq!(lots_consumed[0].lot_id, "early/POINTS");
            assert_eq!(lots_consumed[0].points, dec("100"));
            assert_eq!(lots_consumed[1].lot_id, "late/POINTS");
            assert_eq!(lots_consumed[1].points, dec("50"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("50"));
}

#[test]
fn redeem_more_than_available_is_rejected() {
    let out = given(&[enroll(), credit("c1", "POINTS", "100", None, t(2026, 2, 1))]).when(redeem(
        "r1",
        "POINTS",
        "101",
        t(2026, 3, 1),
    ));
    out.then_rejected("insufficient_points");
    assert_eq!(out.available("POINTS"), dec("100"), "nothing applied");
}

#[test]
fn qualifying_points_cannot_be_redeemed() {
    given(&[enroll(), purchase("t1", "100", t(2026, 2, 1))])
        .when(redeem("r1", "STATUS", "10", t(2026, 3, 1)))
        .then_rejected("invalid_request");
}

#[test]
fn fixed_period_lots_expire_on_their_date() {
    let s = given(&[
        enroll(),
        credit("a", "POINTS", "100", None, t(2026, 1, 10)),
        credit("b", "POINTS", "40", None, t(2026, 3, 10)),
    ]);
    let out = s.when(expire(t(2027, 2, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsExpired {
            points,
            lots_expired,
            model,
            ..
        } => {
            assert_eq!(*points, dec("100"));
            assert_eq!(lots_expired[0].lot_id, "a/POINTS");
            assert_eq!(model, "fixed_period");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("40"));
}

#[test]
fn activity_model_expires_everything_after_inactivity_and_activity_extends_it() {
    let s = given(&[
        enroll(),
        credit("a", "MILES", "100", None, t(2026, 1, 10)),
        credit("b", "MILES", "50", None, t(2026, 4, 10)),
    ]);
    // Last activity on April 10th: due on October 10th.
    let early = given(&[
        enroll(),
        credit("a", "MILES", "100", None, t(2026, 1, 10)),
        credit("b", "MILES", "50", None, t(2026, 4, 10)),
    ])
    .when(expire(t(2026, 9, 1)));
    assert!(early.then_events().is_empty());
    let out = s.when(expire(t(2026, 10, 11)));
    match body(out.then_events(), 0) {
        EventBody::PointsExpired { points, model, .. } => {
            assert_eq!(*points, dec("150"));
            assert_eq!(model, "activity");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("MILES"), dec("0"));
}

#[test]
fn no_expiry_model_never_expires() {
    let out = given(&[enroll(), purchase("t1", "100", t(2020, 1, 1))]).when(expire(t(2040, 1, 1)));
    // POINTS expire, STATUS (model none) does not.
    let events = out.then_events();
    assert_eq!(events.len(), 1);
    assert_eq!(out.available("STATUS"), dec("100"));
}

#[test]
fn cancelling_a_redemption_restores_the_consumed_lots() {
    let s = given(&[
        enroll(),
        credit("c1", "POINTS", "100", Some("hotel"), t(2026, 2, 1)),
        redeem("r1", "POINTS", "60", t(2026, 3, 1)),
    ]);
    let out = s.when(cancel("x1", "r1", t(2026, 3, 2)));
    match body(out.then_events(), 0) {
        EventBody::RedemptionCancelled { lots_restored, .. } => {
            assert_eq!(lots_restored[0].lot_id, "c1/POINTS");
            assert_eq!(lots_restored[0].points, dec("60"));
            assert_eq!(lots_restored[0].partner_id.as_deref(), Some("hotel"));
            assert_eq!(lots_restored[0].expires_at, Some(t(2027, 2, 1)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("100"));
    let m = out.member.as_ref().unwrap();
    assert_eq!(
        m.book("POINTS").unwrap().lots.len(),
        1,
        "merged back into one lot"
    );
}

#[test]
fn cancelling_a_spent_accrual_leaves_arrears_that_later_credits_pay_first() {
    let s = given(&[
        enroll(),
        credit("c1", "POINTS", "100", None, t(2026, 2, 1)),
        redeem("r1", "POINTS", "80", t(2026, 3, 1)),
        cancel("x1", "c1", t(2026, 3, 2)),
    ]);
    {
        let m = s.member.as_ref().unwrap();
        let book = m.book("POINTS").unwrap();
        assert_eq!(book.arrears, dec("80"));
        assert_eq!(book.available(), dec("-80"));
    }
    let out = s.when(credit("c2", "POINTS", "100", None, t(2026, 4, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, .. } => {
            assert_eq!(credits[0].arrears_settled, dec("80"));
            assert_eq!(credits[0].lot.as_ref().unwrap().points, dec("20"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("20"));
}

#[test]
fn cancelling_twice_is_rejected_and_unknown_transactions_are_not_found() {
    let s = || {
        given(&[
            enroll(),
            credit("c1", "POINTS", "100", None, t(2026, 2, 1)),
            cancel("x1", "c1", t(2026, 2, 2)),
        ])
    };
    s().when(cancel("x2", "c1", t(2026, 2, 3)))
        .then_rejected("already_cancelled");
    s().when(cancel("x3", "nope", t(2026, 2, 3)))
        .then_rejected("transaction_not_found");
    s().when(cancel("x1", "c1", t(2026, 2, 2))).then_duplicate();
}

#[test]
fn cancelling_an_accrual_whose_lot_expired_reverses_only_what_is_left() {
    let out = given(&[
        enroll(),
        credit("c1", "POINTS", "100", None, t(2025, 1, 1)),
        expire(t(2026, 2, 1)),
    ])
    .when(cancel("x1", "c1", t(2026, 2, 2)));
    out.then_events();
    assert_eq!(
        out.available("POINTS"),
        dec("0"),
        "no arrears for expired points"
    );
}

#[test]
fn manual_tier_change_needs_a_known_tier_and_a_reason() {
    let change = |tier: &str, reason: &str| MemberCommand::ChangeTier {
        transaction_id: "tc1".into(),
        tier: tier.into(),
        reason: reason.into(),
    };
    let out = given(&[enroll()]).when(change("Gold", "service recovery"));
    match body(out.then_events(), 0) {
        EventBody::TierChanged { kind, to_tier, .. } => {
            assert_eq!(*kind, TierChangeKind::Manual);
            assert_eq!(to_tier, "Gold");
        }
        other => panic!("{other:?}"),
    }
    given(&[enroll()])
        .when(change("Platinum", "x"))
        .then_rejected("invalid_request");
    given(&[enroll()])
        .when(change("Gold", " "))
        .then_rejected("invalid_request");
}

#[test]
fn assessment_downgrades_to_the_level_reached_and_resets_qualifying_points() {
    let s = given(&[
        enroll(),
        purchase("t1", "2100", t(2026, 3, 1)),
        MemberCommand::ChangeTier {
            transaction_id: "tc".into(),
            tier: "Gold".into(),
            reason: "already gold".into(),
        },
        redeem("r1", "POINTS", "1", t(2026, 4, 1)),
    ]);
    // Earned 2100 STATUS in 2026: stays Gold, points reset.
    let out = s.when(assess(t(2027, 1, 1)));
    let events = out.then_events();
    assert_eq!(events.len(), 1, "no tier move, only the reset");
    assert!(matches!(
        body(events, 0),
        EventBody::QualifyingReset { period: 2026, .. }
    ));
    assert_eq!(out.available("STATUS"), dec("0"));
    assert_eq!(out.tier().as_deref(), Some("Gold"));

    // A year later without points: down to Bronze; a rerun changes nothing.
    let s2 = Scenario {
        program: program(),
        member: out.member.clone(),
        now: t(2028, 1, 2),
    };
    let out2 = s2.when(assess(t(2028, 1, 1)));
    match body(out2.then_events(), 0) {
        EventBody::TierChanged {
            to_tier,
            kind,
            period,
            ..
        } => {
            assert_eq!(to_tier, "Bronze");
            assert_eq!(*kind, TierChangeKind::Assessment);
            assert_eq!(*period, Some(2027));
        }
        other => panic!("{other:?}"),
    }
    let s3 = Scenario {
        program: program(),
        member: out2.member.clone(),
        now: t(2028, 1, 3),
    };
    assert!(s3.when(assess(t(2028, 1, 1))).then_events().is_empty());
}

#[test]
fn assessment_keeps_points_earned_after_the_period_end() {
    let out = given(&[
        enroll(),
        purchase("t1", "600", t(2026, 12, 1)),
        purchase("t2", "100", t(2027, 1, 3)),
    ])
    .when(assess(t(2027, 1, 5)));
    out.then_events();
    assert_eq!(out.available("STATUS"), dec("100"));
    assert_eq!(out.tier().as_deref(), Some("Silver"));
}
