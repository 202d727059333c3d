//! The signal queue: every signal the agents proposed, its state, and which one the trader has selected.

use serde::Serialize;

use crate::model::{Signal, SignalState};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalEntry {
    pub signal: Signal,
    pub state: SignalState,
    /// Bar index at which an unanswered signal expires.
    pub expires_at: u64,
}

#[derive(Debug, Clone, Default)]
pub struct SignalBook {
    entries: Vec<SignalEntry>,
    selected: Option<u64>,
}

impl SignalBook {
    pub fn push(&mut self, entry: SignalEntry) {
        let open = entry.state.is_open();
        let id = entry.signal.id;
        self.entries.push(entry);
        if open && self.selected_open().is_none() {
            self.selected = Some(id);
        }
    }

    pub fn all(&self) -> &[SignalEntry] {
        &self.entries
    }

    pub fn get(&self, id: u64) -> Option<&SignalEntry> {
        self.entries.iter().rev().find(|e| e.signal.id == id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut SignalEntry> {
        self.entries.iter_mut().rev().find(|e| e.signal.id == id)
    }

    /// Signals waiting for the trader: proposed ones first (newest first), then snoozed ones.
    pub fn open(&self) -> impl Iterator<Item = &SignalEntry> {
        let proposed = self
            .entries
            .iter()
            .rev()
            .filter(|e| e.state == SignalState::Proposed);
        let snoozed = self
            .entries
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
