//! Member ids that would collide with the program's own account or vanish
//! in a URL are rejected as `invalid_request`, for a new member and for
//! every field that names another member account.

mod support;

use ledger_core::command::{MemberCommand, Transfer};
use ledger_core::ids::PROGRAM_ACCOUNT;
use ledger_core::{decide, Decision};
use support::*;

const RESERVED: [&str; 3] = [PROGRAM_ACCOUNT, ".", ".."];

#[test]
fn enrolling_the_program_account_or_a_dot_segment_is_invalid() {
    let program = program();
    for id in RESERVED {
        let r = decide(None, &program, id, &enroll(), t(2026, 6, 1)).unwrap_err();
        assert_eq!(r.code(), "invalid_request", "{id}: {r}");
    }
    let ok = decide(None, &program, "program-1", &enroll(), t(2026, 6, 1));
    assert!(matches!(ok, Ok(Decision::Events(_))), "{ok:?}");
}

#[test]
fn a_transfer_may_not_name_the_program_account_as_receiver() {
    let s = given(&[enroll(), credit("c1", "POINTS", "100", None, t(2026, 2, 1))]);
    for to in RESERVED {
        let transfer = MemberCommand::Transfer(Transfer {
            transaction_id: format!("gift-{to}"),
            to_member: to.into(),
            occurred_at: t(2026, 5, 1),
            currency: "POINTS".into(),
            points: dec("10"),
            reason: "gift".into(),
        });
        let r = s.decide(&transfer).unwrap_err();
        assert_eq!(r.code(), "invalid_request", "{to}: {r}");
    }
}
