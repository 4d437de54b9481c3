//! Given/when/then tests of member status (suspend, reactivate, unenroll
//! with forfeiture) and of manual adjustments with actor and reason.

mod support;

use ledger_core::event::EventBody;
use ledger_core::member::MemberStatus::{Active, Suspended, Unenrolled};
use support::*;

#[test]
fn a_suspended_member_can_neither_accrue_nor_redeem() {
    let given_events = [
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        status("s1", Suspended, t(2026, 3, 1)),
    ];
    let out = given(&given_events).when(purchase("t2", "10", t(2026, 3, 2)));
    let rejection = out.then_rejected("member_inactive");
    assert!(rejection.to_string().contains("suspended"), "{rejection}");
    given(&given_events)
        .when(redeem("r1", "POINTS", "10", t(2026, 3, 2)))
        .then_rejected("member_inactive");
}

#[test]
fn suspension_is_recorded_and_reactivation_restores_accrual() {
    let out = given(&[enroll()]).when(status("s1", Suspended, t(2026, 3, 1)));
    match body(out.then_events(), 0) {
        EventBody::MemberStatusChanged { from, to, reason } => {
            assert_eq!((*from, *to), (Active, Suspended));
            assert_eq!(reason, "member request");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.status(), Some(Suspended));
    let out = given(&[
        enroll(),
        status("s1", Suspended, t(2026, 3, 1)),
        status("s2", Active, t(2026, 3, 5)),
    ])
    .when(purchase("t1", "100", t(2026, 3, 6)));
    out.then_events();
    assert_eq!(out.available("POINTS"), dec("100"));
}

#[test]
fn a_suspended_member_keeps_its_points_and_may_be_adjusted() {
    let out = given(&[
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        status("s1", Suspended, t(2026, 3, 1)),
    ])
    .when(adjust("a1", "POINTS", "-30", t(2026, 3, 2)));
    out.then_events();
    assert_eq!(out.available("POINTS"), dec("70"));
}

#[test]
fn the_same_status_twice_is_an_invalid_change() {
    given(&[enroll(), status("s1", Suspended, t(2026, 3, 1))])
        .when(status("s2", Suspended, t(2026, 3, 2)))
        .then_rejected("invalid_status_change");
    given(&[enroll()])
        .when(status("s1", Active, t(2026, 3, 2)))
        .then_rejected("invalid_status_change");
}

#[test]
fn a_retried_status_change_is_a_duplicate() {
    given(&[enroll(), status("s1", Suspended, t(2026, 3, 1))])
        .when(status("s1", Suspended, t(2026, 3, 1)))
        .then_duplicate();
}

#[test]
fn unenrolling_forfeits_every_open_lot_by_explicit_events_then_closes_the_account() {
    let out = given(&[
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        purchase("t2", "50", t(2026, 2, 10)),
        redeem("r1", "POINTS", "30", t(2026, 3, 1)),
    ])
    .when(status("u1", Unenrolled, t(2026, 4, 1)));
    let events = out.then_events();
    assert_eq!(
        events.len(),
        3,
        "the status, then POINTS and STATUS forfeited"
    );
    assert!(matches!(
        body(events, 0),
        EventBody::MemberStatusChanged { to: Unenrolled, .. }
    ));
    match body(events, 1) {
        EventBody::PointsForfeited {
            currency,
            points,
            lots_forfeited,
            balances_after,
            ..
        } => {
            assert_eq!(currency, "POINTS");
            assert_eq!(*points, dec("120"));
            let lots: Vec<_> = lots_forfeited.iter().map(|l| l.lot_id.as_str()).collect();
            assert_eq!(lots, ["t1/POINTS", "t2/POINTS"], "traceable to their lots");
            assert_eq!(balances_after[0].available, dec("0"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(body(events, 2), EventBody::PointsForfeited { currency, .. } if currency == "STATUS")
    );
    assert_eq!(out.available("POINTS"), dec("0"));
    assert_eq!(out.status(), Some(Unenrolled));
}

#[test]
fn an_unenrolled_account_is_closed() {
    let closed = [
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        status("u1", Unenrolled, t(2026, 4, 1)),
    ];
    for command in [
        purchase("t2", "10", t(2026, 4, 2)),
        adjust("a1", "POINTS", "10", t(2026, 4, 2)),
        cancel("c1", "t1", t(2026, 4, 2)),
    ] {
        given(&closed)
            .when(command)
            .then_rejected("member_inactive");
    }
    given(&closed)
        .when(status("s1", Active, t(2026, 4, 2)))
        .then_rejected("invalid_status_change");
    assert!(given(&closed)
        .when(expire(t(2028, 1, 1)))
        .then_events()
        .is_empty());
}

#[test]
fn a_credit_adjustment_pays_arrears_first_and_opens_an_expiring_lot() {
    // The accrual is spent, then cancelled: 80 points of arrears.
    let out = given(&[
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        redeem("r1", "POINTS", "80", t(2026, 2, 2)),
        cancel("c1", "t1", t(2026, 2, 3)),
    ])
    .when(adjust("a1", "POINTS", "100", t(2026, 3, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAdjusted {
            points,
            actor,
            reason,
            arrears_settled,
            lot,
            lots_debited,
            ..
        } => {
            assert_eq!(*points, dec("100"));
            assert_eq!((actor.as_str(), reason.as_str()), ("agent-7", "goodwill"));
            assert_eq!(*arrears_settled, dec("80"));
            let lot = lot.as_ref().unwrap();
            assert_eq!(lot.points, dec("20"));
            assert_eq!(lot.expires_at, Some(t(2027, 3, 1)));
            assert_eq!(lot.partner_id, None);
            assert!(lots_debited.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("20"));
}

#[test]
fn a_debit_adjustment_consumes_lots_oldest_expiring_first_and_cannot_overdraw() {
    let history = [
        enroll(),
        purchase("t1", "100", t(2026, 2, 1)),
        purchase("t2", "100", t(2026, 1, 1)),
    ];
    let out = given(&history).when(adjust("a1", "POINTS", "-150", t(2026, 3, 1)));
    match body(out.then_events(), 0) {
        EventBody::PointsAdjusted { lots_debited, .. } => {
            let taken: Vec<_> = lots_debited
                .iter()
                .map(|d| (d.lot_id.as_str(), d.points))
                .collect();
            assert_eq!(taken, [("t2/POINTS", dec("100")), ("t1/POINTS", dec("50"))]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(out.available("POINTS"), dec("50"));
    given(&history)
        .when(adjust("a1", "POINTS", "-201", t(2026, 3, 1)))
        .then_rejected("insufficient_points");
}

#[test]
fn a_qualifying_credit_adjustment_can_lift_the_tier() {
    let out = given(&[enroll()]).when(adjust("a1", "STATUS", "600", t(2026, 3, 1)));
    let events = out.then_events();
    assert!(
        matches!(body(events, 1), EventBody::TierChanged { to_tier, .. } if to_tier == "Silver")
    );
    assert_eq!(out.tier().as_deref(), Some("Silver"));
}

#[test]
fn an_adjustment_needs_an_actor_a_reason_and_non_zero_points() {
    let mut blank = adjust("a1", "POINTS", "10", t(2026, 3, 1));
    if let ledger_core::MemberCommand::Adjust(a) = &mut blank {
        a.actor = " ".into();
    }
    given(&[enroll()])
        .when(blank)
        .then_rejected("invalid_request");
    given(&[enroll()])
        .when(adjust("a1", "POINTS", "0", t(2026, 3, 1)))
        .then_rejected("invalid_request");
    given(&[enroll()])
        .when(adjust("a1", "NOPE", "10", t(2026, 3, 1)))
        .then_rejected("invalid_request");
}

#[test]
fn an_adjustment_cannot_be_cancelled_only_adjusted_back() {
    given(&[enroll(), adjust("a1", "POINTS", "10", t(2026, 3, 1))])
        .when(cancel("c1", "a1", t(2026, 3, 2)))
        .then_rejected("invalid_request");
}

#[test]
fn business_times_stay_within_the_years_the_log_can_write() {
    given(&[enroll()])
        .when(purchase("t1", "10", t(9001, 1, 1)))
        .then_rejected("invalid_request");
    given(&[enroll()])
        .when(expire(t(1969, 12, 31)))
        .then_rejected("invalid_request");
}

#[test]
fn run_transaction_ids_are_reserved() {
    given(&[enroll()])
        .when(purchase("release:2026-03-01", "10", t(2026, 3, 1)))
        .then_rejected("invalid_request");
}
