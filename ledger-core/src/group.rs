//! Member groups with a shared pool: the group account keeps the roster
//! (who may spend from the pool); each member keeps its link to the group
//! (what share of its accruals goes to the pool). The two are kept in step
//! by the ledger: the group's `GroupMemberAdded` asks the member to join,
//! the member's `GroupJoined` confirms it on the roster.

use crate::{Decimal, Time};
use serde::Serialize;

/// A member's place on a group's roster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RosterEntry {
    pub contribution_percent: Decimal,
    pub may_redeem: bool,
    /// The transaction that added the member (or last changed its terms).
    pub added_by: String,
    pub added_at: Time,
    /// The member has joined on these terms.
    pub confirmed: bool,
}

impl RosterEntry {
    /// Whether the member may spend from the pool now.
    pub fn may_spend(&self) -> bool {
        self.confirmed && self.may_redeem
    }
}

/// A member's link to its group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupLink {
    pub group_id: String,
    pub contribution_percent: Decimal,
    pub may_redeem: bool,
}

// The ledger's own transaction ids start with `group:` or `transfer:`,
// which client ids may not (see `decide::validate`), and name the other
// account (member ids hold no '/'), so they never collide with a client's
// or another account's.

/// The transfer id of an accrual's contribution to the pool in `currency`.
pub fn pool_transfer_id(transaction_id: &str, currency: &str) -> String {
    format!("transfer:pool/{currency}/{transaction_id}")
}

/// The id a group's transaction `transaction_id` has on a member's account
/// (joining, leaving, spending from the pool).
pub fn on_member_id(group_id: &str, transaction_id: &str) -> String {
    format!("group:{group_id}/{transaction_id}")
}

/// The transaction a refused join removes the member with, on the group.
pub fn refusal_id(member_id: &str, joined: &str) -> String {
    format!("group:{member_id}/refused/{joined}")
}

/// The transaction of a member's confirmation, on the group.
pub fn confirmation_id(member_id: &str, joined: &str) -> String {
    format!("group:{member_id}/joined/{joined}")
}
