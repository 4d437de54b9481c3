//! The seal on the ledger's own follow-up commands in Kafka mode. A
//! follow-up (a transfer's receive and settle, a group's join, confirm and
//! refusal) is trusted by the account it lands on: a receive credits points.
//! The commands topic is open to stores and apps, so the courier seals each
//! follow-up it produces (HMAC-SHA256 of the record's payload, in the
//! `loyalty-seal` header) with a key only the command-service instances
//! hold, and the intake decides a follow-up only when its seal verifies.
//! A copied sealed record changes nothing: a follow-up's transaction id is
//! derived from the decision that asked for it, so a repeat is a duplicate.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The Kafka record header that carries the seal.
pub const SEAL_HEADER: &str = "loyalty-seal";

/// Shortest accepted key: 32 bytes, a SHA-256 block's worth of secret
/// (`openssl rand -hex 32` gives 64 characters).
pub const MIN_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealKeyError {
    #[error("a follow-up key must be at least {MIN_KEY_LEN} bytes (got {0}); generate one with `openssl rand -hex 32`")]
    TooShort(usize),
}

/// The keys follow-ups are sealed with (the current one) and accepted
/// under (the current one, and the previous one while a rotation rolls out).
#[derive(Clone)]
pub struct SealKeys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

impl SealKeys {
    pub fn new(current: &str, previous: Option<&str>) -> Result<Self, SealKeyError> {
        let checked = |k: &str| {
            if k.len() < MIN_KEY_LEN {
                Err(SealKeyError::TooShort(k.len()))
            } else {
                Ok(k.as_bytes().to_vec())
            }
        };
        Ok(SealKeys {
            current: checked(current)?,
            previous: previous.map(checked).transpose()?,
        })
    }

    /// The seal of a payload under the current key.
    pub fn seal(&self, payload: &[u8]) -> Vec<u8> {
        mac(&self.current, payload).finalize().into_bytes().to_vec()
    }

    /// Whether `seal` is the payload's seal under the current or the
    /// previous key (compared in constant time).
    pub fn verifies(&self, payload: &[u8], seal: &[u8]) -> bool {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .any(|key| mac(key, payload).verify_slice(seal).is_ok())
    }
}

impl std::fmt::Debug for SealKeys {
    // Never print a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKeys")
            .field("previous", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

fn mac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const OLD: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn a_seal_verifies_only_its_payload_under_its_key() {
        let keys = SealKeys::new(KEY, None).unwrap();
        let seal = keys.seal(b"receive 100");
        assert!(keys.verifies(b"receive 100", &seal));
        assert!(!keys.verifies(b"receive 900", &seal));
        assert!(!keys.verifies(b"receive 100", &seal[..31]));
        assert!(!keys.verifies(b"receive 100", b""));
        let other = SealKeys::new(OLD, None).unwrap();
        assert!(!other.verifies(b"receive 100", &seal));
    }

    #[test]
    fn the_previous_key_is_accepted_during_a_rotation() {
        let old = SealKeys::new(OLD, None).unwrap();
        let rotated = SealKeys::new(KEY, Some(OLD)).unwrap();
        let sealed_before = old.seal(b"join");
        assert!(rotated.verifies(b"join", &sealed_before));
        assert!(!old.verifies(b"join", &rotated.seal(b"join")));
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_printed() {
        assert_eq!(
            SealKeys::new("short", None).unwrap_err(),
            SealKeyError::TooShort(5)
        );
        assert_eq!(
            SealKeys::new(KEY, Some("x")).unwrap_err(),
            SealKeyError::TooShort(1)
        );
        let printed = format!("{:?}", SealKeys::new(KEY, None).unwrap());
        assert!(!printed.contains(KEY), "{printed}");
    }
}
