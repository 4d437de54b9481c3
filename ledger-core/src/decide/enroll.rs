//! Enrolling a member: starts in the lowest tier.

use crate::event::{Event, EventBody};
use crate::member::MemberType;
use crate::program::Program;
use crate::Time;

pub(crate) fn enroll(
    program: &Program,
    member_type: MemberType,
    enrolled_at: Time,
    channel: &Option<String>,
    fingerprint: &str,
    member_id: &str,
) -> Vec<Event> {
    vec![Event {
        transaction_id: format!("enroll:{member_id}"),
        occurred_at: enrolled_at,
        program_version: program.version,
        fingerprint: fingerprint.to_string(),
        body: EventBody::MemberEnrolled {
            member_type,
            enrolled_at,
            channel: channel.clone().unwrap_or_default(),
            tier: program.definition.lowest_tier().map(str::to_string),
            benefits: program
                .definition
                .tier_benefits(program.definition.lowest_tier()),
        },
    }]
}
