//! The client order id: a short text kept inline, so an order's id is copied, not allocated.
//!
//! An id travels with its order through the gate, the venue, the store and every notice and fill:
//! as a `String` each of those copies was a heap allocation and a free, about half of the
//! allocations of a signal's path. The ids this program mints (`da-<session>-<n>`) fit in a
//! `CompactString`'s 24 inline bytes; a longer one (a venue's, read back from an account) lives on
//! the heap. It compares, hashes, orders, prints and serialises as its text, exactly as the
//! `String` did: hash maps keyed by ids iterate in the same order, and JSON is unchanged.

use std::fmt;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// Created, and journaled, before an order is sent: the key that makes a retry idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(CompactString);

impl ClientOrderId {
    /// `da-<session>-<seq>`: unique per session, short, safe in URLs (Alpaca allows 128 chars).
    pub fn new(session: &str, seq: u64) -> Self {
        IdPrefix::new(session).mint(seq)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `da-<session>-` every id of a session starts with, written once: minting is then a copy
/// of it and the number's digits written after it (building the id from its three pieces was
/// ≈ 280 instructions of every order, a `str` check of the joined bytes ≈ 90 more).
#[derive(Debug, Clone)]
pub struct IdPrefix(CompactString);

impl IdPrefix {
    pub fn new(session: &str) -> Self {
        let mut p = CompactString::with_capacity(session.len() + 4);
        for piece in ["da-", session, "-"] {
            p.push_str(piece);
        }
        IdPrefix(p)
    }

    /// The id numbered `seq`, the number written by `itoa` (the formatter's machinery was two
    /// thirds of minting an id).
    pub fn mint(&self, seq: u64) -> ClientOrderId {
        let mut id = self.0.clone();
        id.push_str(itoa::Buffer::new().format(seq));
        ClientOrderId(id)
    }
}

impl From<&str> for ClientOrderId {
    fn from(s: &str) -> Self {
        ClientOrderId(s.into())
    }
}

impl From<String> for ClientOrderId {
    fn from(s: String) -> Self {
        ClientOrderId(s.into())
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    /// `CompactString`'s inline capacity on 64-bit targets: texts on both sides of it are tried.
    const INLINE: usize = 24;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    /// Every way an id is used gives what the `String` it replaced gave, inline or not.
    #[test]
    fn an_id_behaves_as_its_text() {
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(6);
        let alphabet = "da-bt0123456789é_";
        let chars: Vec<char> = alphabet.chars().collect();
        let texts: Vec<String> = (0..2_000)
            .map(|_| {
                let len = rand::Rng::gen_range(&mut rng, 0..(INLINE + 12));
                (0..len)
                    .map(|_| chars[rand::Rng::gen_range(&mut rng, 0..chars.len())])
                    .collect()
            })
            .collect();
        for (a, b) in texts.iter().zip(texts.iter().skip(1)) {
            let (ia, ib) = (
                ClientOrderId::from(a.as_str()),
                ClientOrderId::from(b.clone()),
            );
            assert_eq!(ia.as_str(), a);
            assert_eq!(ia.to_string(), *a);
            assert_eq!(format!("{ia:?}"), format!("ClientOrderId({a:?})"));
            assert_eq!(ia.cmp(&ib), a.cmp(b), "{a:?} {b:?}");
            assert_eq!(ia == ib, a == b);
            assert_eq!(hash_of(&ia), hash_of(a));
            assert_eq!(
                serde_json::to_string(&ia).unwrap(),
                serde_json::to_string(a).unwrap()
            );
            let back: ClientOrderId =
                serde_json::from_str(&serde_json::to_string(a).unwrap()).unwrap();
            assert_eq!(back, ia);
            assert_eq!(ia.clone(), ia);
        }
    }

    #[test]
    fn minted_ids_read_as_formatted() {
        for session in [
            "bt",
            "s",
            "",
            "20261206-041355",
            "a-session-name-far-too-long-to-fit",
            // 24 bytes with a one-digit number: the most kept inline.
            "nineteen-bytes-long",
        ] {
            for seq in [0, 1, 42, 1_000_000, u64::MAX] {
                let id = ClientOrderId::new(session, seq);
                assert_eq!(id.as_str(), format!("da-{session}-{seq}"));
                assert_eq!(id, ClientOrderId::from(format!("da-{session}-{seq}")));
                assert_eq!(IdPrefix::new(session).mint(seq), id);
            }
        }
    }
}
