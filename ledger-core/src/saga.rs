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
use crate::event::{Event, EventBody};
use crate::group::{pool_spending_id, refusal_id};
use crate::member::{JournalKind, Member};
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
        EventBody::PointsTransferredOut {
            transfer_id,
            to_member,
            currency,
            pool,
            lots_debited,
            ..
        } => (
            to_member.clone(),
            MemberCommand::ReceiveTransfer(IncomingTransfer {
                transfer_id: transfer_id.clone(),
                from_member: account.to_string(),
                occurred_at: event.occurred_at,
                currency: currency.clone(),
                lots: lots_debited.clone(),
                pool: *pool,
            }),
        ),
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
        } => (
            member_id.clone(),
            MemberCommand::JoinGroup {
                group_id: account.to_string(),
                terms: GroupTerms {
                    transaction_id: event.transaction_id.clone(),
                    member_id: member_id.clone(),
                    occurred_at: event.occurred_at,
                    contribution_percent: *contribution_percent,
                    may_redeem: *may_redeem,
                },
            },
        ),
        EventBody::PointsRedeemed {
            currency,
            points,
            by_member: Some(by),
            ..
        } => (
            by.clone(),
            MemberCommand::NotePoolSpending {
                transaction_id: pool_spending_id(account, &event.transaction_id),
                group_id: account.to_string(),
                occurred_at: event.occurred_at,
                currency: currency.clone(),
                points: *points,
            },
        ),
        EventBody::GroupJoined { group_id, .. } => (
            group_id.clone(),
            MemberCommand::ConfirmGroupMember {
                joined: event.transaction_id.clone(),
                member_id: account.to_string(),
            },
        ),
        EventBody::GroupMemberRemoved { member_id, reason } => (
            member_id.clone(),
            MemberCommand::LeaveGroup {
                transaction_id: event.transaction_id.clone(),
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
/// rejected on `account` (it does not exist, or may not take it).
pub fn after_rejection(
    account: &str,
    command: &MemberCommand,
    rejection: &Rejection,
) -> Vec<FollowUp> {
    let answer = match command {
        MemberCommand::ReceiveTransfer(t) => FollowUp {
            member_id: t.from_member.clone(),
            command: settle(&t.transfer_id, Some(&rejection.to_string())),
        },
        MemberCommand::JoinGroup { group_id, terms } => FollowUp {
            member_id: group_id.clone(),
            command: MemberCommand::RemoveGroupMember {
                transaction_id: refusal_id(&terms.transaction_id),
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
        MemberCommand::JoinGroup { group_id, terms } => FollowUp {
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
        command: MemberCommand::ReceiveTransfer(IncomingTransfer {
            transfer_id: id.clone(),
            from_member: account.id.clone(),
            occurred_at: t.occurred_at,
            currency: t.currency.clone(),
            lots: t.lots.clone(),
            pool: t.pool,
        }),
    });
    let joins = account
        .roster
        .iter()
        .filter(|(_, e)| !e.confirmed)
        .map(|(member_id, e)| FollowUp {
            member_id: member_id.clone(),
            command: MemberCommand::JoinGroup {
                group_id: account.id.clone(),
                terms: GroupTerms {
                    transaction_id: e.added_by.clone(),
                    member_id: member_id.clone(),
                    occurred_at: e.added_at,
                    contribution_percent: e.contribution_percent,
                    may_redeem: e.may_redeem,
                },
            },
        });
    transfers.chain(joins).collect()
}

fn settle(transfer_id: &str, returned: Option<&str>) -> MemberCommand {
    MemberCommand::SettleTransfer {
        transfer_id: transfer_id.to_string(),
        returned: returned.map(str::to_string),
    }
}
