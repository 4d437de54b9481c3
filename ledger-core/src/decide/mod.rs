//! `decide`: a command against the current state becomes events or a rejection.
//! Each command kind lives in its own module; this one routes and checks what
//! they share (existence, idempotency, member status).

mod accrue;
mod adjust;
mod badges;
mod cancel;
mod context;
mod earn;
mod enroll;
mod expire;
mod groups;
mod program;
mod redeem;
mod release;
mod status;
mod tier;
mod transfer;
mod validate;
mod vouchers;

pub use earn::{earnings, Earnings};
pub use program::{decide_program, decide_program_edit, ProgramEdit};
pub use transfer::NOT_IN_GROUP;

use crate::command::MemberCommand;
use crate::event::EventBody;
use crate::fingerprint::fingerprint;
use crate::member::{Member, MemberStatus, MemberType};
use crate::program::Program;
use crate::{Event, Rejection, Time};
use context::Context;

/// The outcome of an accepted command.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// New events to append, in order (possibly none, e.g. nothing to expire).
    Events(Vec<Event>),
    /// The same transaction with the same body was already applied: nothing to write.
    Duplicate,
}

/// Decides a member command. `member` is `None` when the account does not exist yet.
pub fn decide(
    member: Option<&Member>,
    program: &Program,
    member_id: &str,
    command: &MemberCommand,
    now: Time,
) -> Result<Decision, Rejection> {
    validate::command(program, command)?;
    let fingerprint = fingerprint(command);
    let Some(member) = member else {
        if !crate::ids::valid_member_id(member_id) {
            return Err(Rejection::invalid(format!(
                "member id must be {}",
                crate::ids::MEMBER_ID_RULE
            )));
        }
        return match command {
            MemberCommand::Enroll {
                member_type,
                enrolled_at,
                channel,
            } => Ok(Decision::Events(enroll::enroll(
                program,
                *member_type,
                *enrolled_at,
                channel,
                &fingerprint,
                member_id,
            ))),
            _ => Err(Rejection::MemberNotFound(member_id.to_string())),
        };
    };
    if let Some(tx) = command.transaction_id() {
        if let Some(journal) = member.journals.get(tx) {
            // The ledger's own ids name the follow-up exactly: a repeat is
            // the same follow-up, even where its form changed on the wire.
            return if journal.fingerprint == fingerprint || command.is_follow_up() {
                Ok(Decision::Duplicate)
            } else {
                Err(Rejection::TransactionConflict(tx.to_string()))
            };
        }
    }
    let ctx = Context::new(program, member, fingerprint, now);
    let events = match command {
        MemberCommand::Enroll { .. } => return Err(Rejection::MemberExists(member.id.clone())),
        MemberCommand::Accrue(accrual) => {
            require_active(member, "accruals are")?;
            if member.member_type == MemberType::Group {
                return Err(Rejection::invalid(
                    "a group account earns through its members' contributions",
                ));
            }
            accrue::accrue(&ctx, accrual)
        }
        MemberCommand::Redeem {
            transaction_id,
            occurred_at,
            currency,
            points,
            partner_id,
            by_member,
        } => {
            require_active(member, "redemptions are")?;
            groups::may_spend(member, by_member.as_deref())?;
            redeem::redeem(
                &ctx,
                redeem::Redemption {
                    transaction_id,
                    occurred_at: *occurred_at,
                    currency,
                    points: *points,
                    partner_id: partner_id.as_deref(),
                    by_member: by_member.as_deref(),
                },
            )?
        }
        MemberCommand::Transfer(t) => {
            require_active(member, "transfers are")?;
            require_not_group(
                member,
                "a group's pool is spent by its members' redemptions",
            )?;
            transfer::send(&ctx, t)?
        }
        MemberCommand::ReceiveTransfer(t) => transfer::receive(&ctx, t),
        MemberCommand::SettleTransfer {
            transfer_id,
            returned,
        } => transfer::settle(&ctx, transfer_id, returned.as_deref()),
        MemberCommand::AddGroupMember(terms) => {
            require_active(member, "group changes are")?;
            groups::add_member(&ctx, terms)?
        }
        MemberCommand::RemoveGroupMember {
            transaction_id,
            member_id,
            occurred_at,
            reason,
        } => groups::remove_member(&ctx, transaction_id, member_id, *occurred_at, reason)?,
        MemberCommand::ConfirmGroupMember { joined, member_id } => {
            groups::confirm(&ctx, joined, member_id)
        }
        MemberCommand::JoinGroup {
            transaction_id,
            group_id,
            terms,
        } => {
            require_active(member, "joining a group is")?;
            groups::join(&ctx, transaction_id, group_id, terms)?
        }
        MemberCommand::NotePoolSpending {
            transaction_id,
            group_id,
            occurred_at,
            currency,
            points,
        } => vec![ctx.event(
            transaction_id,
            *occurred_at,
            EventBody::PoolSpent {
                group_id: group_id.clone(),
                currency: currency.clone(),
                points: *points,
            },
        )],
        MemberCommand::LeaveGroup {
            transaction_id,
            group_id,
            occurred_at,
            reason,
        } => groups::leave(&ctx, transaction_id, group_id, *occurred_at, reason),
        MemberCommand::Cancel {
            transaction_id,
            cancels,
            occurred_at,
            reason,
        } => {
            require_enrolled(member, "cancellations are")?;
            cancel::cancel(&ctx, transaction_id, cancels, *occurred_at, reason)?
        }
        MemberCommand::ChangeTier {
            transaction_id,
            tier,
            reason,
        } => {
            require_enrolled(member, "tier changes are")?;
            tier::change(&ctx, transaction_id, tier, reason)
        }
        MemberCommand::ChangeStatus {
            transaction_id,
            status,
            occurred_at,
            reason,
        } => status::change(&ctx, transaction_id, *status, *occurred_at, reason)?,
        MemberCommand::Adjust(adjustment) => {
            require_enrolled(member, "adjustments are")?;
            adjust::adjust(&ctx, adjustment)?
        }
        MemberCommand::AwardBadge {
            transaction_id,
            badge,
            occurred_at,
            reason,
        } => {
            require_enrolled(member, "badge awards are")?;
            badges::award(&ctx, transaction_id, badge, *occurred_at, reason)?
        }
        MemberCommand::IssueVoucher {
            transaction_id,
            voucher,
            occurred_at,
            reason,
            paid,
        } => {
            if *paid {
                require_active(member, "voucher purchases are")?;
                require_not_group(
                    member,
                    "a group's pool is spent by its members' redemptions",
                )?;
            } else {
                require_enrolled(member, "vouchers are")?;
            }
            vouchers::issue(&ctx, transaction_id, voucher, *occurred_at, reason, *paid)?
        }
        MemberCommand::UseVoucher(u) => {
            require_enrolled(member, "vouchers are")?;
            vouchers::act(&ctx, u)?
        }
        // Runs pass over closed accounts: nothing is left to expire or assess.
        MemberCommand::Expire { .. }
        | MemberCommand::AssessTier { .. }
        | MemberCommand::Release { .. }
            if member.status == MemberStatus::Unenrolled =>
        {
            Vec::new()
        }
        MemberCommand::Expire { as_of } => {
            let mut events = expire::expire(&ctx, *as_of);
            events.extend(vouchers::expire(&ctx, *as_of));
            events
        }
        MemberCommand::AssessTier { as_of } => tier::assess(&ctx, *as_of),
        MemberCommand::Release { as_of } => release::release(&ctx, *as_of),
    };
    let badges = badges::milestones(&ctx, &events);
    let vouchers = vouchers::on_upgrade(&ctx, &events);
    Ok(Decision::Events(
        events.into_iter().chain(badges).chain(vouchers).collect(),
    ))
}

/// Accruals and redemptions need an active member.
fn require_active(member: &Member, what: &'static str) -> Result<(), Rejection> {
    match member.status {
        MemberStatus::Active => Ok(()),
        status => Err(Rejection::MemberInactive {
            member: member.id.clone(),
            status,
            what,
        }),
    }
}

/// What only a member's own account may do.
fn require_not_group(member: &Member, why: &str) -> Result<(), Rejection> {
    if member.member_type == MemberType::Group {
        return Err(Rejection::invalid(why));
    }
    Ok(())
}

/// An unenrolled account is closed to everything but reads.
fn require_enrolled(member: &Member, what: &'static str) -> Result<(), Rejection> {
    match member.status {
        MemberStatus::Unenrolled => Err(Rejection::MemberInactive {
            member: member.id.clone(),
            status: MemberStatus::Unenrolled,
            what,
        }),
        _ => Ok(()),
    }
}
