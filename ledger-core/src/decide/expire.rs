//! Expiring points as of a time, per currency expiry model:
//! `fixed_period` lots expire on their own date; under `activity` the whole
//! balance expires once the activity deadline has passed; `none` never.

use super::context::{Context, Scratch};
use crate::event::{Event, EventBody};
use crate::lots::total;
use crate::program::ExpiryModel;
use crate::{Decimal, Time};

/// The transaction id of an expiry run's events.
pub(crate) fn run_transaction(as_of: Time) -> String {
    format!("expire:{}", crate::time::format(&as_of))
}

pub(crate) fn expire(ctx: &Context, as_of: Time) -> Vec<Event> {
    let mut events = Vec::new();
    for currency in &ctx.program.definition.currencies {
        let Some(held) = ctx.member.book(&currency.code) else {
            continue;
        };
        let (model, lots) = match currency.expiry.model {
            ExpiryModel::None => continue,
            ExpiryModel::FixedPeriod => ("fixed_period", held.due_lots(as_of)),
            ExpiryModel::Activity if held.activity_expires_at.is_some_and(|t| t <= as_of) => {
                ("activity", held.all_lots())
            }
            ExpiryModel::Activity => continue,
        };
        let points = total(&lots);
        if points <= Decimal::ZERO {
            continue;
        }
        let mut scratch = Scratch::default();
        let book = scratch.book(ctx.member, &currency.code);
        book.debit(&lots);
        if model == "activity" {
            book.activity_expires_at = None;
        }
        events.push(ctx.event(
            &run_transaction(as_of),
            as_of,
            EventBody::PointsExpired {
                currency: currency.code.clone(),
                points,
                model: model.to_string(),
                as_of,
                lots_expired: lots,
                balances_after: scratch.balances_after(),
            },
        ));
    }
    events
}
