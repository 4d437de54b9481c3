//! Given/when/then for program definitions: validation, versions, no-op updates.

mod support;

use ledger_core::event::EventBody;
use ledger_core::program::{Program, ProgramState};
use ledger_core::{decide_program, ProgramDefinition};
use support::{program, t};

fn state_with(p: &Program) -> ProgramState {
    let mut s = ProgramState::default();
    s.apply(p.clone());
    s
}

#[test]
fn a_new_program_is_version_one() {
    let def = program().definition;
    let events = decide_program(&ProgramState::default(), "kicks", def, t(2026, 1, 1)).unwrap();
    assert!(matches!(
        events[0].body,
        EventBody::ProgramDefined { version: 1, .. }
    ));
    assert_eq!(events[0].program_version, 1);
}

#[test]
fn an_unchanged_definition_writes_nothing_and_a_change_is_the_next_version() {
    let p = program();
    let state = state_with(&p);
    assert!(
        decide_program(&state, "kicks", p.definition.clone(), t(2026, 2, 1))
            .unwrap()
            .is_empty()
    );
    let mut changed = p.definition.clone();
    changed.name = "Kicks 2".into();
    let events = decide_program(&state, "kicks", changed, t(2026, 2, 1)).unwrap();
    assert!(matches!(
        events[0].body,
        EventBody::ProgramDefined { version: 2, .. }
    ));
}

/// A change that breaks a definition.
type Mutation = Box<dyn Fn(&mut ProgramDefinition)>;

#[test]
fn invalid_definitions_are_rejected_with_the_reason() {
    let base = program().definition;
    let cases: Vec<(&str, Mutation)> = vec![
        ("money", Box::new(|d| d.money_currency = "euro".into())),
        (
            "twice",
            Box::new(|d| d.currencies.push(d.currencies[0].clone())),
        ),
        ("months", Box::new(|d| d.currencies[0].expiry.months = None)),
        (
            "qualifying",
            Box::new(|d| d.tiers.as_mut().unwrap().currency = "POINTS".into()),
        ),
        (
            "ascending",
            Box::new(|d| d.tiers.as_mut().unwrap().levels.swap(1, 2)),
        ),
        (
            "unknown currency",
            Box::new(|d| {
                d.earn_rules[0]
                    .points_per_unit
                    .as_mut()
                    .unwrap()
                    .insert("GEMS".into(), 1.into());
            }),
        ),
        (
            "unknown tier",
            Box::new(|d| d.earn_rules[2].when.as_mut().unwrap().tier = Some("Platinum".into())),
        ),
        (
            "exactly one",
            Box::new(|d| d.earn_rules[1].points_per_unit = Some(Default::default())),
        ),
        (
            "cost_per_point",
            Box::new(|d| d.partners[0].cost_per_point = (-1).into()),
        ),
    ];
    for (needle, mutate) in cases {
        let mut def = base.clone();
        mutate(&mut def);
        let err =
            decide_program(&ProgramState::default(), "kicks", def, t(2026, 1, 1)).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert!(err.to_string().contains(needle), "{needle:?} not in {err}");
    }
    let bad_id =
        decide_program(&ProgramState::default(), "bad id!", base, t(2026, 1, 1)).unwrap_err();
    assert_eq!(bad_id.code(), "invalid_request");
}
