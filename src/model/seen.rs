//! What was already sent, in bounded memory. A gate or a venue that kept every client order id
//! and every ordered signal grew by ~230 B an order forever; these keep the newest `cap`
//! exactly and fold the older ones into a summary that still refuses every repeat.
//!
//! - Client order ids are minted `<prefix>-<n>` with `n` rising (the journal's counter, or the
//!   session's): an evicted id only raises its prefix's floor, and any id at or below the floor
//!   is a repeat. An id minted long ago and never sent would be refused as well: the safe side,
//!   and it cannot happen (an id is minted just before it is checked). Ids of another shape are
//!   never evicted.
//! - Signal ids are numbered too, but a signal may wait unordered for long (a standing exit), so
//!   there is no floor: evicted signals go to a set of ranges, exact, 16 B per run of ordered
//!   signals. Signals with a working order are never evicted (a rejection frees its signal).

use std::collections::{BTreeMap, HashSet, VecDeque};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::ClientOrderId;

/// Entries kept exactly before older ones are folded away.
pub const DEFAULT_CAP: usize = 4096;

/// `<prefix>-<n>` → (prefix, n), `n` written as `u64` writes it (an id such as `p-007` is
/// another id than `p-7`, so it is kept whole, with the unnumbered ones).
/// The digits are read in one pass (checked, so an overflow is no number, as `str::parse`
/// says): checking them and then parsing them walked them twice, three ids an order.
fn numbered(id: &ClientOrderId) -> Option<(&str, u64)> {
    let s = id.as_str();
    let dash = s.bytes().rposition(|b| b == b'-')?;
    let digits = &s.as_bytes()[dash + 1..];
    if digits.is_empty() || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut n = 0u64;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some((&s[..dash], n))
}

/// Ids are looked up as (prefix, n) pairs: one id parsed once, hashed as two integers, and
/// nothing allocated per id (a gate and a venue each checked every order's id as a string,
/// three hashes and two copies an order).
#[derive(Debug)]
pub struct SeenIds {
    /// Every prefix seen, with the highest `n` folded away under it.
    prefixes: Vec<(Box<str>, Option<u64>)>,
    recent: FxHashSet<(u32, u64)>,
    order: VecDeque<(u32, u64)>,
    unnumbered: HashSet<ClientOrderId>,
    cap: usize,
}

impl Default for SeenIds {
    fn default() -> Self {
        SeenIds::with_cap(DEFAULT_CAP)
    }
}

impl SeenIds {
    pub fn with_cap(cap: usize) -> Self {
        SeenIds {
            prefixes: Vec::new(),
            recent: FxHashSet::default(),
            order: VecDeque::new(),
            unnumbered: HashSet::new(),
            cap: cap.max(1),
        }
    }

    /// A session mints under one prefix (a restored one adds its predecessors'): the newest
    /// is searched first.
    fn prefix(&self, p: &str) -> Option<u32> {
        let i = self.prefixes.iter().rposition(|(q, _)| &**q == p)?;
        u32::try_from(i).ok()
    }

    fn numbered_seen(&self, p: u32, n: u64) -> bool {
        self.prefixes[p as usize].1.is_some_and(|f| n <= f) || self.recent.contains(&(p, n))
    }

    pub fn contains(&self, id: &ClientOrderId) -> bool {
        match numbered(id) {
            Some((p, n)) => self.prefix(p).is_some_and(|p| self.numbered_seen(p, n)),
            None => self.unnumbered.contains(id),
        }
    }

    /// Record `id`; false if it was seen before.
    pub fn insert(&mut self, id: &ClientOrderId) -> bool {
        let Some((p, n)) = numbered(id) else {
            return !self.unnumbered.contains(id) && self.unnumbered.insert(id.clone());
        };
        let p = match self.prefix(p) {
            Some(i) if self.numbered_seen(i, n) => return false,
            Some(i) => i,
            None => {
                let Ok(i) = u32::try_from(self.prefixes.len()) else {
                    return !self.unnumbered.contains(id) && self.unnumbered.insert(id.clone());
                };
                self.prefixes.push((p.into(), None));
                i
            }
        };
        self.recent.insert((p, n));
        self.order.push_back((p, n));
        while self.recent.len() > self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            self.recent.remove(&old);
            let floor = &mut self.prefixes[old.0 as usize].1;
            *floor = Some(floor.map_or(old.1, |f| f.max(old.1)));
        }
        true
    }

    /// Ids held exactly (the rest is a floor per prefix).
    pub fn exact_len(&self) -> usize {
        self.recent.len() + self.unnumbered.len()
    }
}

impl FromIterator<ClientOrderId> for SeenIds {
    fn from_iter<I: IntoIterator<Item = ClientOrderId>>(iter: I) -> Self {
        let mut s = SeenIds::default();
        iter.into_iter().for_each(|id| {
            s.insert(&id);
        });
        s
    }
}

/// What a signal's earlier order is known as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ordered {
    Recent(ClientOrderId),
    /// Settled and folded away: the id itself is in the journal.
    Settled,
}

#[derive(Debug)]
pub struct SignalOrders {
    recent: FxHashMap<u64, ClientOrderId>,
    order: VecDeque<u64>,
    /// Folded-away signals that had an order: start → end, inclusive, disjoint, not adjacent.
    settled: BTreeMap<u64, u64>,
    cap: usize,
}

impl Default for SignalOrders {
    fn default() -> Self {
        SignalOrders::with_cap(DEFAULT_CAP)
    }
}

impl SignalOrders {
    pub fn with_cap(cap: usize) -> Self {
        SignalOrders {
            recent: FxHashMap::default(),
            order: VecDeque::new(),
            settled: BTreeMap::new(),
            cap: cap.max(1),
        }
    }

    pub fn get(&self, signal: u64) -> Option<Ordered> {
        if let Some(id) = self.recent.get(&signal) {
            return Some(Ordered::Recent(id.clone()));
        }
        let (_, end) = self.settled.range(..=signal).next_back()?;
        (*end >= signal).then_some(Ordered::Settled)
    }

    /// `signal` now has order `id`. Then fold the oldest settled entries beyond the cap away;
    /// `working` says which orders are still working (those stay, so a rejection can free them).
    pub fn insert(
        &mut self,
        signal: u64,
        id: ClientOrderId,
        working: impl Fn(&ClientOrderId) -> bool,
    ) {
        if self.recent.insert(signal, id).is_none() {
            self.order.push_back(signal);
        }
        let mut looked = 0;
        while self.recent.len() > self.cap && looked < self.order.len() {
            let Some(s) = self.order.pop_front() else {
                break;
            };
            match self.recent.get(&s) {
                None => {}
                Some(id) if working(id) => {
                    self.order.push_back(s);
                    looked += 1;
                }
                Some(_) => {
                    self.recent.remove(&s);
                    self.fold(s);
                }
            }
        }
    }

    /// A rejected order frees its signal (nothing executed): only while it is the signal's order.
    pub fn release(&mut self, signal: u64, id: &ClientOrderId) {
        if self.recent.get(&signal) == Some(id) {
            self.recent.remove(&signal);
            self.order.retain(|s| *s != signal);
        }
    }

    fn fold(&mut self, s: u64) {
        let left = self.settled.range(..=s).next_back().map(|(a, b)| (*a, *b));
        if left.is_some_and(|(_, end)| end >= s) {
            return;
        }
        let mut start = s;
        let mut end = s;
        if let Some((a, b)) = left.filter(|(_, b)| b.checked_add(1) == Some(s)) {
            start = a;
            end = b.max(s);
        }
        if let Some(right_end) = s.checked_add(1).and_then(|r| self.settled.remove(&r)) {
            end = right_end;
        }
        self.settled.insert(start, end);
    }

    /// Signals held exactly, and runs of folded ones.
    pub fn sizes(&self) -> (usize, usize) {
        (self.recent.len(), self.settled.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn id(n: u64) -> ClientOrderId {
        ClientOrderId::new("s1", n)
    }

    /// The two-pass reading `numbered` replaced: canonical digits, then `str::parse`.
    fn numbered_by_parse(id: &ClientOrderId) -> Option<(&str, u64)> {
        let s = id.as_str();
        let dash = s.bytes().rposition(|b| b == b'-')?;
        let digits = &s[dash + 1..];
        let canonical = match digits.as_bytes() {
            [] => false,
            [b'0', _, ..] => false,
            d => d.iter().all(u8::is_ascii_digit),
        };
        Some((&s[..dash], digits.parse().ok().filter(|_| canonical)?))
    }

    #[test]
    fn ids_are_numbered_as_str_parse_numbers_them() {
        let fixed = [
            "",
            "-",
            "a-",
            "a-0",
            "a-00",
            "a-07",
            "a-7",
            "a--7",
            "a-+7",
            "a-7x",
            "a-18446744073709551615",
            "a-18446744073709551616",
            "a-99999999999999999999",
            "da-s1-42",
            "no dash",
            "x-1-",
        ];
        for s in fixed {
            let id = ClientOrderId::from(s);
            assert_eq!(numbered(&id), numbered_by_parse(&id), "{s:?}");
        }
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(27);
        let alphabet = b"0123456789-+a";
        for _ in 0..100_000 {
            let len = rand::Rng::gen_range(&mut rng, 0..24);
            let s: String = (0..len)
                .map(|_| alphabet[rand::Rng::gen_range(&mut rng, 0..alphabet.len())] as char)
                .collect();
            let id = ClientOrderId::from(s);
            assert_eq!(numbered(&id), numbered_by_parse(&id), "{:?}", id.as_str());
        }
        for n in [0, 1, 9, 10, u64::MAX / 10, u64::MAX - 1, u64::MAX] {
            assert_eq!(numbered(&id(n)), Some(("da-s1", n)));
        }
    }

    #[test]
    fn folded_ids_and_signals_are_still_repeats() {
        let mut seen = SeenIds::with_cap(2);
        for n in 1..=5 {
            assert!(seen.insert(&id(n)));
        }
        assert_eq!(seen.exact_len(), 2);
        assert!((1..=5).all(|n| seen.contains(&id(n))));
        assert!(!seen.contains(&id(6)) && !seen.contains(&ClientOrderId::new("s2", 1)));
        // Written another way, a number is another id: kept exactly, never folded.
        let odd = ClientOrderId::from("da-s1-007");
        assert!(!seen.contains(&odd) && seen.insert(&odd) && !seen.insert(&odd));
        assert!(seen.insert(&id(7)) && seen.contains(&odd) && seen.contains(&id(7)));
        let mut sig = SignalOrders::with_cap(2);
        for s in [1, 2, 3, 7, 8, 5] {
            sig.insert(s, id(s), |_| false);
        }
        assert_eq!(sig.sizes(), (2, 2), "{sig:?}");
        assert_eq!(sig.get(1), Some(Ordered::Settled));
        assert_eq!(sig.get(4), None, "a signal never ordered may still be");
        assert_eq!(sig.get(5), Some(Ordered::Recent(id(5))));
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// An order for this signal (or none) under a fresh id.
        Send(Option<u64>),
        /// The k-th order sent so far, again.
        Resend(usize),
        /// The k-th order sent so far is rejected, or settles.
        Reject(usize),
        Settle(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => proptest::option::of(0u64..40).prop_map(Op::Send),
            2 => (0usize..200).prop_map(Op::Resend),
            1 => (0usize..200).prop_map(Op::Reject),
            2 => (0usize..200).prop_map(Op::Settle),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Against a model that keeps everything: with a cap of 3 the bounded sets accept
        /// exactly what the unbounded ones do (never a repeated id, never a second order for a
        /// signal whose order was not rejected), and hold at most the cap plus working orders.
        #[test]
        fn bounded_sets_refuse_every_repeat(ops in proptest::collection::vec(op(), 1..200)) {
            let (mut seen, mut sig) = (SeenIds::with_cap(3), SignalOrders::with_cap(3));
            let mut all_ids: HashSet<ClientOrderId> = HashSet::new();
            let mut model_sig: HashMap<u64, ClientOrderId> = HashMap::new();
            let mut sent: Vec<(ClientOrderId, Option<u64>)> = Vec::new();
            let mut working: HashSet<ClientOrderId> = HashSet::new();
            let mut next = 1;
            for op in ops {
                let (candidate, signal) = match op {
                    Op::Send(s) => { next += 1; (id(next), s) }
                    Op::Resend(k) if !sent.is_empty() => sent[k % sent.len()].clone(),
                    Op::Reject(k) | Op::Settle(k) if !sent.is_empty() => {
                        let (cid, s) = sent[k % sent.len()].clone();
                        if working.remove(&cid) && matches!(op, Op::Reject(_)) {
                            if let Some(s) = s {
                                sig.release(s, &cid);
                                if model_sig.get(&s) == Some(&cid) { model_sig.remove(&s); }
                            }
                        }
                        continue;
                    }
                    _ => continue,
                };
                let model_dup = all_ids.contains(&candidate)
                    || signal.is_some_and(|s| model_sig.contains_key(&s));
                let dup = seen.contains(&candidate)
                    || signal.is_some_and(|s| sig.get(s).is_some());
                prop_assert_eq!(dup, model_dup, "{:?} for {:?}", candidate, signal);
                if !dup {
                    all_ids.insert(candidate.clone());
                    seen.insert(&candidate);
                    working.insert(candidate.clone());
                    if let Some(s) = signal {
                        model_sig.insert(s, candidate.clone());
                        sig.insert(s, candidate.clone(), |i| working.contains(i));
                        // Folding happens on insert: the bound holds right after one.
                        prop_assert!(sig.sizes().0 <= 3 + working.len());
                    }
                    sent.push((candidate, signal));
                }
                prop_assert!(seen.exact_len() <= 3);
            }
        }
    }
}
