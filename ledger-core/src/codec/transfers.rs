//! Wire form of the transfer and group events.

use super::{
    balances_from, balances_to, debits_from, debits_to, dec, dec_or_zero, lot_from, lot_to,
    CodecError,
};
use crate::event::EventBody;
use crate::numbers::text;
use loyalty_proto::v1 as pb;
use loyalty_proto::Body;

pub(super) fn to_proto(body: &EventBody) -> Body {
    match body {
        EventBody::PointsTransferredOut {
            transfer_id,
            to_member,
            currency,
            points,
            reason,
            pool,
            lots_debited,
            balances_after,
        } => Body::PointsTransferredOut(pb::PointsTransferredOut {
            transfer_id: transfer_id.clone(),
            to_member: to_member.clone(),
            currency: currency.clone(),
            points: text(*points),
            reason: reason.clone(),
            pool: *pool,
            lots_debited: debits_to(lots_debited),
            balances_after: balances_to(balances_after),
        }),
        EventBody::PointsTransferredIn {
            transfer_id,
            from_member,
            currency,
            points,
            pool,
            arrears_settled,
            lots_opened,
            balances_after,
        } => Body::PointsTransferredIn(pb::PointsTransferredIn {
            transfer_id: transfer_id.clone(),
            from_member: from_member.clone(),
            currency: currency.clone(),
            points: text(*points),
            pool: *pool,
            arrears_settled: text(*arrears_settled),
            lots_opened: lots_opened.iter().map(lot_to).collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::TransferRefused {
            transfer_id,
            from_member,
            reason,
        } => Body::TransferRefused(pb::TransferRefused {
            transfer_id: transfer_id.clone(),
            from_member: from_member.clone(),
            reason: reason.clone(),
        }),
        EventBody::TransferSettled {
            transfer_id,
            to_member,
            currency,
            returned,
            reason,
            arrears_settled,
            lots_restored,
            balances_after,
        } => Body::TransferSettled(pb::TransferSettled {
            transfer_id: transfer_id.clone(),
            to_member: to_member.clone(),
            currency: currency.clone(),
            returned: *returned,
            reason: reason.clone(),
            arrears_settled: text(*arrears_settled),
            lots_restored: lots_restored.iter().map(lot_to).collect(),
            balances_after: balances_to(balances_after),
        }),
        EventBody::GroupMemberAdded {
            member_id,
            contribution_percent,
            may_redeem,
        } => Body::GroupMemberAdded(pb::GroupMemberAdded {
            member_id: member_id.clone(),
            contribution_percent: text(*contribution_percent),
            may_redeem: *may_redeem,
        }),
        EventBody::GroupMemberConfirmed { member_id } => {
            Body::GroupMemberConfirmed(pb::GroupMemberConfirmed {
                member_id: member_id.clone(),
            })
        }
        EventBody::GroupMemberRemoved { member_id, reason } => {
            Body::GroupMemberRemoved(pb::GroupMemberRemoved {
                member_id: member_id.clone(),
                reason: reason.clone(),
            })
        }
        EventBody::GroupJoined {
            group_id,
            contribution_percent,
            may_redeem,
            joined,
        } => Body::GroupJoined(pb::GroupJoined {
            group_id: group_id.clone(),
            contribution_percent: text(*contribution_percent),
            may_redeem: *may_redeem,
            joined: joined.clone(),
        }),
        EventBody::GroupLeft { group_id, reason } => Body::GroupLeft(pb::GroupLeft {
            group_id: group_id.clone(),
            reason: reason.clone(),
        }),
        EventBody::PoolSpent {
            group_id,
            currency,
            points,
        } => Body::PoolSpent(pb::PoolSpent {
            group_id: group_id.clone(),
            currency: currency.clone(),
            points: text(*points),
        }),
        // The caller routes only the bodies above here.
        other => unreachable!("not a transfer or group event: {}", other.name()),
    }
}

pub(super) fn from_proto(body: &Body) -> Result<EventBody, CodecError> {
    Ok(match body {
        Body::PointsTransferredOut(t) => EventBody::PointsTransferredOut {
            transfer_id: t.transfer_id.clone(),
            to_member: t.to_member.clone(),
            currency: t.currency.clone(),
            points: dec("points", &t.points)?,
            reason: t.reason.clone(),
            pool: t.pool,
            lots_debited: debits_from(&t.lots_debited)?,
            balances_after: balances_from(&t.balances_after)?,
        },
        Body::PointsTransferredIn(t) => EventBody::PointsTransferredIn {
            transfer_id: t.transfer_id.clone(),
            from_member: t.from_member.clone(),
            currency: t.currency.clone(),
            points: dec("points", &t.points)?,
            pool: t.pool,
            arrears_settled: dec("arrears_settled", &t.arrears_settled)?,
            lots_opened: t
                .lots_opened
                .iter()
                .map(lot_from)
                .collect::<Result<_, _>>()?,
            balances_after: balances_from(&t.balances_after)?,
        },
        Body::TransferRefused(t) => EventBody::TransferRefused {
            transfer_id: t.transfer_id.clone(),
            from_member: t.from_member.clone(),
            reason: t.reason.clone(),
        },
        Body::TransferSettled(t) => EventBody::TransferSettled {
            transfer_id: t.transfer_id.clone(),
            to_member: t.to_member.clone(),
            currency: t.currency.clone(),
            returned: t.returned,
            reason: t.reason.clone(),
            arrears_settled: dec_or_zero("arrears_settled", &t.arrears_settled)?,
            lots_restored: t
                .lots_restored
                .iter()
                .map(lot_from)
                .collect::<Result<_, _>>()?,
            balances_after: balances_from(&t.balances_after)?,
        },
        Body::GroupMemberAdded(g) => EventBody::GroupMemberAdded {
            member_id: g.member_id.clone(),
            contribution_percent: dec("contribution_percent", &g.contribution_percent)?,
            may_redeem: g.may_redeem,
        },
        Body::GroupMemberConfirmed(g) => EventBody::GroupMemberConfirmed {
            member_id: g.member_id.clone(),
        },
        Body::GroupMemberRemoved(g) => EventBody::GroupMemberRemoved {
            member_id: g.member_id.clone(),
            reason: g.reason.clone(),
        },
        Body::GroupJoined(g) => EventBody::GroupJoined {
            group_id: g.group_id.clone(),
            contribution_percent: dec("contribution_percent", &g.contribution_percent)?,
            may_redeem: g.may_redeem,
            joined: g.joined.clone(),
        },
        Body::GroupLeft(g) => EventBody::GroupLeft {
            group_id: g.group_id.clone(),
            reason: g.reason.clone(),
        },
        Body::PoolSpent(p) => EventBody::PoolSpent {
            group_id: p.group_id.clone(),
            currency: p.currency.clone(),
            points: dec("points", &p.points)?,
        },
        _ => return Err(CodecError::MissingBody),
    })
}
