//! Given/when/then tests of what tiers carry beyond their name: benefits
//! granted and revoked with every tier change, anniversary tier periods, and
//! a per-tier negative-balance limit.

mod support;

use ledger_core::event::{Event, EventBody, TierChangeKind};
use ledger_core::program::{BenefitDef, TierPeriod};
use ledger_core::{MemberCommand, Rejection};
use std::collections::BTreeMap;
use support::*;

/// The test program with benefits per tier and negative limits for Silver
/// (100 POINTS) and Gold (500 POINTS).
fn with_benefits(mut s: Scenario) -> Scenario {
    let def = &mut s.program.definition;
    def.benefits = ["birthday-gift", "free-shipping", "lounge"]
        .iter()
        .map(|id| BenefitDef {
            id: id.to_string(),
            name: id.replace('-', " "),
        })
        .collect();
    let levels = &mut def.tiers.as_mut().unwrap().levels;
    levels[0].benefits = vec!["birthday-gift".into()];
    levels[1].benefits = vec!["birthday-gift".into(), "free-shipping".into()];
    levels[1].negative_limits = BTreeMap::from([("POINTS".into(), dec("100"))]);
    levels[2].benefits = vec!["free-shipping".into(), "lounge".into()];
    levels[2].negative_limits = BTreeMap::from([("POINTS".into(), dec("500"))]);
    def.validate().unwrap();
    s
}

fn given_tiers(period: TierPeriod, commands: &[MemberCommand]) -> Scenario {
    let mut s = with_benefits(given(&[]));
    s.program.definition.tiers.as_mut().unwrap().period = period;
    for c in commands {
        let events = s.decide(c).unwrap_or_else(|r| panic!("given {c:?}: {r}"));
        s.fold(&events);
    }
    s
}

fn benefits_of(events: &[Event]) -> (Vec<String>, Vec<String>) {
    events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::TierChanged {
                benefits_granted,
                benefits_revoked,
                ..
            } => Some((benefits_granted.clone(), benefits_revoked.clone())),
            _ => None,
        })
        .expect("a TierChanged event")
}

fn held(out: &Outcome) -> Vec<String> {
    out.member
        .as_ref()
        .unwrap()
        .benefits
        .iter()
        .cloned()
        .collect()
}

#[test]
fn enrollment_grants_the_starting_tiers_benefits() {
    let out = given_tiers(TierPeriod::CalendarYear, &[]).when(enroll());
    match body(out.then_events(), 0) {
        EventBody::MemberEnrolled { tier, benefits, .. } => {
            assert_eq!(tier.as_deref(), Some("Bronze"));
            assert_eq!(benefits, &["birthday-gift"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(held(&out), ["birthday-gift"]);
}

#[test]
fn an_upgrade_grants_only_what_the_member_lacked() {
    let s = given_tiers(TierPeriod::CalendarYear, &[enroll()]);
    let out = s.when(purchase("t1", "600", t(2026, 2, 1)));
    let (granted, revoked) = benefits_of(out.then_events());
    assert_eq!(granted, ["free-shipping"]);
    assert!(revoked.is_empty());
    assert_eq!(held(&out), ["birthday-gift", "free-shipping"]);
}

#[test]
fn reaching_gold_revokes_what_gold_does_not_grant() {
    let s = given_tiers(TierPeriod::CalendarYear, &[enroll()]);
    let out = s.when(purchase("t1", "2500", t(2026, 2, 1)));
    let (granted, revoked) = benefits_of(out.then_events());
    assert_eq!(granted, ["free-shipping", "lounge"]);
    assert_eq!(revoked, ["birthday-gift"]);
    assert_eq!(held(&out), ["free-shipping", "lounge"]);
}

#[test]
fn a_downgrade_at_assessment_revokes_the_lounge() {
    // Gold earned in 2026 holds through 2027; nothing earned in 2027.
    let history = [
        enroll(),
        purchase("t1", "2500", t(2026, 2, 1)),
        assess(t(2027, 1, 2)),
    ];
    let out = given_tiers(TierPeriod::CalendarYear, &history).when(assess(t(2028, 1, 2)));
    let events = out.then_events();
    let (granted, revoked) = benefits_of(events);
    assert!(matches!(
        body(events, 0),
        EventBody::TierChanged { to_tier, kind: TierChangeKind::Assessment, .. } if to_tier == "Bronze"
    ));
    assert_eq!(granted, ["birthday-gift"]);
    assert_eq!(revoked, ["free-shipping", "lounge"]);
    assert_eq!(held(&out), ["birthday-gift"]);
}

#[test]
fn a_manual_tier_change_moves_benefits_too() {
    let s = given_tiers(TierPeriod::CalendarYear, &[enroll()]);
    let out = s.when(MemberCommand::ChangeTier {
        transaction_id: "vip".into(),
        tier: "Gold".into(),
        reason: "status match".into(),
    });
    let (granted, revoked) = benefits_of(out.then_events());
    assert_eq!(granted, ["free-shipping", "lounge"]);
    assert_eq!(revoked, ["birthday-gift"]);
}

#[test]
fn an_anniversary_period_closes_on_the_members_anniversary_not_new_year() {
    let enrolled = MemberCommand::Enroll {
        member_type: ledger_core::MemberType::Individual,
        enrolled_at: t(2026, 3, 15),
        channel: None,
    };
    let history = [enrolled, purchase("t1", "2500", t(2026, 4, 1))];
    let s = given_tiers(TierPeriod::Anniversary, &history);
    // New year is not the end of this member's period.
    let early = s.decide(&assess(t(2027, 1, 2))).unwrap();
    assert!(early.is_empty(), "{early:?}");
    let before = s
        .decide(&assess(t(2027, 3, 15) - chrono::Duration::hours(1)))
        .unwrap();
    assert!(before.is_empty(), "{before:?}");
    // The first anniversary closes the first period: Gold holds, points reset.
    let out = s.when(assess(t(2027, 3, 16)));
    let events = out.then_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].occurred_at, t(2027, 3, 15));
    assert_eq!(events[0].transaction_id, "assess:2026");
    assert!(matches!(
        body(events, 0),
        EventBody::QualifyingReset { points, period: 2026, .. } if *points == dec("2500")
    ));
    assert_eq!(out.tier().as_deref(), Some("Gold"));
    // The same period closes once; the next anniversary downgrades.
    let mut s = given_tiers(TierPeriod::Anniversary, &[]);
    s.member = out.member.clone();
    assert!(s.decide(&assess(t(2027, 12, 1))).unwrap().is_empty());
    let out = s.when(assess(t(2028, 3, 20)));
    let events = out.then_events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].occurred_at, t(2028, 3, 15));
    match body(events, 0) {
        EventBody::TierChanged {
            to_tier, period, ..
        } => {
            assert_eq!(to_tier, "Bronze");
            assert_eq!(*period, Some(2027));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silver_member_may_redeem_up_to_100_points_below_zero_as_arrears() {
    let history = [enroll(), purchase("t1", "600", t(2026, 2, 1))];
    let s = given_tiers(TierPeriod::CalendarYear, &history);
    let rejected = s.when(redeem("r0", "POINTS", "701", t(2026, 2, 2)));
    match rejected.then_rejected("insufficient_points") {
        Rejection::InsufficientPoints { available, .. } => assert_eq!(*available, dec("700")),
        other => panic!("{other:?}"),
    }
    let s = given_tiers(TierPeriod::CalendarYear, &history);
    let out = s.when(redeem("r1", "POINTS", "700", t(2026, 2, 2)));
    match body(out.then_events(), 0) {
        EventBody::PointsRedeemed {
            arrears_created,
            lots_consumed,
            balances_after,
            ..
        } => {
            assert_eq!(*arrears_created, dec("100"));
            assert_eq!(
                lots_consumed
                    .iter()
                    .map(|d| d.points)
                    .sum::<ledger_core::Decimal>(),
                dec("600")
            );
            assert_eq!(balances_after[0].available, dec("-100"));
            assert_eq!(balances_after[0].arrears, dec("100"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("-100"));
}

#[test]
fn the_next_credit_pays_the_overdraft_and_cancelling_it_restores_everything() {
    let history = [
        enroll(),
        purchase("t1", "600", t(2026, 2, 1)),
        redeem("r1", "POINTS", "700", t(2026, 2, 2)),
    ];
    let paid =
        given_tiers(TierPeriod::CalendarYear, &history).when(purchase("t2", "150", t(2026, 2, 3)));
    assert_eq!(paid.available("POINTS"), dec("50"));
    let out =
        given_tiers(TierPeriod::CalendarYear, &history).when(cancel("c1", "r1", t(2026, 2, 3)));
    match body(out.then_events(), 0) {
        EventBody::RedemptionCancelled {
            arrears_settled,
            lots_restored,
            ..
        } => {
            assert_eq!(*arrears_settled, dec("100"));
            assert_eq!(
                lots_restored
                    .iter()
                    .map(|l| l.points)
                    .sum::<ledger_core::Decimal>(),
                dec("600")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("600"));
    let book = out.member.as_ref().unwrap().book("POINTS").unwrap();
    assert!(book.arrears.is_zero());
}

#[test]
fn a_bronze_member_cannot_go_below_zero() {
    let history = [enroll(), purchase("t1", "100", t(2026, 2, 1))];
    let out = given_tiers(TierPeriod::CalendarYear, &history).when(redeem(
        "r1",
        "POINTS",
        "101",
        t(2026, 2, 2),
    ));
    out.then_rejected("insufficient_points");
}

#[test]
fn benefits_and_limits_must_name_what_exists() {
    let mut s = with_benefits(given(&[]));
    let def = &mut s.program.definition;
    def.tiers.as_mut().unwrap().levels[1]
        .benefits
        .push("spa".into());
    assert!(def.validate().unwrap_err().contains("unknown benefit spa"));
    def.tiers.as_mut().unwrap().levels[1].benefits.pop();
    def.tiers.as_mut().unwrap().levels[1]
        .negative_limits
        .insert("STATUS".into(), dec("10"));
    assert!(def.validate().unwrap_err().contains("spendable currency"));
}
