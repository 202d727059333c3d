//! The bounded memories against exact ones, and the id reading against `str::parse`.
use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn id(n: u64) -> ClientOrderId {
    ClientOrderId::new("s1", n)
}

/// The newest run answers for signals past it; the tree's search for any other.
#[test]
fn the_run_at_or_before_a_signal_is_the_searched_one() {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(13);
    for _ in 0..2_000 {
        let mut sig = SignalOrders::with_cap(1);
        let mut at = 0u64;
        for _ in 0..rand::Rng::gen_range(&mut rng, 0..6) {
            at += rand::Rng::gen_range(&mut rng, 2..9);
            let end = at + rand::Rng::gen_range(&mut rng, 0..4);
            sig.settled.insert(at, end);
            at = end;
        }
        for s in 0..at + 12 {
            let searched = sig.settled.range(..=s).next_back().map(|(a, b)| (*a, *b));
            assert_eq!(sig.settled_run_from_or_before(s), searched, "{s} {sig:?}");
        }
    }
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

/// What `SeenIds` means, kept plainly: the newest `cap` numbered ids exactly, the older ones
/// folded into a floor per prefix. The sorted memory answers as this does for ids in any order
/// (several prefixes, numbers out of order, repeats), not only the rising ones it is fast for.
#[derive(Default)]
struct PlainSeen {
    recent: VecDeque<(String, u64)>,
    floors: HashMap<String, u64>,
    unnumbered: HashSet<ClientOrderId>,
}

impl PlainSeen {
    fn contains(&self, id: &ClientOrderId) -> bool {
        match numbered(id) {
            Some((p, n)) => {
                self.floors.get(p).is_some_and(|f| n <= *f)
                    || self.recent.iter().any(|(q, m)| q == p && *m == n)
            }
            None => self.unnumbered.contains(id),
        }
    }

    fn insert(&mut self, id: &ClientOrderId, cap: usize) -> bool {
        if self.contains(id) {
            return false;
        }
        let Some((p, n)) = numbered(id) else {
            return self.unnumbered.insert(id.clone());
        };
        self.recent.push_back((p.to_string(), n));
        while self.recent.len() > cap {
            let (q, m) = self.recent.pop_front().unwrap();
            let f = self.floors.entry(q).or_insert(m);
            *f = (*f).max(m);
        }
        true
    }
}

#[test]
fn the_sorted_memory_answers_as_the_plain_one_in_any_order() {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(41);
    let prefixes = ["da-a", "da-b", "x", "da-a-1"];
    for round in 0..400 {
        let cap = rand::Rng::gen_range(&mut rng, 1..12);
        let (mut seen, mut plain) = (SeenIds::with_cap(cap), PlainSeen::default());
        // Mostly rising numbers, as minted, with jumps back and repeats mixed in.
        let mut next = 0u64;
        for _ in 0..rand::Rng::gen_range(&mut rng, 1..200) {
            let p = prefixes[rand::Rng::gen_range(&mut rng, 0..prefixes.len())];
            let n = match rand::Rng::gen_range(&mut rng, 0..4) {
                0 | 1 => {
                    next += rand::Rng::gen_range(&mut rng, 0..3);
                    next
                }
                2 => rand::Rng::gen_range(&mut rng, 0..next + 2),
                _ => rand::Rng::gen_range(&mut rng, 0..40),
            };
            let id = match rand::Rng::gen_range(&mut rng, 0..20) {
                0 => ClientOrderId::from(format!("{p}-0{n}")),
                _ => ClientOrderId::from(format!("{p}-{n}")),
            };
            let probe = ClientOrderId::from(format!(
                "{p}-{}",
                rand::Rng::gen_range(&mut rng, 0..next + 3)
            ));
            assert_eq!(
                seen.contains(&probe),
                plain.contains(&probe),
                "{round} {probe}"
            );
            assert_eq!(seen.insert(&id), plain.insert(&id, cap), "{round} {id}");
            assert_eq!(
                seen.exact_len(),
                plain.recent.len() + plain.unnumbered.len()
            );
        }
    }
}

/// What `SignalOrders` means, kept plainly: a map of the newest signals' orders, folded ones
/// in a set of their own. The sorted memory and its runs answer as this does, with signals in
/// any order, working orders kept, and rejections freeing their signal.
#[derive(Default)]
struct PlainSignalOrders {
    recent: HashMap<u64, ClientOrderId>,
    order: VecDeque<u64>,
    settled: std::collections::BTreeSet<u64>,
}

impl PlainSignalOrders {
    fn get(&self, s: u64) -> Option<Ordered> {
        match self.recent.get(&s) {
            Some(id) => Some(Ordered::Recent(id.clone())),
            None => self.settled.contains(&s).then_some(Ordered::Settled),
        }
    }

    fn insert(&mut self, s: u64, id: ClientOrderId, cap: usize, working: &HashSet<ClientOrderId>) {
        if self.recent.insert(s, id).is_none() {
            self.order.push_back(s);
        }
        let mut looked = 0;
        while self.recent.len() > cap && looked < self.order.len() {
            let old = self.order.pop_front().unwrap();
            match self.recent.get(&old) {
                None => {}
                Some(id) if working.contains(id) => {
                    self.order.push_back(old);
                    looked += 1;
                }
                Some(_) => {
                    self.recent.remove(&old);
                    self.settled.insert(old);
                }
            }
        }
    }

    fn release(&mut self, s: u64, id: &ClientOrderId) {
        if self.recent.get(&s) == Some(id) {
            self.recent.remove(&s);
            self.order.retain(|o| *o != s);
        }
    }
}

#[test]
fn the_sorted_signal_memory_answers_as_the_plain_one_in_any_order() {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(43);
    for round in 0..300 {
        let cap = rand::Rng::gen_range(&mut rng, 1..10);
        let (mut sig, mut plain) = (SignalOrders::with_cap(cap), PlainSignalOrders::default());
        let mut working: HashSet<ClientOrderId> = HashSet::new();
        let mut sent: Vec<(u64, ClientOrderId)> = Vec::new();
        let mut next = 0u64;
        for k in 0..rand::Rng::gen_range(&mut rng, 1..150) {
            match rand::Rng::gen_range(&mut rng, 0..10) {
                // A rejection frees its signal; a settled order stops working.
                0 | 1 if !sent.is_empty() => {
                    let (s, id) = sent[rand::Rng::gen_range(&mut rng, 0..sent.len())].clone();
                    if working.remove(&id) && rand::Rng::gen_bool(&mut rng, 0.5) {
                        sig.release(s, &id);
                        plain.release(s, &id);
                    }
                }
                // Mostly the next signal, as they come; now and then an older one.
                pick => {
                    let s = if pick < 7 {
                        next += rand::Rng::gen_range(&mut rng, 1..3);
                        next
                    } else {
                        rand::Rng::gen_range(&mut rng, 0..next + 2)
                    };
                    let id = ClientOrderId::new("r", k);
                    if rand::Rng::gen_bool(&mut rng, 0.3) {
                        working.insert(id.clone());
                    }
                    sig.insert(s, id.clone(), |i| working.contains(i));
                    plain.insert(s, id.clone(), cap, &working);
                    sent.push((s, id));
                }
            }
            assert_eq!(sig.sizes().0, plain.recent.len(), "{round}");
            for s in 0..next + 3 {
                assert_eq!(sig.get(s), plain.get(s), "{round}: signal {s}");
            }
        }
    }
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
