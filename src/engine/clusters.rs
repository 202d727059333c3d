//! How levels grow from pivots: a confirmed pivot joins the level it lies within tolerance of,
//! or starts one; the oldest pivot leaves; the point of control joins a level near it or stands
//! alone. Split from `levels` (which owns states, breaks and the active levels).

use super::levels::LevelBook;
use super::types::{Level, LevelSource, LevelState};

#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) level: Level,
    /// Consecutive closes beyond the break threshold.
    pub(super) below: usize,
    /// Stable identity: member pivots name their level by it.
    pub(super) id: u32,
    /// Σ price × weight and Σ weight of the member pivots (the volume-weighted mean).
    pub(super) pv: f64,
    pub(super) w: f64,
    /// Lowest and highest member pivot of a pivot cluster (`accepts` reads them for no other
    /// kind of level, and removals keep them only for clusters).
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// Member pivots (touches), and strength given by the source (configured, merged POC).
    pub(super) touches: u32,
    pub(super) base: u32,
}

impl Entry {
    pub(super) fn new(id: u32, price: f64, source: LevelSource, base: u32) -> Self {
        Entry {
            level: Level {
                price,
                source,
                strength: base,
                state: LevelState::Intact,
            },
            below: 0,
            id,
            pv: 0.0,
            w: 0.0,
            lo: price,
            hi: price,
            touches: 0,
            base,
        }
    }

    fn restrength(&mut self) {
        self.level.strength = self.base + self.touches;
    }

    /// Would a pivot at `p` join this level with tolerance `tol`?
    fn accepts(&self, p: f64, tol: f64) -> bool {
        match self.level.source {
            LevelSource::Pivot => self.hi.max(p) - self.lo.min(p) <= tol,
            _ => (self.level.price - p).abs() <= tol,
        }
    }
}

/// A member pivot: price, weight (`volume.max(1)`), the id of its level.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Member {
    pub(super) price: f64,
    pub(super) weight: f64,
    pub(super) level: u32,
}

/// Where the POC sits: its own entry, or merged into another level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PocAt {
    Own(u32),
    In(u32),
}

impl LevelBook {
    pub(super) fn new_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn find(&self, id: u32) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Insert in price order; returns the index.
    pub(super) fn insert(&mut self, e: Entry) -> usize {
        let at = self
            .entries
            .partition_point(|x| x.level.price < e.level.price);
        self.entries.insert(at, e);
        at
    }

    /// Restore price order after entry `i` moved (it moves within its own span, so a step or two).
    fn resort(&mut self, mut i: usize) {
        while i > 0 && self.entries[i - 1].level.price > self.entries[i].level.price {
            self.entries.swap(i - 1, i);
            i -= 1;
        }
        while i + 1 < self.entries.len()
            && self.entries[i + 1].level.price < self.entries[i].level.price
        {
            self.entries.swap(i, i + 1);
            i += 1;
        }
    }

    /// The nearer of the two neighbours of `p` in price order that `take` accepts.
    fn host(&self, p: f64, take: impl Fn(&Entry) -> bool) -> Option<usize> {
        let at = self.entries.partition_point(|x| x.level.price < p);
        [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter(|i| self.entries.get(*i).is_some_and(&take))
            .min_by(|a, b| {
                let d = |i: &usize| (self.entries[*i].level.price - p).abs();
                d(a).total_cmp(&d(b))
            })
    }

    pub(super) fn add_pivot(&mut self, p: f64, w: f64, tol: f64) {
        let i = match self.host(p, |e| e.accepts(p, tol)) {
            Some(i) => i,
            None => {
                let id = self.new_id();
                self.insert(Entry::new(id, p, LevelSource::Pivot, 0))
            }
        };
        let e = &mut self.entries[i];
        if e.level.source == LevelSource::PointOfControl {
            // A pivot at the POC makes it a pivot cluster that carries the POC's strength.
            e.level.source = LevelSource::Pivot;
            e.base = self.poc_strength;
            e.lo = p;
            e.hi = p;
            if let Some((px, _)) = self.poc {
                self.poc = Some((px, PocAt::In(e.id)));
            }
        }
        e.touches += 1;
        e.lo = e.lo.min(p);
        e.hi = e.hi.max(p);
        e.pv += p * w;
        e.w += w;
        if e.level.source == LevelSource::Pivot {
            e.level.price = e.pv / e.w;
        }
        e.restrength();
        let id = e.id;
        self.resort(i);
        let evicted = self.members.push(Member {
            price: p,
            weight: w,
            level: id,
        });
        if let Some(m) = evicted {
            self.remove_member(m);
        }
    }

    /// The oldest pivot leaves its level; a pivot cluster left without pivots is gone.
    fn remove_member(&mut self, m: Member) {
        let Some(i) = self.find(m.level) else { return };
        let e = &mut self.entries[i];
        e.touches = e.touches.saturating_sub(1);
        e.pv -= m.price * m.weight;
        e.w -= m.weight;
        e.restrength();
        if e.level.source == LevelSource::Pivot && e.touches == 0 {
            let gone = self.entries.remove(i);
            if self.poc.is_some_and(|(_, at)| at == PocAt::In(gone.id)) {
                // Re-placed on the next bar (a POC with no level counts as moved).
                self.poc = None;
            }
            return;
        }
        // The span of the pivots still in it, which only a pivot cluster reads (`accepts`). It
        // is its members' lowest and highest price, so a pivot leaving from strictly inside it
        // leaves it as it is: the members are looked at again only when one leaves an edge.
        let e = &mut self.entries[i];
        let is_pivot = e.level.source == LevelSource::Pivot;
        if is_pivot && !(e.lo < m.price && m.price < e.hi) {
            let (mut lo, mut hi) = (f64::MAX, f64::MIN);
            for x in self.members.values().iter().filter(|x| x.level == m.level) {
                lo = lo.min(x.price);
                hi = hi.max(x.price);
            }
            if lo <= hi {
                (e.lo, e.hi) = (lo, hi);
            }
        }
        if is_pivot && e.w > 0.0 {
            e.level.price = e.pv / e.w;
            self.resort(i);
        }
    }

    /// Move the POC: it leaves the level it was in (or its own entry) and joins the nearest
    /// level within tolerance, else stands as a level of its own.
    pub(super) fn place_poc(&mut self, poc: Option<f64>, tol: f64) {
        match self.poc.take() {
            Some((_, PocAt::Own(id))) => {
                if let Some(i) = self.find(id) {
                    self.entries.remove(i);
                }
            }
            Some((_, PocAt::In(id))) => {
                if let Some(i) = self.find(id) {
                    let e = &mut self.entries[i];
                    e.base = e.base.saturating_sub(self.poc_strength);
                    e.restrength();
                }
            }
            None => {}
        }
        let Some(p) = poc else { return };
        let at = match self.host(p, |e| (e.level.price - p).abs() <= tol) {
            Some(i) => {
                let e = &mut self.entries[i];
                e.base += self.poc_strength;
                e.restrength();
                PocAt::In(e.id)
            }
            None => {
                let id = self.new_id();
                self.insert(Entry::new(
                    id,
                    p,
                    LevelSource::PointOfControl,
                    self.poc_strength,
                ));
                PocAt::Own(id)
            }
        };
        self.poc = Some((p, at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::indicators::{Pivot, PivotKind};

    fn book(max_pivots: usize, support: Vec<f64>) -> LevelBook {
        let mut cfg = Config::default_config();
        cfg.levels.max_pivots = max_pivots;
        cfg.levels.support = support;
        LevelBook::new(&cfg)
    }

    fn pivot(price: f64, volume: f64) -> [Option<Pivot>; 2] {
        let p = Pivot {
            kind: PivotKind::Low,
            price,
            volume,
            bar: 0,
        };
        [Some(p), None]
    }

    /// Feed pivots one per bar (ATR 2 → tolerance 1), close far above; (price, source, strength).
    fn levels(b: &mut LevelBook, pivots: &[(f64, f64)]) -> Vec<(f64, LevelSource, u32)> {
        for (i, (p, v)) in pivots.iter().enumerate() {
            b.update(i as u64, 500.0, Some(2.0), None, pivot(*p, *v));
        }
        let mut out = Vec::new();
        b.levels_into(&mut out);
        out.iter()
            .map(|l| (l.price, l.source, l.strength))
            .collect()
    }

    #[test]
    fn pivots_join_within_tolerance_at_their_volume_weighted_mean() {
        use LevelSource::*;
        type Case<'a> = (&'a str, &'a [(f64, f64)], Vec<(f64, LevelSource, u32)>);
        let cases: [Case; 4] = [
            ("one pivot", &[(100.0, 1.0)], vec![(100.0, Pivot, 1)]),
            (
                "two within 1.0 join, weighted by volume",
                &[(100.0, 1.0), (100.8, 3.0)],
                vec![(100.6, Pivot, 2)],
            ),
            (
                "a third would stretch the span past 1.0: a level of its own",
                &[(100.0, 1.0), (100.8, 1.0), (101.2, 1.0)],
                vec![(100.4, Pivot, 2), (101.2, Pivot, 1)],
            ),
            (
                "far apart: two levels in price order",
                &[(110.0, 1.0), (100.0, 1.0)],
                vec![(100.0, Pivot, 1), (110.0, Pivot, 1)],
            ),
        ];
        for (name, pivots, want) in cases {
            let got = levels(&mut book(64, vec![]), pivots);
            assert_eq!(got.len(), want.len(), "{name}: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g.0 - w.0).abs() < 1e-9 && g.1 == w.1 && g.2 == w.2,
                    "{name}: {got:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// A pivot cluster's span stays its members' lowest and highest price through joins and
        /// removals (a removal from inside the span does not look at the members again).
        #[test]
        fn a_cluster_span_is_its_members_span(
            pivots in proptest::collection::vec((0u8..40, 1u8..4), 1..200),
            max_pivots in 1usize..12,
        ) {
            let mut b = book(max_pivots, vec![100.0]);
            for (i, (tenths, v)) in pivots.iter().enumerate() {
                // Prices on a 0.1 grid around a configured level: ties, joins and edges.
                let p = 98.0 + f64::from(*tenths) / 10.0;
                b.update(i as u64, 500.0, Some(2.0), None, pivot(p, f64::from(*v)));
                for e in b.entries.iter().filter(|e| e.level.source == LevelSource::Pivot) {
                    let prices = b.members.values().iter().filter(|m| m.level == e.id).map(|m| m.price);
                    let lo = prices.clone().fold(f64::MAX, f64::min);
                    let hi = prices.fold(f64::MIN, f64::max);
                    proptest::prop_assert_eq!((e.lo, e.hi), (lo, hi), "bar {}", i);
                }
            }
        }
    }

    #[test]
    fn the_oldest_pivot_leaves_and_an_empty_cluster_is_gone() {
        let mut b = book(2, vec![]);
        let got = levels(&mut b, &[(100.0, 1.0), (110.0, 1.0), (110.5, 1.0)]);
        // 100 left the window (max 2 pivots): only the 110 cluster, with its two pivots.
        assert_eq!(got.len(), 1, "{got:?}");
        assert!((got[0].0 - 110.25).abs() < 1e-9 && got[0].2 == 2, "{got:?}");
    }

    #[test]
    fn a_configured_level_keeps_its_price_and_gains_touches() {
        let mut b = book(64, vec![200.0]);
        let got = levels(&mut b, &[(200.6, 1.0), (195.0, 1.0)]);
        // configured strength 3 + one touch; 195 is too far to join.
        assert_eq!(
            got,
            vec![
                (195.0, LevelSource::Pivot, 1),
                (200.0, LevelSource::Configured, 4)
            ]
        );
    }

    #[test]
    fn the_poc_joins_a_near_level_and_leaves_it_when_it_moves() {
        let mut b = book(64, vec![]);
        levels(&mut b, &[(100.0, 1.0)]);
        b.update(1, 500.0, Some(2.0), Some(100.4), [None, None]);
        let mut out = Vec::new();
        b.levels_into(&mut out);
        // poc strength 2 added to the pivot level, no separate entry
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].strength, 3);
        b.update(2, 500.0, Some(2.0), Some(120.0), [None, None]);
        b.levels_into(&mut out);
        let got: Vec<_> = out
            .iter()
            .map(|l| (l.price, l.source, l.strength))
            .collect();
        assert_eq!(
            got,
            vec![
                (100.0, LevelSource::Pivot, 1),
                (120.0, LevelSource::PointOfControl, 2)
            ]
        );
    }
}
