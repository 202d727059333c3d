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

/// An id read once (`numbered`), for a `contains` and the `insert` after it: the gate asks
/// both of every order it approves, and reading the id was a third of each.
#[derive(Debug, Clone, Copy)]
pub struct Read<'a> {
    id: &'a ClientOrderId,
    numbered: Option<(&'a str, u64)>,
}

impl<'a> Read<'a> {
    pub fn of(id: &'a ClientOrderId) -> Self {
        Read {
            id,
            numbered: numbered(id),
        }
    }
}

/// Ids are looked up as (prefix, n) pairs: one id parsed once, compared as two integers, and
/// nothing allocated per id (a gate and a venue each checked every order's id as a string,
/// three hashes and two copies an order).
#[derive(Debug)]
pub struct SeenIds {
    /// Every prefix seen, with the highest `n` folded away under it.
    prefixes: Vec<(Box<str>, Option<u64>)>,
    /// The ids held exactly, sorted. Ids are minted rising, so a new one goes at the back, the
    /// oldest leaves from the front, and a new id is known unseen by the last one alone (a
    /// hash set churned by an insert and an eviction an order rehashed itself every few
    /// thousand orders: with the lookups, ≈ 300 instructions an order, twice).
    recent: VecDeque<(u32, u64)>,
    /// The same ids in the order they came: the oldest is folded first, whatever its number.
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
            recent: VecDeque::new(),
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
        self.prefixes[p as usize].1.is_some_and(|f| n <= f) || self.recent_has((p, n))
    }

    /// Past the newest id held (every new id minted), no search.
    fn recent_has(&self, key: (u32, u64)) -> bool {
        self.recent.back().is_some_and(|b| key <= *b) && self.recent.binary_search(&key).is_ok()
    }

    pub fn contains(&self, id: &ClientOrderId) -> bool {
        self.contains_read(Read::of(id))
    }

    pub fn contains_read(&self, read: Read<'_>) -> bool {
        match read.numbered {
            Some((p, n)) => self.prefix(p).is_some_and(|p| self.numbered_seen(p, n)),
            None => self.unnumbered.contains(read.id),
        }
    }

    /// Record `id`; false if it was seen before.
    pub fn insert(&mut self, id: &ClientOrderId) -> bool {
        self.insert_read(Read::of(id))
    }

    pub fn insert_read(&mut self, read: Read<'_>) -> bool {
        let id = read.id;
        let Some((p, n)) = read.numbered else {
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
        let key = (p, n);
        // Not held (checked above): rising, it goes at the back; else at its place.
        match self.recent.back() {
            Some(b) if *b > key => {
                let at = self.recent.partition_point(|k| *k < key);
                self.recent.insert(at, key);
            }
            _ => self.recent.push_back(key),
        }
        self.order.push_back(key);
        while self.recent.len() > self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            // Rising ids: the oldest is the lowest, at the front.
            if self.recent.front() == Some(&old) {
                self.recent.pop_front();
            } else if let Ok(at) = self.recent.binary_search(&old) {
                self.recent.remove(at);
            }
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
    /// Signals held exactly with their order, sorted by signal. Signals are numbered as they
    /// come, so a new one goes at the back and the oldest leaves from the front (a hash map
    /// churned by an insert and a removal an order, with the tree of folded runs, was ≈ 450
    /// instructions of every order's check).
    recent: VecDeque<(u64, ClientOrderId)>,
    /// The same signals in the order they came (working ones go round again).
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
            recent: VecDeque::new(),
            order: VecDeque::new(),
            settled: BTreeMap::new(),
            cap: cap.max(1),
        }
    }

    /// Where `signal` is in `recent`, or would go. The ends are looked at first: a new signal
    /// is past the newest, the oldest is the one folded away.
    fn find(&self, signal: u64) -> Result<usize, usize> {
        match (self.recent.front(), self.recent.back()) {
            (_, None) => Err(0),
            (_, Some((b, _))) if *b < signal => Err(self.recent.len()),
            (Some((f, _)), _) if *f == signal => Ok(0),
            _ => self.recent.binary_search_by_key(&signal, |(s, _)| *s),
        }
    }

    pub fn get(&self, signal: u64) -> Option<Ordered> {
        if let Ok(i) = self.find(signal) {
            return Some(Ordered::Recent(self.recent[i].1.clone()));
        }
        let (_, end) = self.settled_run_from_or_before(signal)?;
        (end >= signal).then_some(Ordered::Settled)
    }

    /// The run that starts at or before `s`, if any. Signals are numbered as they come, so a
    /// new one is usually past every run: the newest run answers without a search of the tree
    /// (a range search was ≈ 100 instructions of every order's check).
    fn settled_run_from_or_before(&self, s: u64) -> Option<(u64, u64)> {
        match self.settled.last_key_value() {
            Some((start, end)) if *start <= s => Some((*start, *end)),
            _ => self.settled.range(..=s).next_back().map(|(a, b)| (*a, *b)),
        }
    }

    /// `signal` now has order `id`. Then fold the oldest settled entries beyond the cap away;
    /// `working` says which orders are still working (those stay, so a rejection can free them).
    pub fn insert(
        &mut self,
        signal: u64,
        id: ClientOrderId,
        working: impl Fn(&ClientOrderId) -> bool,
    ) {
        match self.find(signal) {
            Ok(i) => self.recent[i].1 = id,
            // At the back (a new signal) a push: `insert` there cost ten times as much.
            Err(i) if i == self.recent.len() => {
                self.recent.push_back((signal, id));
                self.order.push_back(signal);
            }
            Err(i) => {
                self.recent.insert(i, (signal, id));
                self.order.push_back(signal);
            }
        }
        let mut looked = 0;
        while self.recent.len() > self.cap && looked < self.order.len() {
            let Some(s) = self.order.pop_front() else {
                break;
            };
            match self.find(s) {
                Err(_) => {}
                Ok(i) if working(&self.recent[i].1) => {
                    self.order.push_back(s);
                    looked += 1;
                }
                Ok(i) => {
                    self.recent.remove(i);
                    self.fold(s);
                }
            }
        }
    }

    /// A rejected order frees its signal (nothing executed): only while it is the signal's order.
    pub fn release(&mut self, signal: u64, id: &ClientOrderId) {
        if let Some(i) = self.find(signal).ok().filter(|i| self.recent[*i].1 == *id) {
            self.recent.remove(i);
            self.order.retain(|s| *s != signal);
        }
    }

    fn fold(&mut self, s: u64) {
        // The usual fold, the signal right after the newest run (signals fold in the order
        // they came): that run grows in place. No run can start at `s + 1`, past the newest.
        if let Some(mut newest) = self.settled.last_entry() {
            if newest.get().checked_add(1) == Some(s) {
                *newest.get_mut() = s;
                return;
            }
        }
        let left = self.settled_run_from_or_before(s);
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
mod tests;
