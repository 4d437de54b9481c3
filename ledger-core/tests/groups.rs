//! Groups with a pool across accounts: the roster on the group, the link on
//! each member, contributions from accruals, spending from the pool.

mod support;

use ledger_core::command::{GroupTerms, MemberCommand};
use ledger_core::event::EventBody;
use ledger_core::member::{MemberStatus, MemberType};
use ledger_core::saga::unfinished;
use support::ledger::Ledger;
use support::{credit, dec, purchase, status, t};

fn add(tx: &str, member: &str, percent: &str, may_redeem: bool) -> MemberCommand {
    MemberCommand::AddGroupMember(GroupTerms {
        transaction_id: tx.into(),
        member_id: member.into(),
        occurred_at: t(2026, 2, 1),
        contribution_percent: dec(percent),
        may_redeem,
    })
}

fn remove(tx: &str, member: &str) -> MemberCommand {
    MemberCommand::RemoveGroupMember {
        transaction_id: tx.into(),
        member_id: member.into(),
        occurred_at: t(2026, 5, 1),
        reason: "moved out".into(),
    }
}

fn spend(tx: &str, points: &str, by: Option<&str>) -> MemberCommand {
    MemberCommand::Redeem {
        transaction_id: tx.into(),
        occurred_at: t(2026, 5, 10),
        currency: "POINTS".into(),
        points: dec(points),
        partner_id: None,
        by_member: by.map(str::to_string),
    }
}

/// The Smith household: Ann gives 20% and may spend, Bob gives 50% and may not.
fn household() -> Ledger {
    let mut l = Ledger::default();
    l.enroll("smiths", MemberType::Group);
    l.enroll("ann", MemberType::Individual);
    l.enroll("bob", MemberType::Individual);
    l.run("smiths", add("g1", "ann", "20", true)).unwrap();
    l.run("smiths", add("g2", "bob", "50", false)).unwrap();
    l
}

#[test]
fn members_join_and_the_roster_confirms_them() {
    let l = household();
    let roster = &l.member("smiths").roster;
    assert!(roster["ann"].confirmed && roster["ann"].may_spend());
    assert!(roster["bob"].confirmed && !roster["bob"].may_spend());
    let link = l.member("ann").group.clone().expect("ann is in a group");
    assert_eq!(link.group_id, "smiths");
    assert_eq!(link.contribution_percent, dec("20"));
    assert_eq!(
        l.history("smiths")[1..],
        [
            "GroupMemberAdded",
            "GroupMemberConfirmed",
            "GroupMemberAdded",
            "GroupMemberConfirmed"
        ]
    );
    // Confirmed at the business time of the addition it answers.
    let added = l.last_event("smiths", "GroupMemberAdded").occurred_at;
    let confirmed = l.last_event("smiths", "GroupMemberConfirmed").occurred_at;
    assert_eq!(confirmed, added);
    assert_ne!(confirmed, l.now);
    assert!(unfinished(l.member("smiths")).is_empty());
}

#[test]
fn an_accrual_credits_the_pool_with_the_contribution_and_the_member_with_the_rest() {
    let mut l = household();
    l.run("ann", purchase("p1", "100", t(2026, 3, 1))).unwrap();

    assert_eq!(l.available("ann", "POINTS"), dec("80"));
    assert_eq!(l.available("smiths", "POINTS"), dec("20"));
    // Qualifying points stay with the member: they are her tier's.
    assert_eq!(l.available("ann", "STATUS"), dec("100"));
    assert_eq!(l.available("smiths", "STATUS"), dec("0"));
    assert_eq!(
        l.history("ann")[2..],
        ["PointsAccrued", "PointsTransferredOut", "TransferSettled"]
    );
    let EventBody::PointsTransferredIn {
        pool,
        lots_opened,
        from_member,
        ..
    } = l.last("smiths", "PointsTransferredIn")
    else {
        unreachable!()
    };
    assert!(pool);
    assert_eq!(from_member, "ann");
    assert_eq!(lots_opened[0].expires_at, Some(t(2027, 3, 1)));
    assert_eq!(
        lots_opened[0].lot_id,
        "transfer:ann/transfer:pool/POINTS/p1>p1/POINTS"
    );

    l.run("bob", purchase("p2", "31", t(2026, 3, 2))).unwrap();
    // 50% of 31 rounds down (the program's rounding) to 15.
    assert_eq!(l.available("smiths", "POINTS"), dec("35"));
    assert_eq!(l.available("bob", "POINTS"), dec("16"));
}

#[test]
fn only_members_who_may_redeem_spend_from_the_pool() {
    let mut l = household();
    l.run("ann", purchase("p1", "100", t(2026, 3, 1))).unwrap();
    l.run("bob", purchase("p2", "100", t(2026, 3, 2))).unwrap();
    assert_eq!(l.available("smiths", "POINTS"), dec("70"));

    let by_bob = l.run("smiths", spend("r1", "10", Some("bob")));
    assert_eq!(by_bob.unwrap_err().code(), "pool_not_allowed");
    let by_stranger = l.run("smiths", spend("r2", "10", Some("eve")));
    assert_eq!(by_stranger.unwrap_err().code(), "pool_not_allowed");
    let by_nobody = l.run("smiths", spend("r3", "10", None));
    assert_eq!(by_nobody.unwrap_err().code(), "invalid_request");
    let too_much = l.run("smiths", spend("r4", "71", Some("ann")));
    assert_eq!(too_much.unwrap_err().code(), "insufficient_points");

    l.run("smiths", spend("r5", "60", Some("ann"))).unwrap();
    assert_eq!(l.available("smiths", "POINTS"), dec("10"));
    let EventBody::PointsRedeemed { by_member, .. } = l.last("smiths", "PointsRedeemed") else {
        unreachable!()
    };
    assert_eq!(by_member.as_deref(), Some("ann"));
    // Ann's own history shows what she spent from the pool.
    let EventBody::PoolSpent {
        group_id, points, ..
    } = l.last("ann", "PoolSpent")
    else {
        unreachable!()
    };
    assert_eq!((group_id.as_str(), *points), ("smiths", dec("60")));
    assert_eq!(l.available("ann", "POINTS"), dec("80"));
    // A member's own redemption names no one.
    let own = l.run("ann", spend("r6", "10", Some("ann")));
    assert_eq!(own.unwrap_err().code(), "invalid_request");
}

#[test]
fn a_member_who_cannot_join_is_taken_off_the_roster() {
    let mut l = household();
    l.enroll("others", MemberType::Group);
    l.enroll("cy", MemberType::Individual);
    l.run("cy", status("s1", MemberStatus::Suspended, t(2026, 1, 20)))
        .unwrap();

    l.run("smiths", add("g3", "nobody", "10", true)).unwrap();
    l.run("smiths", add("g4", "cy", "10", true)).unwrap();
    l.run("others", add("o1", "ann", "10", true)).unwrap();

    assert!(!l.member("smiths").roster.contains_key("nobody"));
    assert!(!l.member("smiths").roster.contains_key("cy"));
    assert!(!l.member("others").roster.contains_key("ann"));
    let EventBody::GroupMemberRemoved { reason, .. } = l.last("others", "GroupMemberRemoved")
    else {
        unreachable!()
    };
    assert!(
        reason.contains("already belongs to group smiths"),
        "{reason}"
    );
    assert_eq!(l.member("ann").group.as_ref().unwrap().group_id, "smiths");
}

#[test]
fn a_removed_member_leaves_and_keeps_all_of_its_next_accrual() {
    let mut l = household();
    l.run("smiths", remove("g9", "ann")).unwrap();
    assert!(l.member("ann").group.is_none());
    assert_eq!(l.history("ann").last(), Some(&"GroupLeft"));
    l.run("ann", purchase("p1", "100", t(2026, 5, 2))).unwrap();
    assert_eq!(l.available("ann", "POINTS"), dec("100"));
    assert_eq!(l.available("smiths", "POINTS"), dec("0"));
    let again = l.run("smiths", remove("g10", "ann"));
    assert_eq!(again.unwrap_err().code(), "not_in_group");
}

#[test]
fn a_contribution_the_group_no_longer_expects_comes_back_and_the_member_leaves() {
    let mut l = household();
    // The removal reaches the group, but its follow-up to Ann is lost.
    l.hold = true;
    l.run("smiths", remove("g9", "ann")).unwrap();
    l.outbox.clear();
    l.hold = false;
    assert!(l.member("ann").group.is_some());

    l.run("ann", purchase("p1", "100", t(2026, 5, 2))).unwrap();
    assert_eq!(l.available("ann", "POINTS"), dec("100"));
    assert_eq!(l.available("smiths", "POINTS"), dec("0"));
    assert!(l.member("ann").group.is_none());
    assert_eq!(l.history("ann").last(), Some(&"GroupLeft"));
    assert_eq!(l.history("smiths").last(), Some(&"TransferRefused"));
}

#[test]
fn an_unconfirmed_member_is_asked_again_and_cannot_spend_meanwhile() {
    let mut l = Ledger::default();
    l.enroll("smiths", MemberType::Group);
    l.enroll("ann", MemberType::Individual);
    l.hold = true;
    l.run("smiths", add("g1", "ann", "20", true)).unwrap();
    let ask = l.outbox.pop_front().expect("the join follow-up");
    assert!(!l.member("smiths").roster["ann"].may_spend());
    let again = unfinished(l.member("smiths"));
    assert_eq!(again, vec![ask.clone()]);
    l.hold = false;
    l.redeliver(ask.clone());
    l.redeliver(ask);
    assert!(l.member("smiths").roster["ann"].may_spend());
    let confirmations = l
        .history("smiths")
        .iter()
        .filter(|n| **n == "GroupMemberConfirmed")
        .count();
    assert_eq!(confirmations, 1);
}

#[test]
fn a_group_account_earns_only_through_its_members() {
    let mut l = household();
    let direct = l.run("smiths", credit("x1", "POINTS", "10", None, t(2026, 3, 1)));
    assert_eq!(direct.unwrap_err().code(), "invalid_request");
    let not_group = l.run("ann", add("x2", "bob", "10", true));
    assert_eq!(not_group.unwrap_err().code(), "invalid_request");
    let too_much = l.run("smiths", add("x3", "bob", "100.5", true));
    assert_eq!(too_much.unwrap_err().code(), "invalid_request");
}
