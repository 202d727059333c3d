//! Support and resistance: configured levels, pivot clusters and the point of control merged into
//! one list, each with a state (intact, broken, reclaimed), and the active support / resistance.

use super::indicators::Pivot;
use super::pivot_set::PivotSet;
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

#[derive(Debug, Clone, Copy)]
struct Entry {
    level: Level,
    /// Consecutive closes beyond the break threshold.
    below: usize,
}

#[derive(Debug, Clone)]
pub struct LevelBook {
    configured: Vec<f64>,
    pivots: PivotSet,
    entries: Vec<Entry>,
    /// Scratch space for rebuilding, kept to stay allocation-free.
    fresh: Vec<Entry>,
    poc: Option<f64>,
    cluster_atr: f64,
    within_atr: f64,
    break_atr: f64,
    reclaim_atr: f64,
    confirm: usize,
    configured_strength: u32,
    poc_strength: u32,
    support: Option<usize>,
    resistance: Option<usize>,
    prev_close: Option<f64>,
    version: u64,
}

impl LevelBook {
    pub fn new(cfg: &Config) -> Self {
        let l = &cfg.levels;
        let mut configured: Vec<f64> = l.support.iter().chain(&l.resistance).copied().collect();
        configured.retain(|p| p.is_finite() && *p > 0.0);
        let cap = l.max_pivots + configured.len() + 2;
        LevelBook {
            configured,
            pivots: PivotSet::new(l.max_pivots),
            entries: Vec::with_capacity(cap),
            fresh: Vec::with_capacity(cap),
            poc: None,
            cluster_atr: l.cluster_atr,
            within_atr: l.active_within_atr,
            break_atr: cfg.bear.break_atr,
            reclaim_atr: cfg.bull.reclaim_atr,
            confirm: cfg.bear.confirm_closes.max(1),
            configured_strength: l.configured_strength,
            poc_strength: l.poc_strength,
            support: None,
            resistance: None,
            prev_close: None,
            version: 0,
        }
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
                            self.version += 1;
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
                            self.version += 1;
                        }
                    }
                }
            }
        }
        let mut dirty = false;
        for p in pivots.into_iter().flatten() {
            self.pivots.insert(p.price, p.volume);
            dirty = true;
        }
        // A POC that moved less than the cluster tolerance does not reshuffle the levels.
        let tol = atr.map(|a| self.cluster_atr * a).unwrap_or(0.0);
        let moved = match (poc, self.poc) {
            (Some(a), Some(b)) => (a - b).abs() > tol,
            (a, b) => a.is_some() != b.is_some(),
        };
        if moved {
            self.poc = poc;
            dirty = true;
        }
        if let (true, Some(atr)) = (dirty, atr) {
            self.rebuild(atr);
        }
        self.prev_close = Some(close);
        self.pick_active(close, atr);
        brk
    }

    /// Recluster pivots and merge in the configured levels and the POC; states carry over to
    /// the new level nearest an old one within the cluster tolerance.
    fn rebuild(&mut self, atr: f64) {
        let tol = self.cluster_atr * atr;
        self.fresh.clear();
        let fresh = &mut self.fresh;
        self.pivots.clusters(tol, |mean, n| {
            fresh.push(entry(mean, LevelSource::Pivot, n))
        });
        // Clusters come out in price order; the few configured levels and the POC are inserted
        // in place rather than sorting the whole list.
        let extra = self
            .configured
            .iter()
            .map(|p| (*p, LevelSource::Configured, self.configured_strength))
            .chain(
                self.poc
                    .map(|p| (p, LevelSource::PointOfControl, self.poc_strength)),
            );
        for (p, source, strength) in extra {
            let at = self.fresh.partition_point(|e| e.level.price < p);
            self.fresh.insert(at, entry(p, source, strength));
        }
        merge_close(&mut self.fresh, tol);
        // Inherit state from the nearest previous level within tolerance. Both lists are sorted
        // by price, so one forward pass finds each nearest neighbour: O(L).
        let mut j = 0;
        for f in &mut self.fresh {
            let p = f.level.price;
            while j + 1 < self.entries.len() && self.entries[j + 1].level.price <= p {
                j += 1;
            }
            let near = [j, j + 1]
                .into_iter()
                .filter_map(|k| self.entries.get(k))
                .filter(|e| (e.level.price - p).abs() <= tol)
                .min_by(|a, b| {
                    (a.level.price - p)
                        .abs()
                        .total_cmp(&(b.level.price - p).abs())
                });
            if let Some(e) = near {
                f.level.state = e.level.state;
                f.below = e.below;
            }
        }
        self.version += 1;
        std::mem::swap(&mut self.entries, &mut self.fresh);
        self.support = None;
        self.resistance = None;
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

    /// Changes whenever a level is added, moved or changes state (the view copies on change).
    pub fn version(&self) -> u64 {
        self.version
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

fn entry(price: f64, source: LevelSource, strength: u32) -> Entry {
    Entry {
        level: Level {
            price,
            source,
            strength,
            state: LevelState::Intact,
        },
        below: 0,
    }
}

/// Merge neighbours (sorted by price) closer than `tol`: strengths add, the price and source of
/// the stronger one stay (a configured level keeps its exact price).
fn merge_close(levels: &mut Vec<Entry>, tol: f64) {
    let mut w = 0;
    for r in 0..levels.len() {
        if w > 0 && levels[r].level.price - levels[w - 1].level.price <= tol {
            let (a, b) = (levels[w - 1].level, levels[r].level);
            let keep = if rank(&b) > rank(&a) { b } else { a };
            levels[w - 1].level = Level {
                strength: a.strength + b.strength,
                ..keep
            };
        } else {
            levels[w] = levels[r];
            w += 1;
        }
    }
    levels.truncate(w);
}

fn rank(l: &Level) -> (u8, u32) {
    let source = match l.source {
        LevelSource::Configured => 2,
        LevelSource::Pivot => 1,
        LevelSource::PointOfControl => 0,
    };
    (source, l.strength)
}
