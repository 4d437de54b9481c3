//! Groups with a pool. The group account keeps the roster and decides who
//! is in it; each member keeps its own link, for the share of its accruals
//! that goes to the pool. Joining is asked of the member by the ledger
//! (`JoinGroup`) and confirmed back on the roster; only confirmed members
//! may spend from the pool.

use super::context::{Context, Scratch};
use super::transfer::{out, Outgoing};
use crate::command::GroupTerms;
use crate::event::{Event, EventBody, Lot};
use crate::group::{confirmation_id, pool_transfer_id};
use crate::member::{Member, MemberType};
use crate::program::CurrencyKind;
use crate::{Decimal, Rejection, Time};

/// A group account adds a member, or changes its terms.
pub(crate) fn add_member(ctx: &Context, terms: &GroupTerms) -> Result<Vec<Event>, Rejection> {
    require_group(ctx.member)?;
    if terms.member_id == ctx.member.id {
        return Err(Rejection::invalid("a group cannot be its own member"));
    }
    Ok(vec![ctx.event(
        &terms.transaction_id,
        terms.occurred_at,
        EventBody::GroupMemberAdded {
            member_id: terms.member_id.clone(),
            contribution_percent: terms.contribution_percent,
            may_redeem: terms.may_redeem,
        },
    )])
}

pub(crate) fn remove_member(
    ctx: &Context,
    transaction_id: &str,
    member_id: &str,
    occurred_at: Time,
    reason: &str,
) -> Result<Vec<Event>, Rejection> {
    require_group(ctx.member)?;
    if !ctx.member.roster.contains_key(member_id) {
        return Err(Rejection::NotInGroup {
            member: member_id.to_string(),
            group: ctx.member.id.clone(),
        });
    }
    Ok(vec![ctx.event(
        transaction_id,
        occurred_at,
        EventBody::GroupMemberRemoved {
            member_id: member_id.to_string(),
            reason: reason.to_string(),
        },
    )])
}

/// The member's confirmation of the terms added by `joined`: nothing when
/// they were changed since or confirmed already (a repeated answer).
pub(crate) fn confirm(ctx: &Context, joined: &str, member_id: &str) -> Vec<Event> {
    let Some(entry) = ctx
        .member
        .roster
        .get(member_id)
        .filter(|e| e.added_by == joined && !e.confirmed)
    else {
        return Vec::new();
    };
    // At the business time of the addition it answers, like the join.
    vec![ctx.event(
        &confirmation_id(member_id, joined),
        entry.added_at,
        EventBody::GroupMemberConfirmed {
            member_id: member_id.to_string(),
        },
    )]
}

/// A member joins the group that added it (or takes its new terms).
pub(crate) fn join(
    ctx: &Context,
    transaction_id: &str,
    group_id: &str,
    terms: &GroupTerms,
) -> Result<Vec<Event>, Rejection> {
    let member = ctx.member;
    if member.member_type == MemberType::Group {
        return Err(Rejection::invalid("a group cannot join a group"));
    }
    if let Some(other) = member.group.as_ref().filter(|g| g.group_id != group_id) {
        return Err(Rejection::InAnotherGroup {
            member: member.id.clone(),
            group: other.group_id.clone(),
        });
    }
    Ok(vec![ctx.event(
        transaction_id,
        terms.occurred_at,
        EventBody::GroupJoined {
            group_id: group_id.to_string(),
            contribution_percent: terms.contribution_percent,
            may_redeem: terms.may_redeem,
            joined: terms.transaction_id.clone(),
        },
    )])
}

/// The group took the member out: nothing when it had left already.
pub(crate) fn leave(
    ctx: &Context,
    transaction_id: &str,
    group_id: &str,
    occurred_at: Time,
    reason: &str,
) -> Vec<Event> {
    if !in_group(ctx.member, group_id) {
        return Vec::new();
    }
    vec![ctx.event(
        transaction_id,
        occurred_at,
        EventBody::GroupLeft {
            group_id: group_id.to_string(),
            reason: reason.to_string(),
        },
    )]
}

fn in_group(member: &Member, group_id: &str) -> bool {
    member
        .group
        .as_ref()
        .is_some_and(|g| g.group_id == group_id)
}

fn require_group(member: &Member) -> Result<(), Rejection> {
    if member.member_type == MemberType::Group {
        Ok(())
    } else {
        Err(Rejection::invalid(format!(
            "{} is not a group account",
            member.id
        )))
    }
}

/// Who may spend from a group account's pool: a confirmed member allowed
/// to redeem. Other accounts spend their own points only.
pub(crate) fn may_spend(member: &Member, by_member: Option<&str>) -> Result<(), Rejection> {
    match (member.member_type, by_member) {
        (MemberType::Group, None) => Err(Rejection::invalid(
            "a redemption from a group's pool names the member spending (by_member)",
        )),
        (MemberType::Group, Some(by)) => {
            if member.roster.get(by).is_some_and(|e| e.may_spend()) {
                Ok(())
            } else {
                Err(Rejection::PoolNotAllowed {
                    member: by.to_string(),
                    group: member.id.clone(),
                })
            }
        }
        (_, Some(_)) => Err(Rejection::invalid(
            "by_member is only for redemptions from a group account",
        )),
        (_, None) => Ok(()),
    }
}

/// The share of an accrual's new lots that goes to the member's pool: one
/// transfer per redeemable currency, taken from the lot just opened.
pub(super) fn contribute(
    ctx: &Context,
    scratch: &mut Scratch,
    transaction_id: &str,
    at: Time,
    lots: &[Lot],
) -> Vec<Event> {
    let Some(link) = ctx.member.group.as_ref() else {
        return Vec::new();
    };
    let def = &ctx.program.definition;
    let mut events = Vec::new();
    for lot in lots {
        let redeemable = def
            .currency(&lot.currency)
            .is_some_and(|c| c.kind != CurrencyKind::Qualifying);
        let share = def.rounding.round(
            lot.points * link.contribution_percent / Decimal::ONE_HUNDRED,
            def.points_decimals,
        );
        if !redeemable || share <= Decimal::ZERO {
            continue;
        }
        let book = scratch.book(ctx.member, &lot.currency);
        let (lots_debited, _) = book.plan_debit(share, Some(&lot.lot_id));
        book.debit(&lots_debited);
        let transfer_id = pool_transfer_id(transaction_id, &lot.currency);
        events.push(out(
            ctx,
            scratch,
            transaction_id,
            at,
            Outgoing {
                transfer_id: &transfer_id,
                to_member: &link.group_id,
                reason: "pool contribution",
                pool: true,
                lots_debited,
            },
        ));
    }
    events
}
