//! Defining a program or a new version of it.

use crate::event::{Event, EventBody};
use crate::ids::valid_id;
use crate::program::{ProgramDefinition, ProgramState};
use crate::{Rejection, Time};

/// A validated definition becomes the next version; an unchanged one writes nothing.
pub fn decide_program(
    state: &ProgramState,
    program_id: &str,
    definition: ProgramDefinition,
    now: Time,
) -> Result<Vec<Event>, Rejection> {
    if !valid_id(program_id) {
        return Err(Rejection::invalid(
            "program id must be 1-128 of A-Z a-z 0-9 . _ - : @",
        ));
    }
    definition.validate().map_err(Rejection::InvalidRequest)?;
    if state
        .current()
        .is_some_and(|current| current.definition == definition)
    {
        return Ok(Vec::new());
    }
    let version = state.current().map_or(1, |p| p.version + 1);
    Ok(vec![Event {
        transaction_id: format!("program-v{version}"),
        occurred_at: now,
        program_version: version,
        fingerprint: String::new(),
        body: EventBody::ProgramDefined {
            version,
            definition,
        },
    }])
}
