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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// How far beyond the closes a level can change state, in ATRs: the larger buffer + 0.5.
    pad_atr: f64,
    pub(super) confirm: usize,
    pub(super) poc_strength: u32,
    /// The last bar's close and ATR: the active levels are worked out from them when asked.
    pub(super) prev_close: Option<f64>,
    pub(super) prev_atr: Option<f64>,
    /// Where the last close sat in `entries` (first level at or above it). Price moves a level
    /// or two per bar, so searches walk from here instead of bisecting the whole list.
    pub(super) cursor: usize,
    /// The configured levels placed from Russell 2000 points (`levels.index_levels`), replaced
    /// when the IWM/RUT ratio moves.
    index_ids: Vec<u32>,
    configured_strength: u32,
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
            pad_atr: cfg.bear.break_atr.max(cfg.bull.reclaim_atr) + 0.5,
            confirm: cfg.bear.confirm_closes.max(1),
            poc_strength: l.poc_strength,
            prev_close: None,
            prev_atr: None,
            cursor: 0,
            index_ids: Vec::new(),
            configured_strength: l.configured_strength,
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

    /// Place the Russell index levels at `prices` (IWM dollars), replacing the last placement:
    /// they are configured levels like `levels.support`, at the IWM/RUT ratio of the day.
    pub fn set_index_levels(&mut self, prices: &[f64]) {
        let gone = std::mem::take(&mut self.index_ids);
        self.entries.retain(|e| !gone.contains(&e.id));
        if let Some((_, PocAt::In(id))) = &self.poc {
            if gone.contains(id) {
                // Re-placed on the next bar (a POC with no level counts as moved).
                self.poc = None;
            }
        }
        for p in prices.iter().filter(|p| p.is_finite() && **p > 0.0) {
            let id = self.new_id();
            self.index_ids.push(id);
            let e = Entry::new(id, *p, LevelSource::Configured, self.configured_strength);
            self.insert(e);
        }
        self.cursor = 0;
    }

    /// One bar: update states with this close, report a break of the support that was active
    /// before it, then fold in new pivots / the POC. The active levels are worked out when asked.
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
            // reclaim buffers) can change state: O(k) for the k levels near price.
            let pad = self.pad_atr * atr;
            let lo = prev.min(close) - pad;
            let hi = prev.max(close) + pad;
            let start = self.seek(self.cursor, lo);
            self.cursor = start;
            // Reclaims are applied after the sweep, so a break sees the states the last bar left
            // (the active support is worked out from them, only when a level breaks). A level
            // cannot both break and be reclaimed on one close.
            let mut reclaims = false;
            let mut was_support: Option<Option<usize>> = None;
            // Loop invariants, read once (the compiler cannot tell the entries' writes from
            // these fields).
            let (break_by, reclaim_by, confirm) =
                (self.break_atr * atr, self.reclaim_atr * atr, self.confirm);
            for i in start..self.entries.len() {
                let Entry { level, below, .. } = self.entries[i];
                let p = level.price;
                if p > hi {
                    break;
                }
                match level.state {
                    LevelState::Intact | LevelState::Reclaimed => {
                        let below = if close < p - break_by { below + 1 } else { 0 };
                        // Only a level that was support (below the previous close) can break;
                        // a resistance far above price is not "broken" by price staying under it.
                        if below >= confirm && p < prev {
                            // Picked once, at the first break, before any state moved.
                            let ws = *was_support.get_or_insert_with(|| self.pick(prev).0);
                            if ws == Some(i) {
                                brk = Some(Break {
                                    level,
                                    bar,
                                    close,
                                    atr,
                                    magnitude: (p - close) / atr,
                                });
                            }
                            let e = &mut self.entries[i];
                            e.level.state = LevelState::Broken;
                            e.below = 0;
                        } else {
                            self.entries[i].below = below;
                        }
                    }
                    LevelState::Broken => reclaims |= close > p + reclaim_by,
                }
            }
            if reclaims {
                for e in &mut self.entries[start..] {
                    if e.level.price > hi {
                        break;
                    }
                    if e.level.state == LevelState::Broken && close > e.level.price + reclaim_by {
                        e.level.state = LevelState::Reclaimed;
                    }
                }
            }
        }
        if let Some(atr) = atr {
            let tol = self.cluster_atr * atr;
            // The low first, then the high (an array iterator of options costs more than this).
            let [low, high] = pivots;
            if let Some(p) = low {
                self.add_pivot(p.price, p.volume.max(1.0), tol);
            }
            if let Some(p) = high {
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
        self.prev_atr = atr;
        brk
    }

    /// The first entry priced at or above `x` (`partition_point(price < x)`), walking from
    /// `from`: exact wherever it starts, cheap when it starts near the answer.
    fn seek(&self, from: usize, x: f64) -> usize {
        let e = &self.entries;
        let mut i = from.min(e.len());
        while i > 0 && e[i - 1].level.price >= x {
            i -= 1;
        }
        while i < e.len() && e[i].level.price < x {
            i += 1;
        }
        i
    }

    /// The strongest intact level below `close` and the strongest level above it, within reach
    /// of the last ATR; between equals the nearer, and between equally near ones the lower in
    /// the list. Both scans start at the close and walk outwards, so only levels within reach
    /// are read. Nothing on the per-bar path needs this unless a level changes state.
    fn pick(&self, close: f64) -> (Option<usize>, Option<usize>) {
        let Some(atr) = self.prev_atr else {
            return (None, None);
        };
        let reach = self.within_atr * atr;
        let at = self.seek(self.cursor, close);
        let e = &self.entries;
        let (mut support, mut resistance) = (None, None);
        // Strength and distance of the pick so far (-1: none yet).
        let (mut bs, mut bd) = (-1_i64, f64::INFINITY);
        for (i, x) in e[..at].iter().enumerate().rev() {
            let l = &x.level;
            if l.price < close - reach {
                break;
            }
            let (s, d) = (i64::from(l.strength), (l.price - close).abs());
            // Walking down, a later candidate has a lower index: it wins a full tie.
            if l.state != LevelState::Broken && (s > bs || (s == bs && d <= bd)) {
                (bs, bd) = (s, d);
                support = Some(i);
            }
        }
        let (mut bs, mut bd) = (-1_i64, f64::INFINITY);
        for (i, x) in e.iter().enumerate().skip(at) {
            let l = &x.level;
            if l.price > close + reach {
                break;
            }
            let (s, d) = (i64::from(l.strength), (l.price - close).abs());
            if l.price != close && (s > bs || (s == bs && d < bd)) {
                (bs, bd) = (s, d);
                resistance = Some(i);
            }
        }
        (support, resistance)
    }

    /// The active support and resistance as the last bar left them.
    fn active(&self) -> (Option<usize>, Option<usize>) {
        self.prev_close.map_or((None, None), |c| self.pick(c))
    }

    pub fn active_support(&self) -> Option<Level> {
        self.active().0.map(|i| self.entries[i].level)
    }

    pub fn active_resistance(&self) -> Option<Level> {
        self.active().1.map(|i| self.entries[i].level)
    }

    /// Copy the levels into `out` (reusing its allocation).
    pub fn levels_into(&self, out: &mut Vec<Level>) {
        out.clear();
        out.extend(self.entries.iter().map(|e| e.level));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::PivotKind;
    use proptest::prelude::*;

    /// The active levels by the definition, scanning every level (the book walks from the close).
    fn by_definition(levels: &[Level], close: f64, reach: f64) -> (Option<Level>, Option<Level>) {
        let pick = |want: &dyn Fn(&Level) -> bool| {
            let mut best: Option<Level> = None;
            for l in levels.iter().filter(|l| want(l)) {
                let (d, s) = ((l.price - close).abs(), l.strength);
                if best.is_none_or(|b| {
                    s > b.strength || (s == b.strength && d < (b.price - close).abs())
                }) {
                    best = Some(*l);
                }
            }
            best
        };
        let near = |l: &Level| (l.price - close).abs() <= reach;
        (
            pick(&|l| near(l) && l.price < close && l.state != LevelState::Broken),
            pick(&|l| near(l) && l.price > close),
        )
    }

    proptest! {
        /// Whatever the path, the active support and resistance are the ones the definition gives.
        #[test]
        fn active_levels_match_the_definition(
            steps in proptest::collection::vec((-3.0..3.0_f64, 0..4_u8, 0.5..3.0_f64), 1..120),
            configured in proptest::collection::vec(90.0..110.0_f64, 0..4),
        ) {
            let mut cfg = Config::default_config();
            cfg.levels.max_pivots = 16;
            cfg.levels.support = configured;
            let mut book = LevelBook::new(&cfg);
            let mut close = 100.0;
            let mut all = Vec::new();
            for (i, (step, pivot, atr)) in steps.into_iter().enumerate() {
                close += step;
                // Pivots on whole dollars, so equal prices and equal strengths happen.
                let p = (close + f64::from(pivot) - 2.0).round();
                let piv = (pivot > 0).then_some(Pivot { kind: PivotKind::Low, price: p, volume: 1.0, bar: i as u64 });
                let poc = (pivot == 3).then_some(p + 1.0);
                book.update(i as u64, close, Some(atr), poc, [piv, None]);
                book.levels_into(&mut all);
                let want = by_definition(&all, close, cfg.levels.active_within_atr * atr);
                prop_assert_eq!((book.active_support(), book.active_resistance()), want);
            }
        }
    }
}
