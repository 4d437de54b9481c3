//! Validation of external identifiers (programs, members, partners, codes).
//!
//! Ids become parts of storage keys and URLs, so they are limited to a safe
//! alphabet; transaction ids come from source systems and are freer.

const MAX_ID: usize = 128;

/// Program, member and partner ids: 1-128 of `A-Z a-z 0-9 . _ - : @`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:@".contains(&b))
}

/// Transaction ids: 1-128 printable characters, no control characters.
pub fn valid_transaction_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID && !s.chars().any(char::is_control)
}

/// Ids the ledger derives from a transaction id (a pool contribution
/// `<tx>:pool:<CODE>`, a refused join `<tx>:refused`): up to twice as long.
pub fn valid_derived_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 2 * MAX_ID + 1 && !s.chars().any(char::is_control)
}

/// Voucher ids: `<transaction id>:<voucher definition id>`.
pub fn valid_voucher_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 2 * MAX_ID + 1 && !s.chars().any(char::is_control)
}

/// Currency codes: 1-16 of `A-Z 0-9 _`.
pub fn valid_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Free text (channel, category, reason): at most 256 characters, no control characters.
pub fn valid_text(s: &str) -> bool {
    s.len() <= 256 && !s.chars().any(char::is_control)
}
