//! Tamper evidence: each account's events form a hash chain. An event's
//! envelope carries `prev_hash`, the digest of the account's previous event
//! as stored (its protobuf payload, which carries that event's own
//! `prev_hash`), so altering, removing or reordering an event breaks a link
//! at or after it. The chain follows the events that take effect (the
//! sequence gate's rule): repeats and superseded groups are not links.
//! Events written before chains existed carry no `prev_hash`: an account's
//! leading run of those is accepted unchained (and counted), but once an
//! account's chain has begun an empty link is a break.

use crate::sequence::{admit, Admission, OpenGroup, Stamp};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// The digest of a stored event: lowercase hex SHA-256 of its payload.
pub fn digest(payload: &[u8]) -> String {
    let hash = Sha256::digest(payload);
    let mut hex = String::with_capacity(64);
    for b in hash {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Where a chain breaks, at log position `P`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break<P> {
    /// The event does not link to the account's previous event: that one
    /// (or one before it) was altered, or this one was.
    Unlinked {
        account: String,
        sequence: u64,
        position: P,
    },
    /// The event comes before its predecessors: they were removed, or the
    /// events were reordered.
    Missing {
        account: String,
        expected: u64,
        found: u64,
        position: P,
    },
}

impl<P: fmt::Display> fmt::Display for Break<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Unlinked {
                account,
                sequence,
                position,
            } => write!(
                f,
                "account {account}: event {sequence} at position {position} does not link to event {} (an event was altered)",
                sequence.saturating_sub(1)
            ),
            Break::Missing {
                account,
                expected,
                found,
                position,
            } => write!(
                f,
                "account {account}: event {found} at position {position} where event {expected} was due (events were removed or reordered)"
            ),
        }
    }
}

/// One event offered to the check.
#[derive(Clone, Debug)]
struct Link<P> {
    sequence: u64,
    prev_hash: String,
    hash: String,
    position: P,
}

#[derive(Debug)]
struct AccountChain<P> {
    applied: u64,
    head: String,
    /// Whether a link has carried a `prev_hash` yet.
    chained: bool,
    open: Option<OpenGroup<Link<P>>>,
}

/// Follows every account's chain through a log read in order.
#[derive(Debug)]
pub struct ChainCheck<P> {
    accounts: HashMap<String, AccountChain<P>>,
    /// Events that took effect and linked.
    pub linked: u64,
    /// Repeats and superseded events (not links; harmless).
    pub skipped: u64,
    /// Events from before chains existed (an account's leading run).
    pub unchained: u64,
}

impl<P> Default for ChainCheck<P> {
    fn default() -> Self {
        ChainCheck {
            accounts: HashMap::new(),
            linked: 0,
            skipped: 0,
            unchained: 0,
        }
    }
}

impl<P: Clone> ChainCheck<P> {
    /// Offers the next event of `account` (its log key) in log order:
    /// its stamp, the `prev_hash` it carries and the digest of its payload.
    pub fn offer(
        &mut self,
        account: &str,
        stamp: Stamp<'_>,
        prev_hash: &str,
        hash: String,
        position: P,
    ) -> Result<(), Break<P>> {
        let chain = self
            .accounts
            .entry(account.to_string())
            .or_insert_with(|| AccountChain {
                applied: 0,
                head: String::new(),
                chained: false,
                open: None,
            });
        let link = Link {
            sequence: stamp.sequence,
            prev_hash: prev_hash.to_string(),
            hash,
            position: position.clone(),
        };
        let links = match admit(chain.applied, &mut chain.open, stamp, link) {
            Admission::Apply(links) => links,
            Admission::Held => return Ok(()),
            Admission::Skipped => {
                let (first, _) = stamp.group();
                if first > chain.applied + 1 {
                    return Err(Break::Missing {
                        account: account.to_string(),
                        expected: chain.applied + 1,
                        found: stamp.sequence,
                        position,
                    });
                }
                self.skipped += 1;
                return Ok(());
            }
        };
        for link in links {
            let legacy = link.prev_hash.is_empty() && !chain.chained && link.sequence > 1;
            if !legacy && link.prev_hash != chain.head {
                return Err(Break::Unlinked {
                    account: account.to_string(),
                    sequence: link.sequence,
                    position: link.position,
                });
            }
            chain.chained |= !link.prev_hash.is_empty();
            if legacy {
                self.unchained += 1;
            } else {
                self.linked += 1;
            }
            chain.head = link.hash;
            chain.applied = link.sequence;
        }
        Ok(())
    }

    /// Accounts followed.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events of one account, each a group of one, chained.
    fn chained(n: u64) -> Vec<(u64, String, String)> {
        let mut prev = String::new();
        (1..=n)
            .map(|seq| {
                let payload = format!("event {seq} after {prev}");
                let hash = digest(payload.as_bytes());
                let link = (seq, prev.clone(), hash.clone());
                prev = hash;
                link
            })
            .collect()
    }

    fn stamp(sequence: u64) -> Stamp<'static> {
        Stamp {
            sequence,
            group_first: 0,
            group_last: 0,
            writer: "w",
        }
    }

    fn check(events: &[(u64, String, String)]) -> Result<ChainCheck<usize>, Break<usize>> {
        let mut c = ChainCheck::default();
        for (pos, (seq, prev, hash)) in events.iter().enumerate() {
            c.offer("fx/ada", stamp(*seq), prev, hash.clone(), pos)?;
        }
        Ok(c)
    }

    #[test]
    fn a_whole_chain_links_and_repeats_are_skipped() {
        let mut events = chained(5);
        events.insert(3, events[2].clone());
        let c = check(&events).unwrap();
        assert_eq!((c.linked, c.skipped, c.accounts()), (5, 1, 1));
    }

    #[test]
    fn an_altered_event_breaks_the_next_link() {
        let mut events = chained(5);
        events[2].2 = digest(b"event 3, altered");
        assert_eq!(
            check(&events).unwrap_err(),
            Break::Unlinked {
                account: "fx/ada".into(),
                sequence: 4,
                position: 3
            }
        );
    }

    #[test]
    fn a_removed_or_moved_event_is_missing() {
        let mut removed = chained(5);
        removed.remove(1);
        assert_eq!(
            check(&removed).unwrap_err(),
            Break::Missing {
                account: "fx/ada".into(),
                expected: 2,
                found: 3,
                position: 1
            }
        );
        let mut swapped = chained(5);
        swapped.swap(2, 3);
        let err = check(&swapped).unwrap_err();
        assert_eq!(
            err.to_string(),
            "account fx/ada: event 4 at position 2 where event 3 was due (events were removed or reordered)"
        );
    }

    #[test]
    fn events_from_before_chains_lead_unchained_and_then_the_chain_holds() {
        let mut events = chained(5);
        events[1].1.clear();
        events[2].1.clear();
        // Event 4 links to event 3 as stored.
        let c = check(&events).unwrap();
        assert_eq!((c.linked, c.unchained), (3, 2));
        // Once chained, an empty link is a break.
        let mut blanked = chained(5);
        blanked[3].1.clear();
        assert_eq!(
            check(&blanked).unwrap_err(),
            Break::Unlinked {
                account: "fx/ada".into(),
                sequence: 4,
                position: 3
            }
        );
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
