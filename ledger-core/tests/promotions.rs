//! Given/when/then tests of promotions: conditions (window, channel,
//! category, tier, enrollment age, amount), multipliers and bonuses, the
//! limit per member, the versions the ledger assigns, and the record of
//! which promotion versions contributed.

mod support;

use ledger_core::decide::{decide_program, decide_program_edit, earnings, ProgramEdit};
use ledger_core::event::{EventBody, PromotionContribution};
use ledger_core::program::{Program, ProgramState};
use ledger_core::promotion::{Promotion, PromotionCondition, PromotionReward};
use ledger_core::{Decimal, MemberCommand};
use std::collections::BTreeMap;
use support::*;

fn double_weekend() -> Promotion {
    Promotion {
        id: "double-weekend".into(),
        name: "Double points weekend".into(),
        version: 1,
        when: PromotionCondition {
            from: Some(t(2026, 3, 6)),
            until: Some(t(2026, 3, 9)),
            ..Default::default()
        },
        reward: PromotionReward::Multiplier {
            multiplier: dec("2"),
            currencies: Some(vec!["POINTS".into()]),
        },
        limit_per_member: None,
    }
}

fn welcome_bonus() -> Promotion {
    Promotion {
        id: "welcome".into(),
        name: "Welcome bonus".into(),
        version: 1,
        when: PromotionCondition {
            max_member_days: Some(30),
            min_amount: Some(dec("20")),
            product_category: Some("shoes".into()),
            ..Default::default()
        },
        reward: PromotionReward::Bonus {
            points: BTreeMap::from([("POINTS".into(), dec("250"))]),
        },
        limit_per_member: Some(1),
    }
}

fn with_promotions(mut s: Scenario) -> Scenario {
    s.program.definition.promotions = vec![double_weekend(), welcome_bonus()];
    s.program.definition.validate().unwrap();
    s
}

fn given_promos(commands: &[MemberCommand]) -> Scenario {
    let mut s = with_promotions(given(&[]));
    for c in commands {
        let events = s.decide(c).unwrap_or_else(|r| panic!("given {c:?}: {r}"));
        s.fold(&events);
    }
    s
}

fn shoes(tx: &str, amount: &str, at: ledger_core::Time) -> MemberCommand {
    let MemberCommand::Accrue(mut a) = purchase(tx, amount, at) else {
        unreachable!()
    };
    a.product_category = Some("shoes".into());
    MemberCommand::Accrue(a)
}

fn promotions_of(out: &Outcome) -> Vec<PromotionContribution> {
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { promotions, .. } => promotions.clone(),
        other => panic!("{other:?}"),
    }
}

fn credited(out: &Outcome, currency: &str) -> Decimal {
    match body(out.then_events(), 0) {
        EventBody::PointsAccrued { credits, .. } => credits
            .iter()
            .filter(|c| c.currency == currency)
            .map(|c| c.points)
            .sum(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_multiplier_inside_its_window_doubles_the_base_of_its_currencies_only() {
    let out = given_promos(&[enroll()]).when(purchase("t1", "100", t(2026, 3, 7)));
    let promos = promotions_of(&out);
    assert_eq!(promos.len(), 1);
    assert_eq!(promos[0].promotion_id, "double-weekend");
    assert_eq!(promos[0].version, 1);
    assert_eq!(promos[0].points, dec("100"));
    assert_eq!(credited(&out, "POINTS"), dec("200"));
    assert_eq!(
        credited(&out, "STATUS"),
        dec("100"),
        "STATUS is not in the offer"
    );
    let after = given_promos(&[enroll()]).when(purchase("t1", "100", t(2026, 3, 9)));
    assert!(promotions_of(&after).is_empty(), "until is exclusive");
}

#[test]
fn a_welcome_bonus_needs_a_new_member_the_category_and_the_amount_and_pays_once() {
    let s = given_promos(&[enroll()]);
    let small = s.when(shoes("t1", "19.99", t(2026, 1, 10)));
    assert!(promotions_of(&small).is_empty());
    let out = given_promos(&[enroll()]).when(shoes("t1", "20", t(2026, 1, 10)));
    assert_eq!(credited(&out, "POINTS"), dec("270"));
    let second = given_promos(&[enroll(), shoes("t1", "20", t(2026, 1, 10))]).when(shoes(
        "t2",
        "50",
        t(2026, 1, 12),
    ));
    assert!(promotions_of(&second).is_empty(), "limit of one per member");
    let old = given_promos(&[enroll()]).when(shoes("t1", "50", t(2026, 2, 15)));
    assert!(promotions_of(&old).is_empty(), "enrolled 44 days before");
}

#[test]
fn earnings_say_why_a_promotion_did_not_apply() {
    let s = given_promos(&[enroll()]);
    let MemberCommand::Accrue(a) = purchase("t1", "10", t(2026, 4, 1)) else {
        unreachable!()
    };
    let e = earnings(&s.program, s.member.as_ref().unwrap(), &a);
    let why: BTreeMap<_, _> = e.not_applied.iter().cloned().collect();
    assert_eq!(why["double-weekend"], "ended");
    assert_eq!(why["welcome"], "other product category");
    assert_eq!(e.totals()["POINTS"], dec("10"));
}

#[test]
fn tier_conditions_match_the_members_tier() {
    let mut gold_only = double_weekend();
    gold_only.when.tiers = Some(vec!["Gold".into()]);
    let mut s = given(&[enroll()]);
    s.program.definition.promotions = vec![gold_only];
    let out = s.when(purchase("t1", "100", t(2026, 3, 7)));
    assert!(promotions_of(&out).is_empty());
}

fn state_with(def: ledger_core::ProgramDefinition) -> ProgramState {
    let mut state = ProgramState::default();
    let events = decide_program(&state, "kicks", def, t(2026, 1, 1)).unwrap();
    apply(&mut state, events);
    state
}

/// Decides an edit and folds its events.
fn edit(state: &mut ProgramState, change: ProgramEdit, at: ledger_core::Time) {
    let events = decide_program_edit(state, "kicks", change, at).unwrap();
    apply(state, events);
}

fn apply(state: &mut ProgramState, events: Vec<ledger_core::Event>) {
    for e in events {
        if let EventBody::ProgramDefined {
            version,
            definition,
        } = e.body
        {
            state.apply(Program {
                id: "kicks".into(),
                version,
                defined_at: e.occurred_at,
                definition,
            });
        }
    }
}

fn promo_version(state: &ProgramState, id: &str) -> u32 {
    let current = state.current().unwrap();
    current
        .definition
        .promotions
        .iter()
        .find(|p| p.id == id)
        .unwrap()
        .version
}

#[test]
fn the_ledger_numbers_promotion_versions_and_an_unchanged_put_writes_nothing() {
    let mut state = state_with(program().definition);
    let put = |p: Promotion| ProgramEdit::PutPromotion(p);
    let mut offer = double_weekend();
    offer.version = 42; // a client's number is ignored
    edit(&mut state, put(offer.clone()), t(2026, 2, 1));
    assert_eq!(promo_version(&state, "double-weekend"), 1);
    assert_eq!(state.current().unwrap().version, 2);
    let same = decide_program_edit(&state, "kicks", put(offer.clone()), t(2026, 2, 2)).unwrap();
    assert!(same.is_empty());
    offer.reward = PromotionReward::Multiplier {
        multiplier: dec("3"),
        currencies: None,
    };
    edit(&mut state, put(offer), t(2026, 2, 3));
    assert_eq!(promo_version(&state, "double-weekend"), 2);
    // The earlier program version still holds the earlier promotion version.
    assert_eq!(state.versions[1].definition.promotions[0].version, 1);
    let gone = ProgramEdit::WithdrawPromotion("double-weekend".into());
    edit(&mut state, gone.clone(), t(2026, 2, 4));
    assert!(state.current().unwrap().definition.promotions.is_empty());
    let again = decide_program_edit(&state, "kicks", gone, t(2026, 2, 5)).unwrap_err();
    assert_eq!(again.code(), "promotion_not_found");
}

#[test]
fn promotions_are_validated() {
    let mut def = program().definition;
    let mut p = double_weekend();
    p.reward = PromotionReward::Multiplier {
        multiplier: dec("1"),
        currencies: None,
    };
    def.promotions = vec![p];
    assert!(def.validate().unwrap_err().contains("multiplier"));
    let mut p = welcome_bonus();
    p.when.tiers = Some(vec!["Platinum".into()]);
    def.promotions = vec![p];
    assert!(def
        .validate()
        .unwrap_err()
        .contains("unknown tier Platinum"));
    def.promotions = vec![welcome_bonus(), welcome_bonus()];
    assert!(def.validate().unwrap_err().contains("repeated"));
}
