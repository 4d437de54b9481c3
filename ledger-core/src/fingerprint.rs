//! A command's fingerprint: SHA-256 of its canonical JSON, recorded on its
//! events so a retry (same id, same body) is told from a conflict.

use crate::command::MemberCommand;
use sha2::{Digest, Sha256};

pub fn fingerprint(command: &MemberCommand) -> String {
    // Serializing our own types to JSON cannot fail (string keys, no floats).
    let canonical = serde_json::to_vec(command).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
