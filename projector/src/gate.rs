//! Which records take effect: each account's sequence gate
//! (`ledger_core::sequence`), with unfinished groups kept in the store so a
//! group split across batches (or a restart) still applies whole.

use crate::fold::PROGRAM_ACCOUNT;
use crate::overlay::Overlay;
use crate::store::StoreError;
use crate::views::HeldRecord;
use event_log::StoredRecord;
use ledger_core::codec::stamp_of;
use ledger_core::sequence::{admit, Admission};
use loyalty_proto::EventEnvelope;

/// Offers a record to its account's gate; returns the records whose group
/// took effect with it (none, or a whole group in sequence order).
pub fn admit_record(
    ov: &mut Overlay,
    env: &EventEnvelope,
    record: &StoredRecord,
) -> Result<Vec<HeldRecord>, StoreError> {
    let (program, account) = (env.program_id.as_str(), env.account_id.as_str());
    let applied = if account == PROGRAM_ACCOUNT {
        ov.program(program)?.as_ref().map_or(0, |p| p.sequence)
    } else {
        ov.member(program, account)?
            .as_ref()
            .map_or(0, |m| m.sequence)
    };
    let stamp = stamp_of(env);
    let held = HeldRecord {
        partition: record.partition,
        offset: record.offset,
        payload: record.payload.clone(),
    };
    if stamp.whole_at_next(applied) {
        return Ok(vec![held]);
    }
    match admit(applied, ov.open_group(program, account)?, stamp, held) {
        Admission::Apply(records) => Ok(records),
        Admission::Held => Ok(Vec::new()),
        Admission::Skipped => {
            tracing::warn!(
                partition = record.partition,
                offset = record.offset,
                program,
                account,
                sequence = env.sequence,
                writer = %env.writer_id,
                "skipping a repeated, stale or superseded event"
            );
            Ok(Vec::new())
        }
    }
}
