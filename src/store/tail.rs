//! The newest items of a sequence that would otherwise grow with the history (bars, indicator
//! rows, orders, signals): memory follows the configured capacity, not the run's length.

use std::ops::{Deref, DerefMut};

/// At most `cap` items plus a slack (`slack`), oldest first. Trimming happens in batches
/// when the slack is full, so a push stays O(1) amortized and the kept items stay one slice
/// (the chart and the indicator panes index it directly).
///
/// Items can be *pinned*: everything from `pinned` on may still change state (an open signal,
/// a working order) and is never trimmed, and scans for such items start there
/// (`live`), so they cost what is open, not what ever was.
#[derive(Debug, Clone)]
pub struct Tail<T> {
    items: Vec<T>,
    cap: usize,
    /// Items trimmed from the front since the start.
    dropped: u64,
    /// Absolute index of the first item that may still be live; `u64::MAX` = nothing pinned.
    pinned: u64,
}

impl<T> Default for Tail<T> {
    fn default() -> Self {
        Tail::new(usize::MAX)
    }
}

impl<T> Tail<T> {
    pub fn new(cap: usize) -> Self {
        Tail {
            items: Vec::new(),
            cap: cap.max(1),
            dropped: 0,
            pinned: u64::MAX,
        }
    }

    /// A tail whose items are pinned until `advance` finds them settled.
    pub fn pinned(cap: usize) -> Self {
        Tail {
            pinned: 0,
            ..Tail::new(cap)
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn set_capacity(&mut self, cap: usize) {
        self.cap = cap.max(1);
        self.trim(self.cap);
    }

    pub fn push(&mut self, item: T) {
        // A one-item tail (a backtest's bars and indicator rows) replaces its item in place:
        // trimming moved the old one out on every push (with the bars' 1,024-item tails, the
        // batch trims were a tenth of a synthetic backtest's instructions).
        if self.cap == 1 && self.pinned == u64::MAX {
            if let [only] = self.items.as_mut_slice() {
                *only = item;
                self.dropped += 1;
                return;
            }
        }
        if self.items.len() >= self.cap.saturating_add(slack(self.cap)) {
            self.trim(self.cap);
        }
        self.items.push(item);
    }

    /// Every item ever pushed, kept or trimmed.
    pub fn total(&self) -> u64 {
        self.dropped + self.items.len() as u64
    }

    /// Items trimmed so far (the first kept item's absolute index).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Move the pin past the settled items at its front. `settled` must be final: an item found
    /// settled is never scanned again.
    pub fn advance(&mut self, settled: impl Fn(&T) -> bool) {
        if self.pinned == u64::MAX {
            return;
        }
        let mut at = (self.pinned - self.dropped) as usize;
        while self.items.get(at).is_some_and(&settled) {
            at += 1;
        }
        self.pinned = self.dropped + at as u64;
    }

    /// The items from the pin on: every item that may still be live is in here.
    pub fn live(&self) -> &[T] {
        let from = self.pinned.saturating_sub(self.dropped) as usize;
        &self.items[from.min(self.items.len())..]
    }

    /// Drop the oldest items down to `keep`, never one at or after the pin; returns how many.
    fn trim(&mut self, keep: usize) -> usize {
        let over = self.items.len().saturating_sub(keep);
        let n = over.min(self.pinned.saturating_sub(self.dropped) as usize);
        if n == 1 {
            // A one-item tail (a backtest's indicator rows) trims on every push: `remove` is
            // one move, without building and dropping a `Drain`.
            self.items.remove(0);
            self.dropped += 1;
        } else if n > 0 {
            self.items.drain(..n);
            self.dropped += n as u64;
        }
        n
    }

    /// Like `push`, handing each trimmed item to `gone` first (to fold it into running totals).
    pub fn push_folding(&mut self, item: T, mut gone: impl FnMut(&T)) {
        if self.items.len() >= self.cap.saturating_add(slack(self.cap)) {
            let over = self.items.len() - self.cap;
            let n = over.min(self.pinned.saturating_sub(self.dropped) as usize);
            self.items[..n].iter().for_each(&mut gone);
            self.trim(self.cap);
        }
        self.items.push(item);
    }
}

/// Room above `cap` before a trim. A trim moves the `cap` kept items down, so each push pays
/// `cap / slack` moved items: a small tail (a backtest's 1,024 bars) gets a slack as large as
/// itself (one item moved per push; with `cap / 4` the trims were 14 % of a synthetic
/// backtest's instructions), a large one (the dashboard's year of minute bars) a quarter, which
/// keeps its memory within 1.25 × `cap`.
fn slack(cap: usize) -> usize {
    const SMALL: usize = 4_096;
    if cap <= SMALL {
        cap
    } else {
        cap / 4
    }
}

/// Equal when the kept items are (what the panes show).
impl<T: PartialEq> PartialEq for Tail<T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<T> Deref for Tail<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> DerefMut for Tail<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_capacity_plus_slack_and_the_newest() {
        let mut t = Tail::new(8);
        for i in 0..1_000u32 {
            t.push(i);
            assert!(t.len() <= 8 + 8, "{} kept", t.len());
        }
        assert_eq!(t.last(), Some(&999));
        assert!(t.len() >= 8);
        assert_eq!(t.total(), 1_000);
        assert_eq!(t.dropped() + t.len() as u64, 1_000);
        assert_eq!(
            t[0] as u64,
            t.dropped(),
            "contiguous: item i sits at i − dropped"
        );
    }

    #[test]
    fn a_one_item_tail_keeps_the_newest_and_counts_the_rest() {
        let mut t = Tail::new(1);
        for i in 0..100u32 {
            t.push(i);
            assert!(t.len() <= 2, "{} kept", t.len());
            assert_eq!(t.len(), 1, "replaced in place");
            assert_eq!(t.last(), Some(&i));
            assert_eq!(t[0] as u64, t.dropped(), "contiguous");
        }
        assert_eq!(t.total(), 100);
    }

    #[test]
    fn a_large_tail_keeps_a_quarter_of_slack() {
        let mut t = Tail::new(8_000);
        for i in 0..30_000u32 {
            t.push(i);
            assert!(t.len() <= 10_000, "{} kept", t.len());
        }
        assert!(t.len() >= 8_000);
        assert_eq!(t.last(), Some(&29_999));
    }

    #[test]
    fn a_pinned_item_is_never_trimmed_and_live_starts_at_it() {
        // Items are (id, open); the first one stays open.
        let mut t = Tail::pinned(4);
        t.push((0, true));
        for i in 1..100 {
            t.push((i, false));
            t.advance(|x| !x.1);
        }
        assert_eq!(t[0], (0, true), "the open item is kept");
        assert_eq!(t.live().len(), t.len(), "scans start at the open item");
        t[0].1 = false;
        t.advance(|x| !x.1);
        assert!(t.live().is_empty());
        for i in 100..200 {
            t.push((i, false));
            t.advance(|x| !x.1);
        }
        assert!(t.len() <= 8, "settled, the old items go: {}", t.len());
        let (mut folded, before) = (0u64, t.dropped());
        for i in 200..300 {
            t.push_folding((i, false), |_| folded += 1);
            t.advance(|x| !x.1);
        }
        assert!(folded > 0);
        assert_eq!(
            folded,
            t.dropped() - before,
            "every trimmed item is folded once"
        );
    }
}
