//! Given/when/then tests of badges: an operator's awards, and awards on
//! milestones (the first redemption, an upgrade into a tier), with validity.

mod support;

use ledger_core::event::EventBody;
use ledger_core::program::{BadgeDef, Milestone};
use ledger_core::MemberCommand;
use support::*;

/// The test program with three badges.
fn with_badges(mut s: Scenario) -> Scenario {
    s.program.definition.badges = vec![
        BadgeDef {
            id: "first-reward".into(),
            name: "First reward".into(),
            valid_months: None,
            award_on: Some(Milestone::FirstRedemption),
        },
        BadgeDef {
            id: "silver-club".into(),
            name: "Silver club".into(),
            valid_months: Some(12),
            award_on: Some(Milestone::TierReached {
                tier: "Silver".into(),
            }),
        },
        BadgeDef {
            id: "ambassador".into(),
            name: "Ambassador".into(),
            valid_months: Some(6),
            award_on: None,
        },
    ];
    s.program.definition.validate().unwrap();
    s
}

fn given_badges(commands: &[MemberCommand]) -> Scenario {
    let mut s = with_badges(given(&[]));
    for c in commands {
        let events = s.decide(c).unwrap_or_else(|r| panic!("given {c:?}: {r}"));
        s.fold(&events);
    }
    s
}

fn award(tx: &str, badge: &str, at: ledger_core::Time) -> MemberCommand {
    MemberCommand::AwardBadge {
        transaction_id: tx.into(),
        badge: badge.into(),
        occurred_at: at,
        reason: "community work".into(),
    }
}

#[test]
fn the_first_redemption_earns_its_badge_in_the_same_command_and_only_once() {
    let history = [enroll(), purchase("t1", "100", t(2026, 2, 1))];
    let out = given_badges(&history).when(redeem("r1", "POINTS", "10", t(2026, 2, 2)));
    let events = out.then_events();
    assert_eq!(events.len(), 2);
    match body(events, 1) {
        EventBody::BadgeAwarded {
            badge,
            milestone,
            valid_until,
            ..
        } => {
            assert_eq!(badge, "first-reward");
            assert_eq!(milestone.as_deref(), Some("first_redemption"));
            assert_eq!(*valid_until, None, "no validity: forever");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events[1].transaction_id, "r1", "rides on the redemption");
    let second = given_badges(&[
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        redeem("r1", "POINTS", "10", t(2026, 2, 2)),
    ])
    .when(redeem("r2", "POINTS", "10", t(2026, 2, 3)));
    assert_eq!(second.then_events().len(), 1, "not the first any more");
}

#[test]
fn an_upgrade_into_a_tier_earns_its_badge_valid_for_its_months() {
    let out = given_badges(&[enroll()]).when(purchase("t1", "600", t(2026, 2, 1)));
    let events = out.then_events();
    let names: Vec<_> = events.iter().map(|e| e.body.name()).collect();
    assert_eq!(names, ["PointsAccrued", "TierChanged", "BadgeAwarded"]);
    match body(events, 2) {
        EventBody::BadgeAwarded {
            badge, valid_until, ..
        } => {
            assert_eq!(badge, "silver-club");
            assert_eq!(*valid_until, Some(t(2027, 2, 1)));
        }
        other => panic!("{other:?}"),
    }
    let member = out.member.as_ref().unwrap();
    assert!(member.holds_badge("silver-club", t(2027, 1, 31)));
    assert!(!member.holds_badge("silver-club", t(2027, 2, 1)), "lapsed");
}

#[test]
fn an_operator_awards_a_badge_once_while_it_holds_and_again_after_it_lapsed() {
    let out = given_badges(&[enroll()]).when(award("b1", "ambassador", t(2026, 3, 1)));
    match body(out.then_events(), 0) {
        EventBody::BadgeAwarded {
            milestone,
            valid_until,
            reason,
            ..
        } => {
            assert_eq!(*milestone, None);
            assert_eq!(*valid_until, Some(t(2026, 9, 1)));
            assert_eq!(reason, "community work");
        }
        other => panic!("{other:?}"),
    }
    let held = [enroll(), award("b1", "ambassador", t(2026, 3, 1))];
    given_badges(&held)
        .when(award("b2", "ambassador", t(2026, 8, 31)))
        .then_rejected("badge_held");
    let mut later = given_badges(&held);
    later.now = t(2026, 9, 1);
    later
        .when(award("b2", "ambassador", t(2026, 9, 1)))
        .then_events();
    // Dated past the validity while it still holds today: refused.
    given_badges(&held)
        .when(award("b2", "ambassador", t(2026, 9, 1)))
        .then_rejected("badge_held");
    given_badges(&held)
        .when(award("b1", "ambassador", t(2026, 3, 1)))
        .then_duplicate();
}

#[test]
fn unknown_badges_and_closed_accounts_are_refused() {
    given_badges(&[enroll()])
        .when(award("b1", "nope", t(2026, 3, 1)))
        .then_rejected("invalid_request");
    given_badges(&[
        enroll(),
        status("u1", ledger_core::MemberStatus::Unenrolled, t(2026, 3, 1)),
    ])
    .when(award("b1", "ambassador", t(2026, 3, 2)))
    .then_rejected("member_inactive");
}

#[test]
fn a_badge_for_an_unknown_tier_is_an_invalid_program() {
    let mut def = program().definition;
    def.badges = vec![BadgeDef {
        id: "platinum".into(),
        name: "Platinum".into(),
        valid_months: None,
        award_on: Some(Milestone::TierReached {
            tier: "Platinum".into(),
        }),
    }];
    assert!(def.validate().unwrap_err().contains("unknown tier"));
}

#[test]
fn jumping_past_a_tier_reaches_it() {
    let out = given_badges(&[enroll()]).when(purchase("t1", "2500", t(2026, 2, 1)));
    let events = out.then_events();
    assert!(matches!(body(events, 1), EventBody::TierChanged { to_tier, .. } if to_tier == "Gold"));
    assert!(
        matches!(body(events, 2), EventBody::BadgeAwarded { badge, .. } if badge == "silver-club"),
        "Bronze straight to Gold passes Silver"
    );
}
