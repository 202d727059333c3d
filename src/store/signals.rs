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

    pub fn push(&mut self, entry: SignalEntry) {
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
        self.entries.advance(|e| !e.state.is_open());
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

    /// Keep the selection on an answerable signal after states change.
    pub fn fix_selection(&mut self) {
        // Nothing open (the usual case, looked at on every IWM bar): nothing to select.
        if self.entries.live().is_empty() {
            self.selected = None;
            return;
        }
        self.entries.advance(|e| !e.state.is_open());
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
