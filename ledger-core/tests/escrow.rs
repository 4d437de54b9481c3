//! Given/when/then tests of escrow: credits held pending for a return
//! window, released by a release run, withdrawn by a cancellation.

mod support;

use ledger_core::event::EventBody;
use ledger_core::MemberCommand;
use support::*;

/// The test program with POINTS held 30 days, and an app rule whose
/// contribution is held 45.
fn escrowed(commands: &[MemberCommand]) -> Scenario {
    let mut s = given(&[]);
    let def = &mut s.program.definition;
    def.currencies
        .iter_mut()
        .find(|c| c.code == "POINTS")
        .unwrap()
        .pending_days = Some(30);
    def.earn_rules
        .iter_mut()
        .find(|r| r.id == "app-double")
        .unwrap()
        .pending_days = Some(45);
    def.validate().unwrap();
    for c in commands {
        let events = s.decide(c).unwrap_or_else(|r| panic!("given {c:?}: {r}"));
        s.fold(&events);
    }
    s
}

fn release(as_of: ledger_core::Time) -> MemberCommand {
    MemberCommand::Release { as_of }
}

fn pending(out: &Outcome, currency: &str) -> ledger_core::Decimal {
    out.member
        .as_ref()
        .and_then(|m| m.book(currency))
        .map(|b| b.pending_total())
        .unwrap_or_default()
}

#[test]
fn an_escrowed_credit_is_visible_but_not_spendable() {
    let out = escrowed(&[enroll()]).when(purchase("t1", "100", t(2026, 2, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued {
            credits,
            balances_after,
            ..
        } => {
            let points = credits.iter().find(|c| c.currency == "POINTS").unwrap();
            assert_eq!(points.pending_until, Some(t(2026, 3, 3)), "30 days");
            let status = credits.iter().find(|c| c.currency == "STATUS").unwrap();
            assert_eq!(status.pending_until, None, "STATUS is not escrowed");
            let b = balances_after
                .iter()
                .find(|b| b.currency == "POINTS")
                .unwrap();
            assert_eq!((b.available, b.pending), (dec("0"), dec("100")));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pending(&out, "POINTS"), dec("100"));
    escrowed(&[enroll(), purchase("t1", "100", t(2026, 2, 1))])
        .when(redeem("r1", "POINTS", "1", t(2026, 2, 2)))
        .then_rejected("insufficient_points");
}

#[test]
fn a_contributing_rule_with_a_longer_window_holds_the_whole_credit_longer() {
    let out = escrowed(&[enroll()]).when(accrue_with("t1", "100", t(2026, 2, 1), "app"));
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, .. } => {
            assert!(credits
                .iter()
                .all(|c| c.pending_until == Some(t(2026, 3, 18))));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_release_run_opens_due_lots_only_paying_arrears_first() {
    // 80 spendable points are spent, then their accrual is cancelled: 80 arrears.
    let history = [
        enroll(),
        credit("x1", "POINTS", "80", None, t(2026, 1, 1)),
        MemberCommand::Release {
            as_of: t(2026, 2, 1),
        },
        redeem("r1", "POINTS", "80", t(2026, 2, 2)),
        cancel("c1", "x1", t(2026, 2, 3)),
        purchase("t1", "100", t(2026, 2, 10)),
        purchase("t2", "50", t(2026, 3, 1)),
    ];
    let out = escrowed(&history).when(release(t(2026, 3, 15)));
    let events = out.then_events();
    assert_eq!(events.len(), 1, "only t1 is due");
    match body(events, 0) {
        EventBody::PointsReleased {
            points,
            released,
            arrears_settled,
            lots_opened,
            ..
        } => {
            assert_eq!(*points, dec("100"));
            assert_eq!(released[0].lot_id, "t1/POINTS");
            assert_eq!(*arrears_settled, dec("80"));
            assert_eq!(lots_opened[0].points, dec("20"));
            assert_eq!(
                lots_opened[0].expires_at,
                Some(t(2027, 2, 10)),
                "expiry from earning"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("20"));
    assert_eq!(pending(&out, "POINTS"), dec("50"));
    assert!(escrowed(&history)
        .when(release(t(2026, 3, 1)))
        .then_events()
        .is_empty());
}

#[test]
fn cancelling_an_escrowed_accrual_withdraws_it_without_arrears() {
    let out = escrowed(&[enroll(), purchase("t1", "100", t(2026, 2, 1))]).when(cancel(
        "c1",
        "t1",
        t(2026, 2, 5),
    ));
    match body(out.then_events(), 0) {
        EventBody::AccrualCancelled { reversals, .. } => {
            let r = reversals.iter().find(|r| r.currency == "POINTS").unwrap();
            assert_eq!((r.points, r.pending_reversed), (dec("100"), dec("100")));
            assert_eq!(r.arrears_created, dec("0"));
            assert!(r.lots_debited.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pending(&out, "POINTS"), dec("0"));
    assert_eq!(out.available("POINTS"), dec("0"));
}

#[test]
fn unenrolling_drops_escrowed_lots_with_the_account() {
    let out = escrowed(&[enroll(), purchase("t1", "100", t(2026, 2, 1))]).when(status(
        "u1",
        ledger_core::MemberStatus::Unenrolled,
        t(2026, 2, 5),
    ));
    match body(out.then_events(), 1) {
        EventBody::PointsForfeited {
            currency,
            points,
            pending_forfeited,
            ..
        } => {
            assert_eq!(currency, "POINTS");
            assert_eq!(*points, dec("0"), "nothing issued to forfeit");
            assert_eq!(pending_forfeited[0].points, dec("100"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pending(&out, "POINTS"), dec("0"));
}

#[test]
fn escrow_windows_are_validated() {
    let mut def = program().definition;
    def.currencies[0].pending_days = Some(0);
    assert!(def.validate().unwrap_err().contains("pending_days"));
}

#[test]
fn escrow_must_end_before_fixed_expiry() {
    let mut def = program().definition;
    def.currencies[0].pending_days = Some(365);
    assert!(def
        .validate()
        .unwrap_err()
        .contains("before its lots expire"));
}

#[test]
fn a_released_activity_credit_gets_a_deadline_when_none_is_left() {
    // MILES expire 6 months after activity; here they are escrowed 10 days.
    let mut s = escrowed(&[enroll()]);
    s.program
        .definition
        .currencies
        .iter_mut()
        .find(|c| c.code == "MILES")
        .unwrap()
        .pending_days = Some(10);
    for c in [
        credit("m0", "MILES", "50", None, t(2026, 1, 1)),
        release(t(2026, 1, 12)),
        credit("m1", "MILES", "100", None, t(2026, 2, 1)),
        // m0's lot lapses with the deadline (Aug 1); m1 is still pending.
        expire(t(2026, 8, 2)),
    ] {
        let events = s.decide(&c).unwrap();
        s.fold(&events);
    }
    assert_eq!(
        s.member
            .as_ref()
            .unwrap()
            .book("MILES")
            .unwrap()
            .activity_expires_at,
        None
    );
    let out = s.when(release(t(2026, 9, 2)));
    let member = out.member.as_ref().unwrap();
    assert_eq!(
        member.book("MILES").unwrap().activity_expires_at,
        Some(t(2027, 3, 2)),
        "six months from the release, so the points can lapse"
    );
}
