//! Defining a program or a new version of it.

use crate::event::{Event, EventBody};
use crate::ids::valid_id;
use crate::program::{ProgramDefinition, ProgramState};
use crate::promotion::Promotion;
use crate::{Rejection, Time};

/// A change to a program: a whole new definition, or one promotion put or
/// withdrawn (the rest of the latest version kept).
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramEdit {
    Define(ProgramDefinition),
    PutPromotion(Promotion),
    WithdrawPromotion(String),
}

/// Decides an edit: the definition it leads to, as the next version.
pub fn decide_program_edit(
    state: &ProgramState,
    program_id: &str,
    edit: ProgramEdit,
    now: Time,
) -> Result<Vec<Event>, Rejection> {
    let definition = match edit {
        ProgramEdit::Define(definition) => definition,
        ProgramEdit::PutPromotion(promotion) => {
            let mut def = latest(state, program_id)?;
            match def.promotions.iter_mut().find(|p| p.id == promotion.id) {
                Some(held) => *held = promotion,
                None => def.promotions.push(promotion),
            }
            def
        }
        ProgramEdit::WithdrawPromotion(id) => {
            let mut def = latest(state, program_id)?;
            let before = def.promotions.len();
            def.promotions.retain(|p| p.id != id);
            if def.promotions.len() == before {
                return Err(Rejection::PromotionNotFound(id));
            }
            def
        }
    };
    decide_program(state, program_id, definition, now)
}

/// The latest definition, to edit into a version that takes effect when
/// defined (not from an earlier version's `effective_from`).
fn latest(state: &ProgramState, program_id: &str) -> Result<ProgramDefinition, Rejection> {
    let mut def = state
        .current()
        .map(|p| p.definition.clone())
        .ok_or_else(|| Rejection::ProgramNotFound(program_id.to_string()))?;
    def.effective_from = None;
    Ok(def)
}

/// A validated definition becomes the next version; an unchanged one writes nothing.
pub fn decide_program(
    state: &ProgramState,
    program_id: &str,
    mut definition: ProgramDefinition,
    now: Time,
) -> Result<Vec<Event>, Rejection> {
    if !valid_id(program_id) {
        return Err(Rejection::invalid(
            "program id must be 1-128 of A-Z a-z 0-9 . _ - : @",
        ));
    }
    definition.validate().map_err(Rejection::InvalidRequest)?;
    number_promotions(state, &mut definition);
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

/// Gives each promotion its version: the last one it had while unchanged,
/// one more when changed, 1 when new (a client's number is ignored).
fn number_promotions(state: &ProgramState, definition: &mut ProgramDefinition) {
    for promotion in &mut definition.promotions {
        let last = state.versions.iter().rev().find_map(|v| {
            v.definition
                .promotions
                .iter()
                .find(|p| p.id == promotion.id)
        });
        promotion.version = match last {
            Some(p) if promotion.same_offer(p) => p.version,
            Some(p) => p.version + 1,
            None => 1,
        };
    }
}
