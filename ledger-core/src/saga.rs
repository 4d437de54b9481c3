//! The ledger's own follow-up commands: what one account's decision asks of
//! another account (every account is decided on its own, on its own
//! partition). A transfer leaving asks the receiver to take it; the
//! receiver's answer settles it on the sender; a group adding a member asks
//! the member to join, whose answer confirms (or removes) it on the roster.
//!
//! Follow-ups are delivered at least once: each is idempotent where it
//! lands (a transaction id, or a check of the state it answers), and what an
//! account still waits for ([`unfinished`]) is asked again after a restart.

use crate::command::{GroupTerms, IncomingTransfer, MemberCommand};
use crate::event::{Event, EventBody, LotDebit};
use crate::group::{on_member_id, refusal_id, RosterEntry};
use crate::member::{JournalKind, Member};
use crate::transfer::{received_id, TransferOut};
use crate::Rejection;

/// A command for another account of the same program.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowUp {
    pub member_id: String,
    pub command: MemberCommand,
}

/// What other accounts must do after `account`'s new events.
pub fn after_events(account: &str, events: &[Event]) -> Vec<FollowUp> {
    events
        .iter()
        .filter_map(|e| after_event(account, e))
        .collect()
}

fn after_event(account: &str, event: &Event) -> Option<FollowUp> {
    let (member_id, command) = match &event.body {
        EventBody::PointsTransferredOut { .. } => {
            let (transfer_id, sent) = TransferOut::sent_by(event)?;
            (sent.to_member.clone(), receive(account, transfer_id, &sent))
        }
        EventBody::PointsTransferredIn {
            transfer_id,
            from_member,
            ..
        } => (from_member.clone(), settle(transfer_id, None)),
        EventBody::TransferRefused {
            transfer_id,
            from_member,
            reason,
        } => (from_member.clone(), settle(transfer_id, Some(reason))),
        EventBody::GroupMemberAdded {
            member_id,
            contribution_percent,
            may_redeem,
        } => {
            let entry = RosterEntry {
                contribution_percent: *contribution_percent,
                may_redeem: *may_redeem,
                added_by: event.transaction_id.clone(),
                added_at: event.occurred_at,
                confirmed: false,
            };
            (member_id.clone(), join(account, member_id, &entry))
        }
        EventBody::PointsRedeemed {
            currency,
            points,
            by_member: Some(by),
            ..
        } => (
            by.clone(),
            MemberCommand::NotePoolSpending {
                transaction_id: on_member_id(account, &event.transaction_id),
                group_id: account.to_string(),
                occurred_at: event.occurred_at,
                currency: currency.clone(),
                points: *points,
            },
        ),
        EventBody::GroupJoined {
            group_id, joined, ..
        } => (
            group_id.clone(),
            MemberCommand::ConfirmGroupMember {
                joined: joined.clone(),
                member_id: account.to_string(),
            },
        ),
        EventBody::GroupMemberRemoved { member_id, reason } => (
            member_id.clone(),
            MemberCommand::LeaveGroup {
                transaction_id: on_member_id(account, &event.transaction_id),
                group_id: account.to_string(),
                occurred_at: event.occurred_at,
                reason: reason.clone(),
            },
        ),
        _ => return None,
    };
    Some(FollowUp { member_id, command })
}

/// What the asking account must hear when `command`, a follow-up, was
/// rejected on `account` for good: the account does not exist or may not
/// take it. Anything else (the program not loaded yet) is asked again later.
pub fn after_rejection(
    account: &str,
    command: &MemberCommand,
    rejection: &Rejection,
) -> Vec<FollowUp> {
    let for_good = matches!(
        rejection,
        Rejection::MemberNotFound(_)
            | Rejection::InvalidRequest(_)
            | Rejection::MemberInactive { .. }
            | Rejection::InAnotherGroup { .. }
    );
    if !for_good {
        return Vec::new();
    }
    let answer = match command {
        MemberCommand::ReceiveTransfer(t) => FollowUp {
            member_id: t.from_member.clone(),
            command: settle(&t.transfer_id, Some(&rejection.to_string())),
        },
        MemberCommand::JoinGroup {
            group_id, terms, ..
        } => FollowUp {
            member_id: group_id.clone(),
            command: MemberCommand::RemoveGroupMember {
                transaction_id: refusal_id(account, &terms.transaction_id),
                member_id: account.to_string(),
                occurred_at: terms.occurred_at,
                reason: rejection.to_string(),
            },
        },
        _ => return Vec::new(),
    };
    vec![answer]
}

/// What the asking account must hear again when `command`, a follow-up,
/// was decided here before (its answer may have been lost).
pub fn after_duplicate(account: &Member, command: &MemberCommand) -> Vec<FollowUp> {
    let answer = match command {
        MemberCommand::ReceiveTransfer(t) => {
            let refused = match account.journals.get(&t.transfer_id).map(|j| &j.kind) {
                Some(JournalKind::TransferIn { refused }) => refused.clone(),
                _ => None,
            };
            FollowUp {
                member_id: t.from_member.clone(),
                command: settle(&t.transfer_id, refused.as_deref()),
            }
        }
        MemberCommand::JoinGroup {
            group_id, terms, ..
        } => FollowUp {
            member_id: group_id.clone(),
            command: MemberCommand::ConfirmGroupMember {
                joined: terms.transaction_id.clone(),
                member_id: account.id.clone(),
            },
        },
        _ => return Vec::new(),
    };
    vec![answer]
}

/// What `account` still waits for: transfers in flight and members not yet
/// confirmed, asked again (they are idempotent where they land).
pub fn unfinished(account: &Member) -> Vec<FollowUp> {
    let transfers = account.transfers_out.iter().map(|(id, t)| FollowUp {
        member_id: t.to_member.clone(),
        command: receive(&account.id, id, t),
    });
    let joins = account
        .roster
        .iter()
        .filter(|(_, e)| !e.confirmed)
        .map(|(member_id, e)| FollowUp {
            member_id: member_id.clone(),
            command: join(&account.id, member_id, e),
        });
    transfers.chain(joins).collect()
}

/// The receive of a transfer `from` sent.
fn receive(from: &str, transfer_id: &str, sent: &TransferOut) -> MemberCommand {
    MemberCommand::ReceiveTransfer(IncomingTransfer {
        transaction_id: received_id(from, transfer_id),
        transfer_id: transfer_id.to_string(),
        from_member: from.to_string(),
        occurred_at: sent.occurred_at,
        currency: sent.currency.clone(),
        lots: sent
            .lots
            .iter()
            .map(|l| LotDebit {
                points: l.points.normalize(),
                ..l.clone()
            })
            .collect(),
        pool: sent.pool,
    })
}

/// The join a group asks of a member on its roster.
fn join(group: &str, member_id: &str, entry: &RosterEntry) -> MemberCommand {
    MemberCommand::JoinGroup {
        transaction_id: on_member_id(group, &entry.added_by),
        group_id: group.to_string(),
        terms: GroupTerms {
            transaction_id: entry.added_by.clone(),
            member_id: member_id.to_string(),
            occurred_at: entry.added_at,
            contribution_percent: entry.contribution_percent.normalize(),
            may_redeem: entry.may_redeem,
        },
    }
}

fn settle(transfer_id: &str, returned: Option<&str>) -> MemberCommand {
    MemberCommand::SettleTransfer {
        transfer_id: transfer_id.to_string(),
        returned: returned.map(str::to_string),
    }
}
