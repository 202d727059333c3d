//! The client order id: a short text kept inline, so an order's id is copied, not allocated.
//!
//! An id travels with its order through the gate, the venue, the store and every notice and fill:
//! as a `String` each of those copies was a heap allocation and a free, about half of the
//! allocations of a signal's path. The ids this program mints (`da-<session>-<n>`) fit in
//! `INLINE` bytes; a longer one (a venue's, read back from an account) lives on the heap.
//! Everything an id is compared, hashed, ordered, shown or written as is its text, exactly as
//! the `String` was: hash maps keyed by ids iterate in the same order, and JSON is unchanged.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes kept inline: with the length byte and the enum's tag the id is 32 bytes.
const INLINE: usize = 30;

#[derive(Clone)]
enum Text {
    /// Invariant: `bytes[..len]` is a copy of a `&str`, so it is UTF-8.
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<str>),
}

/// Created, and journaled, before an order is sent: the key that makes a retry idempotent.
#[derive(Clone)]
pub struct ClientOrderId(Text);

impl ClientOrderId {
    /// `da-<session>-<seq>`: unique per session, short, safe in URLs (Alpaca allows 128 chars).
    pub fn new(session: &str, seq: u64) -> Self {
        // Minted for every order: the text pieces copied, the number written by `itoa` (the
        // formatter's machinery was two thirds of minting an id).
        let mut digits = itoa::Buffer::new();
        let n = digits.format(seq);
        let len = 4 + session.len() + n.len();
        if len > INLINE {
            return ClientOrderId::from(["da-", session, "-", n].concat());
        }
        let mut bytes = [0u8; INLINE];
        let mut at = 0;
        for piece in ["da-", session, "-", n] {
            bytes[at..at + piece.len()].copy_from_slice(piece.as_bytes());
            at += piece.len();
        }
        ClientOrderId(Text::Inline {
            len: len as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Text::Inline { len, bytes } => {
                let b = &bytes[..usize::from(*len)];
                // SAFETY: `Inline` is only built from the bytes of `&str`s, whole (see `from`
                // and `new`), so `b` is valid UTF-8; checking it again on every comparison and
                // hash would cost what the inline text saves.
                unsafe { std::str::from_utf8_unchecked(b) }
            }
            Text::Heap(s) => s,
        }
    }
}

impl From<&str> for ClientOrderId {
    fn from(s: &str) -> Self {
        if s.len() > INLINE {
            return ClientOrderId(Text::Heap(s.into()));
        }
        let mut bytes = [0u8; INLINE];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        ClientOrderId(Text::Inline {
            len: s.len() as u8,
            bytes,
        })
    }
}

impl From<String> for ClientOrderId {
    fn from(s: String) -> Self {
        if s.len() > INLINE {
            ClientOrderId(Text::Heap(s.into_boxed_str()))
        } else {
            ClientOrderId::from(s.as_str())
        }
    }
}

impl PartialEq for ClientOrderId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ClientOrderId {}

impl PartialOrd for ClientOrderId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClientOrderId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// As a `String` hashes: a map keyed by ids holds and iterates them as it did.
impl Hash for ClientOrderId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

/// As the derived form over a `String` printed it: `ClientOrderId("da-bt-1")`.
impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientOrderId")
            .field(&self.as_str())
            .finish()
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plain string in JSON, as the `#[serde(transparent)]` `String` was.
impl Serialize for ClientOrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ClientOrderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ClientOrderId::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

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
        ] {
            for seq in [0, 1, 42, 1_000_000, u64::MAX] {
                let id = ClientOrderId::new(session, seq);
                assert_eq!(id.as_str(), format!("da-{session}-{seq}"));
                assert_eq!(id, ClientOrderId::from(format!("da-{session}-{seq}")));
            }
        }
    }
}
