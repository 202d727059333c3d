//! Swing pivots: a bar whose low (high) is the lowest (highest) of `k` bars on each side. A pivot
//! is only known `k` bars after it happened, so it is reported then ("confirmed k bars late").

use super::window::Ring;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PivotKind {
    Low,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pivot {
    pub kind: PivotKind,
    pub price: f64,
    /// Volume of the pivot bar: the weight of the pivot in a cluster.
    pub volume: f64,
    /// Sequence number of the pivot bar (not of the bar that confirmed it).
    pub bar: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Hlv {
    high: f64,
    low: f64,
    volume: f64,
    bar: u64,
}

/// Detects pivots with O(k) work per bar (k = 5: a constant).
#[derive(Debug, Clone)]
pub struct PivotDetector {
    k: usize,
    ring: Ring<Hlv>,
}

impl PivotDetector {
    pub fn new(k: usize) -> Self {
        let k = k.max(1);
        PivotDetector {
            k,
            ring: Ring::new(2 * k + 1),
        }
    }

    /// Feed a bar; returns the pivots (at most one low and one high) confirmed by it.
    pub fn push(&mut self, bar: u64, high: f64, low: f64, volume: f64) -> [Option<Pivot>; 2] {
        self.ring.push(Hlv {
            high,
            low,
            volume,
            bar,
        });
        if !self.ring.is_full() {
            return [None, None];
        }
        let k = self.k;
        let c = self.ring.nth(k);
        // Ties: strictly beyond the older side, at least equal to the newer side, so a flat
        // double bottom yields one pivot (the first), not two. Most bars are neither, so the
        // scan stops as soon as both tests failed.
        let mut is_low = true;
        let mut is_high = true;
        for ago in 0..k {
            let o = self.ring.nth(ago);
            is_low &= c.low <= o.low;
            is_high &= c.high >= o.high;
            if !(is_low || is_high) {
                return [None, None];
            }
        }
        for ago in k + 1..2 * k + 1 {
            let o = self.ring.nth(ago);
            is_low &= c.low < o.low;
            is_high &= c.high > o.high;
            if !(is_low || is_high) {
                return [None, None];
            }
        }
        let make = |kind, price| Pivot {
            kind,
            price,
            volume: c.volume,
            bar: c.bar,
        };
        [
            is_low.then(|| make(PivotKind::Low, c.low)),
            is_high.then(|| make(PivotKind::High, c.high)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: usize, lows: &[f64]) -> Vec<(u64, PivotKind)> {
        let mut d = PivotDetector::new(k);
        let mut out = Vec::new();
        for (i, l) in lows.iter().enumerate() {
            for p in d.push(i as u64, l + 1.0, *l, 1.0).into_iter().flatten() {
                out.push((p.bar, p.kind));
            }
        }
        out
    }

    #[test]
    fn pivots_table() {
        use PivotKind::*;
        type Case<'a> = (&'a [f64], Vec<(u64, PivotKind)>);
        let cases: [Case; 4] = [
            // a V: the low at bar 2 is confirmed at bar 4
            (&[5.0, 4.0, 3.0, 4.0, 5.0], vec![(2, Low)]),
            // an inverted V
            (&[3.0, 4.0, 5.0, 4.0, 3.0], vec![(2, High)]),
            // not enough bars on the right side yet
            (&[5.0, 4.0, 3.0, 4.0], vec![]),
            // flat double bottom: one pivot, the first
            (&[6.0, 5.0, 3.0, 3.0, 5.0, 6.0, 7.0], vec![(2, Low)]),
        ];
        for (lows, want) in cases {
            assert_eq!(run(2, lows), want, "{lows:?}");
        }
    }

    #[test]
    fn confirmation_comes_k_bars_late() {
        let mut d = PivotDetector::new(5);
        let lows = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let mut when = None;
        for (i, l) in lows.iter().enumerate() {
            if d.push(i as u64, l + 0.5, *l, 1.0)[0].is_some() {
                when = Some(i);
            }
        }
        assert_eq!(when, Some(10));
    }
}
