//! What the agents remember between positions: the Bear's last support break (tier 1 waits for
//! the trend to confirm it), the level of its last stop-out (the cool-down) and the break the Bull
//! watches for a reclaim. A resumed session rebuilds the agents by re-feeding the history, but on
//! those bars nothing filled, so what they remember there is not what the uninterrupted run
//! remembered; the journal keeps it (`Entry::AgentMemory`) and a restart hands it back.

use serde::{Deserialize, Serialize};

use super::levels::Break;
use super::Engine;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentMemory {
    /// The engine's IWM bar count when this was taken: a resumed session reproduces it.
    pub bar: u64,
    pub bear_break: Option<Break>,
    /// The level of the Bear's last stop-out and its bar.
    pub bear_last_stop: Option<(f64, u64)>,
    /// The Bear's break the Bull watches, and whether it was reclaimed.
    pub bull_break: Option<(Break, bool)>,
}

impl Engine {
    /// What the agents remember now.
    pub fn memory(&self) -> AgentMemory {
        AgentMemory {
            bar: self.ind.bars(),
            bear_break: self.bear.memory(),
            bear_last_stop: self.bear.last_stop(),
            bull_break: self.bull.last_break(),
        }
    }

    /// Take back what a previous process remembered, if it was taken on this history: at or
    /// before the engine's bar now (the same history re-fed; it is journaled on every change, so
    /// it held until the crash).
    pub fn restore_memory(&mut self, m: &AgentMemory) -> bool {
        if m.bar > self.ind.bars() {
            return false;
        }
        self.bear.set_memory(m.bear_break, m.bear_last_stop);
        self.bull.set_last_break(m.bull_break);
        true
    }
}
