//! Swing pivots: a bar whose low (high) is the lowest (highest) of `k` bars on each side. A pivot
//! is only known `k` bars after it happened, so it is reported then ("confirmed k bars late").

use super::window::MonoWindow;

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

/// What a pivot reports about its bar, kept beside the price that ranks it.
#[derive(Debug, Clone, Copy)]
struct At {
    price: f64,
    volume: f64,
    bar: u64,
}

impl At {
    /// NaN compares false both ways: neither strict test below ever drops it.
    const STOP: At = At {
        price: f64::NAN,
        volume: 0.0,
        bar: 0,
    };
}

/// Detects pivots in amortised O(1) per bar. The definition (the centre bar at most every newer
/// price and strictly beyond every older one) says the centre is the *oldest* extreme of the
/// 2k+1 bar window, which is what a monotonic deque that keeps the older of equal values holds at
/// its front.
#[derive(Debug, Clone)]
pub struct PivotDetector {
    k: u64,
    lows: MonoWindow<At>,
    highs: MonoWindow<At>,
}

impl PivotDetector {
    pub fn new(k: usize) -> Self {
        let k = k.max(1);
        PivotDetector {
            k: k as u64,
            lows: MonoWindow::new(2 * k + 1, At::STOP),
            highs: MonoWindow::new(2 * k + 1, At::STOP),
        }
    }

    /// Feed a bar; returns the pivots (at most one low and one high) confirmed by it.
    pub fn push(&mut self, bar: u64, high: f64, low: f64, volume: f64) -> [Option<Pivot>; 2] {
        // Strict tests, so an equal older price stays in front: a flat double bottom yields
        // one pivot (the first), not two.
        let at = |price| At { price, volume, bar };
        self.lows.push(at(low), |o| o.price > low);
        self.highs.push(at(high), |o| o.price < high);
        if !self.lows.is_full() {
            return [None, None];
        }
        let k = self.k;
        let pivot = |w: &MonoWindow<At>, kind| {
            let c = w.front_from(k)?;
            // A NaN in the window fails every comparison of the definition, so it rules out a
            // pivot; no test drops a NaN from the deque, so it is still there to be seen. Looked for
            // only behind a candidate: about one bar in eight at k = 5.
            if w.iter().any(|o| o.price.is_nan()) {
                return None;
            }
            Some(Pivot {
                kind,
                price: c.price,
                volume: c.volume,
                bar: c.bar,
            })
        };
        [
            pivot(&self.lows, PivotKind::Low),
            pivot(&self.highs, PivotKind::High),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::Ring;
    use proptest::prelude::*;

    /// The detector before the deque: scan the k newer and k older neighbours of the centre.
    struct Scan {
        k: usize,
        ring: Ring<(f64, f64, f64, u64)>,
    }

    impl Scan {
        fn new(k: usize) -> Self {
            let k = k.max(1);
            Scan {
                k,
                ring: Ring::new(2 * k + 1),
            }
        }

        fn push(&mut self, bar: u64, high: f64, low: f64, volume: f64) -> [Option<Pivot>; 2] {
            self.ring.push((high, low, volume, bar));
            if !self.ring.is_full() {
                return [None, None];
            }
            let k = self.k;
            let (ch, cl, cv, cb) = self.ring.nth(k);
            let (mut is_low, mut is_high) = (true, true);
            for ago in 0..2 * k + 1 {
                let (h, l, _, _) = self.ring.nth(ago);
                if ago < k {
                    is_low &= cl <= l;
                    is_high &= ch >= h;
                } else if ago > k {
                    is_low &= cl < l;
                    is_high &= ch > h;
                }
            }
            let make = |kind, price| Pivot {
                kind,
                price,
                volume: cv,
                bar: cb,
            };
            [
                is_low.then(|| make(PivotKind::Low, cl)),
                is_high.then(|| make(PivotKind::High, ch)),
            ]
        }
    }

    /// Feed (bar gap, high, low) to both detectors; every output must agree.
    fn same_as_scan(k: usize, bars: &[(u64, f64, f64)]) -> Result<(), TestCaseError> {
        let (mut fast, mut slow) = (PivotDetector::new(k), Scan::new(k));
        let mut bar = 0;
        for (i, &(gap, high, low)) in bars.iter().enumerate() {
            bar += gap;
            let volume = i as f64;
            let want = slow.push(bar, high, low, volume);
            prop_assert_eq!(fast.push(bar, high, low, volume), want, "bar {}", i);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_the_scan_on_random_prices(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0.0..1.0f64, 90.0..110.0f64), 0..200),
        ) {
            let bars: Vec<_> = bars.iter().map(|&(g, s, l)| (g, l + s, l)).collect();
            same_as_scan(k, &bars)?;
        }

        /// A NaN fails every comparison of the scan: no pivot of its kind while it is in the
        /// window.
        #[test]
        fn matches_the_scan_around_nan(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0u8..3, 0u8..4, 0u8..12, 0u8..12), 0..200),
        ) {
            let nan_or = |x: u8, roll| if roll == 0 { f64::NAN } else { f64::from(x) };
            let bars: Vec<_> = bars
                .iter()
                .map(|&(g, s, l, rh, rl)| (g, nan_or(l + s, rh), nan_or(l, rl)))
                .collect();
            same_as_scan(k, &bars)?;
        }

        /// Few distinct integer prices: ties everywhere, the case the tie rules are about.
        #[test]
        fn matches_the_scan_on_ties(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0u8..3, 0u8..4), 0..200),
        ) {
            let bars: Vec<_> = bars
                .iter()
                .map(|&(g, s, l)| (g, f64::from(l + s), f64::from(l)))
                .collect();
            same_as_scan(k, &bars)?;
        }
    }

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
