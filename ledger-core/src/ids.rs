//! Validation of external identifiers (programs, members, partners, codes).
//!
//! Ids become parts of storage keys and URLs, so they are limited to a safe
//! alphabet; transaction ids come from source systems and are freer.

const MAX_ID: usize = 128;

/// The account a program's own events are written to (`<program>/program`):
/// no member may take it, or its events would be folded as the program's.
pub const PROGRAM_ACCOUNT: &str = "program";

/// What [`valid_member_id`] accepts, for rejection messages.
pub const MEMBER_ID_RULE: &str =
    "1-128 of A-Z a-z 0-9 . _ - : @, and not \"program\", \".\" or \"..\"";

/// Program, member and partner ids: 1-128 of `A-Z a-z 0-9 . _ - : @`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:@".contains(&b))
}

/// Member (and group) account ids: a [`valid_id`] that is neither the
/// program's own account nor a dot segment, which HTTP clients resolve
/// away (`/members/../ledger` becomes `/ledger`), so such a member could
/// never be addressed.
pub fn valid_member_id(s: &str) -> bool {
    valid_id(s) && !matches!(s, PROGRAM_ACCOUNT | "." | "..")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ids_cannot_take_the_program_account_or_a_dot_segment() {
        for ok in [
            "ada",
            "m-1",
            "a.b",
            "...",
            "program-2",
            "Program",
            "x@y:z_1",
        ] {
            assert!(valid_member_id(ok), "{ok}");
        }
        for bad in [
            PROGRAM_ACCOUNT,
            ".",
            "..",
            "",
            "a b",
            "a/b",
            &"x".repeat(129),
        ] {
            assert!(!valid_member_id(bad), "{bad:?}");
        }
        // Other ids keep the plain alphabet rule.
        assert!(valid_id(PROGRAM_ACCOUNT) && valid_id(".."));
    }
}
