//! Support and resistance: configured levels, pivot clusters and the point of control in one
//! list sorted by price, each with a strength and a state (intact, broken, reclaimed), and the
//! active support / resistance.
//!
//! Clusters grow as pivots arrive: a confirmed pivot joins the level it lies within tolerance of
//! (a pivot cluster whose span stays within 0.5 × ATR with it, or a configured level or the POC
//! within 0.5 × ATR), using the ATR of the bar that confirmed it; otherwise it starts a level of
//! its own. The oldest pivot (beyond `max_pivots`) leaves its level, and a cluster without pivots
//! is gone. So a level a trader has seen stays where it is when volatility changes, and a pivot
//! costs O(log L + max_pivots) once instead of a recluster of every pivot.

use super::clusters::{Entry, Member, PocAt};
use super::indicators::{Pivot, Ring};
use super::types::{Level, LevelSource, LevelState};
use crate::config::Config;

/// A support break: the active support gave way on this bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Break {
    pub level: Level,
    pub bar: u64,
    pub close: f64,
    pub atr: f64,
    /// Break magnitude m = (level − close) / ATR.
    pub magnitude: f64,
}

#[derive(Debug, Clone)]
pub struct LevelBook {
    pub(super) entries: Vec<Entry>,
    pub(super) members: Ring<Member>,
    pub(super) next_id: u32,
    pub(super) poc: Option<(f64, PocAt)>,
    pub(super) cluster_atr: f64,
    pub(super) within_atr: f64,
    pub(super) break_atr: f64,
    pub(super) reclaim_atr: f64,
    pub(super) confirm: usize,
    pub(super) poc_strength: u32,
    pub(super) support: Option<usize>,
    pub(super) resistance: Option<usize>,
    pub(super) prev_close: Option<f64>,
}

impl LevelBook {
    pub fn new(cfg: &Config) -> Self {
        let l = &cfg.levels;
        let mut book = LevelBook {
            entries: Vec::with_capacity(l.max_pivots + l.support.len() + l.resistance.len() + 2),
            members: Ring::new(l.max_pivots),
            next_id: 0,
            poc: None,
            cluster_atr: l.cluster_atr,
            within_atr: l.active_within_atr,
            break_atr: cfg.bear.break_atr,
            reclaim_atr: cfg.bull.reclaim_atr,
            confirm: cfg.bear.confirm_closes.max(1),
            poc_strength: l.poc_strength,
            support: None,
            resistance: None,
            prev_close: None,
        };
        for p in l.support.iter().chain(&l.resistance) {
            if p.is_finite() && *p > 0.0 {
                let id = book.new_id();
                book.insert(Entry::new(
                    id,
                    *p,
                    LevelSource::Configured,
                    l.configured_strength,
                ));
            }
        }
        book
    }

    /// One bar: update states with this close, report a break of the support that was active
    /// before it, then fold in new pivots / the POC and pick the new active levels.
    pub fn update(
        &mut self,
        bar: u64,
        close: f64,
        atr: Option<f64>,
        poc: Option<f64>,
        pivots: [Option<Pivot>; 2],
    ) -> Option<Break> {
        let mut brk = None;
        if let (Some(atr), Some(prev)) = (atr, self.prev_close) {
            // Only levels between the previous close and this one (widened by the break and
            // reclaim buffers) can change state: find them by binary search, O(log L + k).
            let pad = (self.break_atr.max(self.reclaim_atr) + 0.5) * atr;
            let lo = prev.min(close) - pad;
            let hi = prev.max(close) + pad;
            let start = self.entries.partition_point(|e| e.level.price < lo);
            let was_support = self.support;
            for i in start..self.entries.len() {
                let e = &mut self.entries[i];
                let p = e.level.price;
                if p > hi {
                    break;
                }
                match e.level.state {
                    LevelState::Intact | LevelState::Reclaimed => {
                        if close < p - self.break_atr * atr {
                            e.below += 1;
                        } else {
                            e.below = 0;
                        }
                        // Only a level that was support (below the previous close) can break;
                        // a resistance far above price is not "broken" by price staying under it.
                        if e.below >= self.confirm && p < prev {
                            e.level.state = LevelState::Broken;
                            e.below = 0;
                            if was_support == Some(i) {
                                brk = Some(Break {
                                    level: e.level,
                                    bar,
                                    close,
                                    atr,
                                    magnitude: (p - close) / atr,
                                });
                            }
                        }
                    }
                    LevelState::Broken => {
                        if close > p + self.reclaim_atr * atr {
                            e.level.state = LevelState::Reclaimed;
                        }
                    }
                }
            }
        }
        if let Some(atr) = atr {
            let tol = self.cluster_atr * atr;
            for p in pivots.into_iter().flatten() {
                self.add_pivot(p.price, p.volume.max(1.0), tol);
            }
            // A POC that moved less than the cluster tolerance does not reshuffle the levels.
            let moved = match (poc, self.poc) {
                (Some(a), Some((b, _))) => (a - b).abs() > tol,
                (a, b) => a.is_some() != b.is_some(),
            };
            if moved {
                self.place_poc(poc, tol);
            }
        }
        self.prev_close = Some(close);
        self.pick_active(close, atr);
        brk
    }

    fn pick_active(&mut self, close: f64, atr: Option<f64>) {
        self.support = None;
        self.resistance = None;
        let Some(atr) = atr else { return };
        let reach = self.within_atr * atr;
        let better = |cur: Option<usize>, i: usize, entries: &[Entry]| match cur {
            None => true,
            Some(c) => {
                let (a, b) = (&entries[i].level, &entries[c].level);
                // Strongest first; between equals, the nearer one.
                a.strength > b.strength
                    || (a.strength == b.strength
                        && (a.price - close).abs() < (b.price - close).abs())
            }
        };
        let start = self
            .entries
            .partition_point(|e| e.level.price < close - reach);
        for i in start..self.entries.len() {
            let l = self.entries[i].level;
            if l.price > close + reach {
                break;
            }
            if l.price < close && l.state != LevelState::Broken {
                if better(self.support, i, &self.entries) {
                    self.support = Some(i);
                }
            } else if l.price > close && better(self.resistance, i, &self.entries) {
                self.resistance = Some(i);
            }
        }
    }

    pub fn active_support(&self) -> Option<Level> {
        self.support.map(|i| self.entries[i].level)
    }

    pub fn active_resistance(&self) -> Option<Level> {
        self.resistance.map(|i| self.entries[i].level)
    }

    /// Copy the levels into `out` (reusing its allocation).
    pub fn levels_into(&self, out: &mut Vec<Level>) {
        out.clear();
        out.extend(self.entries.iter().map(|e| e.level));
    }
}
