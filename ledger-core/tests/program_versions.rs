//! Program versions: a command is decided by the version in force at its
//! business time, each event records that version, and folding the recorded
//! events needs no program at all, so a later version never changes history.

mod support;

use ledger_core::decide_program;
use ledger_core::event::{Event, EventBody};
use ledger_core::program::{Program, ProgramState};
use ledger_core::{Decimal, Member, Time};
use support::*;

/// v1: 1 POINTS per EUR from 2026-01-01; v2 (defined 2026-06-15): 2 per EUR
/// from 2026-07-01; v3 (defined 2026-08-01, no date): 3 per EUR from then.
fn versions() -> ProgramState {
    let mut state = ProgramState::default();
    let mut define = |rate: &str, effective: Option<Time>, at: Time| {
        let mut def = program().definition;
        def.earn_rules.retain(|r| r.id == "base");
        def.earn_rules[0]
            .points_per_unit
            .as_mut()
            .unwrap()
            .insert("POINTS".into(), dec(rate));
        def.effective_from = effective;
        let events = decide_program(&state, "kicks", def, at).expect("valid");
        let EventBody::ProgramDefined {
            version,
            definition,
        } = &events[0].body
        else {
            unreachable!()
        };
        state.apply(Program {
            id: "kicks".into(),
            version: *version,
            defined_at: events[0].occurred_at,
            definition: definition.clone(),
        });
    };
    define("1", None, t(2026, 1, 1));
    define("2", Some(t(2026, 7, 1)), t(2026, 6, 15));
    define("3", None, t(2026, 8, 1));
    state
}

fn version_at(state: &ProgramState, at: Time) -> u32 {
    state
        .for_command(&purchase("x", "1", at), t(2026, 12, 1))
        .unwrap()
        .version
}

#[test]
fn the_version_in_force_is_chosen_by_business_time() {
    let state = versions();
    assert_eq!(state.current().unwrap().version, 3);
    assert_eq!(
        version_at(&state, t(2025, 5, 1)),
        1,
        "before any: the first"
    );
    assert_eq!(
        version_at(&state, t(2026, 6, 20)),
        1,
        "v2 defined, not yet in force"
    );
    assert_eq!(version_at(&state, t(2026, 7, 1)), 2);
    assert_eq!(version_at(&state, t(2026, 7, 31)), 2);
    assert_eq!(version_at(&state, t(2026, 8, 2)), 3);
    // A command without a business time takes the version in force now.
    let change = ledger_core::MemberCommand::ChangeTier {
        transaction_id: "x".into(),
        tier: "Gold".into(),
        reason: "r".into(),
    };
    assert_eq!(
        state.for_command(&change, t(2026, 7, 2)).unwrap().version,
        2
    );
}

fn points_of(events: &[Event]) -> Decimal {
    match &events[0].body {
        EventBody::PointsAccrued { credits, .. } => credits
            .iter()
            .filter(|c| c.currency == "POINTS")
            .map(|c| c.points)
            .sum(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_backdated_accrual_earns_by_the_rules_then_in_force_and_replay_keeps_every_figure() {
    let state = versions();
    let mut s = given(&[enroll()]);
    let mut log = Vec::new();
    for (tx, at, want, version) in [
        ("june", t(2026, 6, 30), "100", 1),
        ("july", t(2026, 7, 10), "200", 2),
        ("august", t(2026, 8, 10), "300", 3),
    ] {
        let command = purchase(tx, "100", at);
        s.program = (**state.for_command(&command, t(2026, 12, 1)).unwrap()).clone();
        let events = s.decide(&command).unwrap();
        assert_eq!(points_of(&events), dec(want), "{tx}");
        assert!(events.iter().all(|e| e.program_version == version), "{tx}");
        s.fold(&events);
        log.extend(events);
    }
    // Replaying the recorded events reproduces the balance without any
    // program version: the events carry their results.
    let mut replayed = Member::enrolled(MEMBER, &enrolled_event()).unwrap();
    for e in &log {
        replayed.apply(e);
    }
    assert_eq!(replayed.book("POINTS").unwrap().available(), dec("600"));
    assert_eq!(
        replayed.books["POINTS"].lots,
        s.member.as_ref().unwrap().books["POINTS"].lots
    );
}

fn enrolled_event() -> Event {
    let s = given(&[]);
    s.decide(&enroll()).unwrap().remove(0)
}

#[test]
fn an_effective_date_must_be_a_sane_business_time() {
    let mut def = program().definition;
    def.effective_from = Some(t(9500, 1, 1));
    assert!(def.validate().unwrap_err().contains("effective_from"));
}
