//! The signal queue: every signal the agents proposed, its state, and which one the trader has selected.

use rustc_hash::FxHashMap;

use serde::Serialize;

use super::tail::Tail;
use crate::model::{Signal, SignalState};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalEntry {
    pub signal: Signal,
    pub state: SignalState,
    /// Bar index at which an unanswered signal expires.
    pub expires_at: u64,
    /// Answered, but its order did not trade (in full): refused by the risk gate, rejected or
    /// canceled by the venue. The answer stays what the trader said; this says what came of it.
    pub unfilled: Option<String>,
    /// Proposed on the forming bar before the close (the moment it was decided): acknowledged,
    /// it trades market-on-close today; unanswered, it expires with the close.
    pub at_close: Option<chrono::DateTime<chrono::Utc>>,
}

/// The signals of the session: the newest `capacity` answered ones (the history pane, the chart's
/// stop line) and every open one, however old. Open signals are kept from the oldest open one
/// on, so the bar clock's expiry scan and the Decide queue cost what is open, not the history;
/// answered is final (no state leads back to open).
#[derive(Debug, Clone)]
pub struct SignalBook {
    entries: Tail<SignalEntry>,
    /// Signal id → absolute position in `entries` (the newest entry of that id).
    by_id: FxHashMap<u64, u64>,
    selected: Option<u64>,
}

impl Default for SignalBook {
    fn default() -> Self {
        SignalBook::with_capacity(usize::MAX)
    }
}

impl SignalBook {
    pub fn with_capacity(cap: usize) -> Self {
        SignalBook {
            entries: Tail::pinned(cap),
            by_id: FxHashMap::default(),
            selected: None,
        }
    }

    /// `busy`: whether a signal's order still works. Such a signal is kept like an open one,
    /// however many newer ones come: the venue's fills and the lots read it until the order is
    /// done (a backtest keeps few answered signals).
    pub fn push(&mut self, entry: SignalEntry, busy: impl Fn(u64) -> bool) {
        let open = entry.state.is_open();
        let id = entry.signal.id;
        let at = self.entries.total();
        let (by_id, mut gone_at) = (&mut self.by_id, self.entries.dropped());
        self.entries.push_folding(entry, |gone| {
            if by_id.get(&gone.signal.id) == Some(&gone_at) {
                by_id.remove(&gone.signal.id);
            }
            gone_at += 1;
        });
        // An id pushed again points at its newest entry, as the reverse scan it replaces did.
        self.by_id.insert(id, at);
        if open && self.selected_open().is_none() {
            self.selected = Some(id);
        }
        self.settle(busy);
    }

    /// Move the pin past the answered signals whose orders are done (`busy`: whether a
    /// signal's order still works). Only once every answer's order was sent: a signal just
    /// answered has none yet.
    pub fn settle(&mut self, busy: impl Fn(u64) -> bool) {
        self.entries
            .advance(|e| !e.state.is_open() && !busy(e.signal.id));
    }

    /// The kept signals, oldest first (every open one, and the newest answered ones).
    pub fn all(&self) -> &[SignalEntry] {
        &self.entries
    }

    /// Signals ever pushed, kept or not.
    pub fn total(&self) -> u64 {
        self.entries.total()
    }

    /// From the oldest signal that may still be open: every open signal is in here.
    pub fn live(&self) -> &[SignalEntry] {
        self.entries.live()
    }

    fn index(&self, id: u64) -> Option<usize> {
        let at = *self.by_id.get(&id)?;
        Some((at - self.entries.dropped()) as usize)
    }

    pub fn get(&self, id: u64) -> Option<&SignalEntry> {
        self.index(id).map(|i| &self.entries[i])
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut SignalEntry> {
        self.index(id).map(|i| &mut self.entries[i])
    }

    /// Signals waiting for the trader: proposed ones first (newest first), then snoozed ones.
    pub fn open(&self) -> impl Iterator<Item = &SignalEntry> {
        let live = self.entries.live();
        let proposed = live
            .iter()
            .rev()
            .filter(|e| e.state == SignalState::Proposed);
        let snoozed = live
            .iter()
            .rev()
            .filter(|e| matches!(e.state, SignalState::Snoozed { .. }));
        proposed.chain(snoozed)
    }

    pub fn selected_id(&self) -> Option<u64> {
        self.selected_open().map(|e| e.signal.id)
    }

    fn selected_open(&self) -> Option<&SignalEntry> {
        let id = self.selected?;
        self.get(id).filter(|e| e.state == SignalState::Proposed)
    }

    /// Keep the selection on an answerable signal after states change (the pin moves in
    /// `settle`: a signal answered here may be about to get its order).
    pub fn fix_selection(&mut self) {
        // Nothing open (the usual case, looked at on every IWM bar): nothing to select.
        if self.entries.live().is_empty() {
            self.selected = None;
            return;
        }
        if self.selected_open().is_none() {
            let first = self
                .open()
                .find(|e| e.state == SignalState::Proposed)
                .map(|e| e.signal.id);
            self.selected = first;
        }
    }

    pub fn select(&mut self, id: u64) {
        if self
            .get(id)
            .is_some_and(|e| e.state == SignalState::Proposed)
        {
            self.selected = Some(id);
        }
    }

    /// Move the selection through the proposed signals (`delta` = +1 next, −1 previous).
    pub fn step(&mut self, delta: i32) {
        let ids: Vec<u64> = self
            .open()
            .filter(|e| e.state == SignalState::Proposed)
            .map(|e| e.signal.id)
            .collect();
        if ids.is_empty() {
            self.selected = None;
            return;
        }
        let pos = self
            .selected
            .and_then(|s| ids.iter().position(|&i| i == s))
            .unwrap_or(0) as i32;
        let n = ids.len() as i32;
        self.selected = Some(ids[((pos + delta).rem_euclid(n)) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Side, SignalKind, Symbol};
    use rust_decimal_macros::dec;

    fn entry(id: u64, state: SignalState) -> SignalEntry {
        SignalEntry {
            signal: Signal {
                id,
                time: chrono::DateTime::UNIX_EPOCH,
                agent: Agent::Bear,
                kind: SignalKind::BearEntry { tier: 1 },
                symbol: Symbol::Twm,
                side: Side::Buy,
                qty: dec!(10),
                reference_price: dec!(40),
                stop_price: None,
                iwm_stop: None,
                record: None,
                confidence: 0.5,
                reasons: vec![],
            },
            state,
            expires_at: 0,
            unfilled: None,
            at_close: None,
        }
    }

    #[test]
    fn a_signal_whose_order_works_is_kept_however_many_come_after_it() {
        let mut book = SignalBook::with_capacity(2);
        let busy = std::cell::Cell::new(true);
        // Signal 0 is answered and its order works; every later one is answered and done.
        book.push(entry(0, SignalState::Proposed), |_| false);
        book.get_mut(0).unwrap().state = SignalState::Acknowledged;
        for id in 1..50 {
            book.push(entry(id, SignalState::Acknowledged), |s| {
                s == 0 && busy.get()
            });
            assert!(book.get(0).is_some(), "kept while its order works ({id})");
            assert!(book.all().len() <= id as usize + 1);
        }
        assert_eq!(book.live().first().map(|e| e.signal.id), Some(0));
        // Its order done, the pin passes it and the next pushes trim it.
        busy.set(false);
        book.settle(|_| false);
        assert!(book.live().is_empty());
        for id in 50..60 {
            book.push(entry(id, SignalState::Acknowledged), |_| false);
        }
        assert!(book.get(0).is_none(), "trimmed once settled");
        assert!(book.all().len() <= 4, "{} kept", book.all().len());
        assert!(book.get(59).is_some());
        assert_eq!(book.total(), 60);
    }

    #[test]
    fn an_answer_leaves_the_pin_for_settle() {
        let mut book = SignalBook::with_capacity(1);
        book.push(entry(0, SignalState::Proposed), |_| false);
        book.get_mut(0).unwrap().state = SignalState::Acknowledged;
        book.fix_selection();
        assert_eq!(book.live().len(), 1, "its order may not be sent yet");
        book.settle(|_| true);
        assert_eq!(book.live().len(), 1, "its order works");
        book.settle(|_| false);
        assert!(book.live().is_empty());
    }
}
