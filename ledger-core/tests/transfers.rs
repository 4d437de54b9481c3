//! Point-to-point transfers across two accounts: given/when/then with the
//! ledger's follow-ups delivered between them.

mod support;

use ledger_core::command::{MemberCommand, Transfer};
use ledger_core::event::EventBody;
use ledger_core::member::{MemberStatus, MemberType};
use ledger_core::saga::unfinished;
use ledger_core::Decision;
use support::ledger::Ledger;
use support::{adjust, credit, dec, redeem, status, t};

fn transfer(tx: &str, to: &str, currency: &str, points: &str) -> MemberCommand {
    MemberCommand::Transfer(Transfer {
        transaction_id: tx.into(),
        to_member: to.into(),
        occurred_at: t(2026, 5, 1),
        currency: currency.into(),
        points: dec(points),
        reason: "gift".into(),
    })
}

/// Ann holds two POINTS lots: 100 from the hotel (earned in March) and 200
/// of her own (April); Bob is enrolled with nothing.
fn ann_and_bob() -> Ledger {
    let mut l = Ledger::default();
    l.enroll("ann", MemberType::Individual);
    l.enroll("bob", MemberType::Individual);
    l.run(
        "ann",
        credit("a1", "POINTS", "100", Some("hotel"), t(2026, 3, 1)),
    )
    .unwrap();
    l.run("ann", credit("a2", "POINTS", "200", None, t(2026, 4, 1)))
        .unwrap();
    l
}

#[test]
fn a_transfer_moves_lots_with_their_expiry_and_partner() {
    let mut l = ann_and_bob();
    l.run("ann", transfer("tr-1", "bob", "POINTS", "250"))
        .unwrap();

    assert_eq!(l.available("ann", "POINTS"), dec("50"));
    assert_eq!(l.available("bob", "POINTS"), dec("250"));
    assert_eq!(
        l.history("ann")[3..],
        ["PointsTransferredOut", "TransferSettled"]
    );
    assert_eq!(l.history("bob")[1..], ["PointsTransferredIn"]);
    let EventBody::PointsTransferredIn {
        lots_opened,
        from_member,
        ..
    } = l.last("bob", "PointsTransferredIn")
    else {
        unreachable!()
    };
    assert_eq!(from_member, "ann");
    // Oldest-expiring first: the hotel's March lot whole, then 150 of April's.
    assert_eq!(lots_opened.len(), 2);
    assert_eq!(lots_opened[0].partner_id.as_deref(), Some("hotel"));
    assert_eq!(lots_opened[0].points, dec("100"));
    assert_eq!(lots_opened[0].expires_at, Some(t(2027, 3, 1)));
    assert_eq!(lots_opened[0].earned_at, t(2026, 3, 1));
    assert_eq!(lots_opened[1].points, dec("150"));
    assert_eq!(lots_opened[1].expires_at, Some(t(2027, 4, 1)));
    assert_eq!(lots_opened[1].lot_id, "transfer:ann/tr-1>a2/POINTS");
    let EventBody::TransferSettled { returned, .. } = l.last("ann", "TransferSettled") else {
        unreachable!()
    };
    assert!(!returned);
    // Settled at the transfer's business time, not when the answer came.
    assert_eq!(
        l.last_event("ann", "TransferSettled").occurred_at,
        t(2026, 5, 1)
    );
    assert_ne!(l.now, t(2026, 5, 1));
    assert!(l.member("ann").transfers_out.is_empty());
    assert_eq!(l.member("ann").books["POINTS"].transferred, dec("-250"));
    assert_eq!(l.member("bob").books["POINTS"].transferred, dec("250"));
}

#[test]
fn a_retried_transfer_is_a_duplicate_and_moves_nothing_twice() {
    let mut l = ann_and_bob();
    l.run("ann", transfer("tr-1", "bob", "POINTS", "250"))
        .unwrap();
    let again = l.run("ann", transfer("tr-1", "bob", "POINTS", "250"));
    assert_eq!(again, Ok(Decision::Duplicate));
    let other = l.run("ann", transfer("tr-1", "bob", "POINTS", "10"));
    assert_eq!(other.unwrap_err().code(), "transaction_conflict");
    assert_eq!(l.available("bob", "POINTS"), dec("250"));
}

#[test]
fn a_transfer_to_an_unknown_member_comes_back_as_it_left() {
    let mut l = ann_and_bob();
    l.run("ann", transfer("tr-1", "nobody", "POINTS", "250"))
        .unwrap();

    assert_eq!(l.available("ann", "POINTS"), dec("300"));
    let EventBody::TransferSettled {
        returned,
        reason,
        lots_restored,
        ..
    } = l.last("ann", "TransferSettled")
    else {
        unreachable!()
    };
    assert!(returned);
    assert!(reason.contains("not found"), "{reason}");
    let ids: Vec<&str> = lots_restored.iter().map(|l| l.lot_id.as_str()).collect();
    assert_eq!(ids, ["a1/POINTS", "a2/POINTS"]);
    let ann = l.member("ann");
    assert_eq!(
        ann.books["POINTS"]
            .lots
            .iter()
            .next()
            .unwrap()
            .partner_id
            .as_deref(),
        Some("hotel")
    );
    assert_eq!(
        ann.books["POINTS"].lots.iter().next().unwrap().expires_at,
        Some(t(2027, 3, 1))
    );
    assert_eq!(ann.books["POINTS"].transferred, dec("0"));
}

#[test]
fn a_suspended_receiver_refuses_and_the_refusal_is_final() {
    let mut l = ann_and_bob();
    l.run(
        "bob",
        status("s-1", MemberStatus::Suspended, t(2026, 4, 20)),
    )
    .unwrap();
    l.hold = true;
    l.run("ann", transfer("tr-1", "bob", "POINTS", "250"))
        .unwrap();
    let receive = l.outbox.front().cloned().expect("the receive follow-up");
    l.flush();
    assert_eq!(l.history("bob").last(), Some(&"TransferRefused"));
    assert_eq!(l.available("ann", "POINTS"), dec("300"));

    // Bob is active again, and the receive arrives once more (a restart):
    // the recorded refusal stands; nothing opens, nothing is returned twice.
    l.run("bob", status("s-2", MemberStatus::Active, t(2026, 5, 2)))
        .unwrap();
    l.redeliver(receive);
    assert_eq!(l.available("bob", "POINTS"), dec("0"));
    assert_eq!(l.available("ann", "POINTS"), dec("300"));
    let settled = l
        .history("ann")
        .iter()
        .filter(|n| **n == "TransferSettled")
        .count();
    assert_eq!(settled, 1);
}

#[test]
fn a_transfer_in_flight_is_unfinished_until_settled_and_a_repeat_is_harmless() {
    let mut l = ann_and_bob();
    l.hold = true;
    l.run("ann", transfer("tr-1", "bob", "POINTS", "250"))
        .unwrap();
    let waiting = unfinished(l.member("ann"));
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].member_id, "bob");
    assert_eq!(l.available("ann", "POINTS"), dec("50"));
    l.flush();
    assert!(unfinished(l.member("ann")).is_empty());
    // The receive delivered again after it was settled: a duplicate on Bob,
    // whose answer is a no-op on Ann.
    l.redeliver(waiting[0].clone());
    assert_eq!(l.available("bob", "POINTS"), dec("250"));
    assert_eq!(l.available("ann", "POINTS"), dec("50"));
}

#[test]
fn a_receiver_in_arrears_pays_them_first() {
    let mut l = ann_and_bob();
    l.run("bob", credit("b1", "POINTS", "40", None, t(2026, 3, 1)))
        .unwrap();
    l.run("bob", redeem("b2", "POINTS", "40", t(2026, 3, 2)))
        .unwrap();
    l.run(
        "bob",
        MemberCommand::Cancel {
            transaction_id: "b3".into(),
            cancels: "b1".into(),
            occurred_at: t(2026, 3, 3),
            reason: "return".into(),
        },
    )
    .unwrap();
    assert_eq!(l.member("bob").books["POINTS"].arrears, dec("40"));
    l.run("ann", transfer("tr-1", "bob", "POINTS", "100"))
        .unwrap();
    let EventBody::PointsTransferredIn {
        arrears_settled,
        lots_opened,
        ..
    } = l.last("bob", "PointsTransferredIn")
    else {
        unreachable!()
    };
    assert_eq!(*arrears_settled, dec("40"));
    assert_eq!(lots_opened[0].points, dec("60"));
    assert_eq!(l.available("bob", "POINTS"), dec("60"));
}

#[test]
fn what_cannot_be_transferred_is_rejected_on_the_sender() {
    let mut l = ann_and_bob();
    let short = l.run("ann", transfer("tr-1", "bob", "POINTS", "301"));
    assert_eq!(short.unwrap_err().code(), "insufficient_points");
    let status_points = l.run("ann", transfer("tr-2", "bob", "STATUS", "1"));
    assert_eq!(status_points.unwrap_err().code(), "invalid_request");
    let to_self = l.run("ann", transfer("tr-3", "ann", "POINTS", "1"));
    assert_eq!(to_self.unwrap_err().code(), "invalid_request");
    let bad_id = l.run("ann", transfer("tr-4", "b/o/b", "POINTS", "1"));
    assert_eq!(bad_id.unwrap_err().code(), "invalid_request");
    l.run(
        "ann",
        status("s-1", MemberStatus::Suspended, t(2026, 4, 20)),
    )
    .unwrap();
    let suspended = l.run("ann", transfer("tr-5", "bob", "POINTS", "1"));
    assert_eq!(suspended.unwrap_err().code(), "member_inactive");
    assert_eq!(l.available("ann", "POINTS"), dec("300"));
}

#[test]
fn manual_adjustments_transferred_lots_keep_balance_identity() {
    let mut l = ann_and_bob();
    l.run("ann", adjust("adj-1", "POINTS", "-20", t(2026, 4, 2)))
        .unwrap();
    l.run("ann", transfer("tr-1", "bob", "POINTS", "80"))
        .unwrap();
    for who in ["ann", "bob"] {
        let b = &l.member(who).books["POINTS"];
        assert_eq!(
            b.available(),
            b.earned + b.transferred - b.redeemed - b.expired,
            "{who}"
        );
    }
}

/// Every transfer and group event and every follow-up survives its wire
/// form (events protobuf, commands topic protobuf) unchanged.
#[test]
fn transfer_and_group_events_and_follow_ups_survive_the_wire() {
    use ledger_core::codec::{from_envelope, to_envelope, EnvelopeMeta};
    use ledger_core::command::GroupTerms;
    use ledger_core::command_codec::{follow_up_envelope, member_command};
    use loyalty_proto::{CommandEnvelope, EventEnvelope, Message};

    let mut l = ann_and_bob();
    l.enroll("smiths", MemberType::Group);
    let add = |tx: &str, m: &str| {
        MemberCommand::AddGroupMember(GroupTerms {
            transaction_id: tx.into(),
            member_id: m.into(),
            occurred_at: t(2026, 2, 1),
            contribution_percent: dec("12.5"),
            may_redeem: true,
        })
    };
    l.run("smiths", add("g1", "ann")).unwrap();
    l.run("smiths", add("g2", "nobody")).unwrap();
    l.run(
        "ann",
        credit("a3", "POINTS", "80", Some("airline"), t(2026, 4, 2)),
    )
    .unwrap();
    l.run("ann", transfer("tr-1", "bob", "POINTS", "50"))
        .unwrap();
    l.run("ann", transfer("tr-2", "nobody", "POINTS", "5"))
        .unwrap();
    l.run("smiths", redeem_by("r1", "5", "ann")).unwrap();
    l.run(
        "smiths",
        MemberCommand::RemoveGroupMember {
            transaction_id: "g3".into(),
            member_id: "ann".into(),
            occurred_at: t(2026, 5, 3),
            reason: "left".into(),
        },
    )
    .unwrap();

    let names: std::collections::BTreeSet<&str> =
        l.events.iter().map(|(_, e)| e.body.name()).collect();
    for kind in [
        "PointsTransferredOut",
        "PointsTransferredIn",
        "TransferSettled",
        "GroupMemberAdded",
        "GroupMemberConfirmed",
        "GroupMemberRemoved",
        "GroupJoined",
        "GroupLeft",
        "PoolSpent",
    ] {
        assert!(names.contains(kind), "the scenario has no {kind}");
    }
    for (i, (account, e)) in l.events.iter().enumerate() {
        let meta = EnvelopeMeta {
            event_id: format!("e{i}"),
            program_id: "kicks".into(),
            account_id: account.clone(),
            sequence: i as u64 + 1,
            group_first: 0,
            group_last: 0,
            writer_id: "w".into(),
            recorded_at: t(2026, 6, 1),
            prev_hash: String::new(),
        };
        let bytes = to_envelope(e, &meta).encode_to_vec();
        let decoded = from_envelope(&EventEnvelope::decode(bytes.as_slice()).unwrap()).unwrap();
        assert_eq!(&decoded, e);
    }
    assert!(l.delivered.len() >= 8);
    for f in &l.delivered {
        let env = follow_up_envelope("kicks", f).expect("a follow-up has a wire form");
        let bytes = env.encode_to_vec();
        let back = CommandEnvelope::decode(bytes.as_slice()).unwrap();
        assert_eq!(back.member_id, f.member_id);
        assert_eq!(member_command(&back, t(2030, 1, 1)).unwrap(), f.command);
    }
}

fn redeem_by(tx: &str, points: &str, by: &str) -> MemberCommand {
    MemberCommand::Redeem {
        transaction_id: tx.into(),
        occurred_at: t(2026, 5, 2),
        currency: "POINTS".into(),
        points: dec(points),
        partner_id: None,
        by_member: Some(by.into()),
    }
}

#[test]
fn a_returned_transfer_pays_the_senders_arrears_first() {
    let mut l = ann_and_bob();
    l.hold = true;
    l.run("ann", transfer("tr-1", "nobody", "POINTS", "250"))
        .unwrap();
    // While the points are away, the March accrual is cancelled: ann owes.
    l.run(
        "ann",
        MemberCommand::Cancel {
            transaction_id: "c1".into(),
            cancels: "a2".into(),
            occurred_at: t(2026, 5, 2),
            reason: "return".into(),
        },
    )
    .unwrap();
    assert_eq!(l.member("ann").books["POINTS"].arrears, dec("150"));
    l.flush();
    let ann = &l.member("ann").books["POINTS"];
    assert_eq!(ann.arrears, dec("0"));
    assert_eq!(ann.lots_total(), dec("100"));
    assert_eq!(ann.available(), dec("100"));
    assert_eq!(
        ann.available(),
        ann.earned + ann.transferred - ann.redeemed - ann.expired
    );
}

#[test]
fn a_receive_whose_form_changed_on_the_wire_is_still_a_duplicate() {
    let mut l = ann_and_bob();
    l.hold = true;
    l.run("ann", transfer("tr-1", "bob", "POINTS", "250"))
        .unwrap();
    let mut receive = l.outbox.front().cloned().unwrap();
    l.flush();
    if let MemberCommand::ReceiveTransfer(t) = &mut receive.command {
        t.lots[0].points = t.lots[0].points.round_dp(0) * dec("1.0");
        t.lots[0].points.rescale(2);
    }
    l.redeliver(receive);
    assert_eq!(l.available("bob", "POINTS"), dec("250"));
    assert_eq!(l.available("ann", "POINTS"), dec("50"));
}

#[test]
fn client_ids_may_not_take_the_ledgers_own_prefixes() {
    let mut l = ann_and_bob();
    for tx in ["transfer:pool/POINTS/x", "group:smiths/g1"] {
        let r = l.run("ann", transfer(tx, "bob", "POINTS", "1"));
        assert_eq!(r.unwrap_err().code(), "invalid_request", "{tx}");
    }
}
