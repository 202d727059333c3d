//! Swing pivots: a bar whose low (high) is the lowest (highest) of `k` bars on each side. A pivot
//! is only known `k` bars after it happened, so it is reported then ("confirmed k bars late").

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

/// Detects pivots by comparing the centre of the last 2k+1 bars with its neighbours: 2k
/// comparisons per kind, folded with `&` so no branch depends on prices (a monotonic deque does
/// fewer comparisons but mispredicts its pops; k is small). The definition: the centre is at most
/// every newer price and strictly beyond every older one, so a flat double bottom yields one
/// pivot, the first. A NaN fails every comparison, so it rules out a pivot of its kind while it
/// is in the window.
#[derive(Debug, Clone)]
pub struct PivotDetector {
    k: usize,
    /// Highs and lows of the last 2k+1 bars, each written at its slot and at slot + 2k+1: the
    /// window is then always one slice (`window`), read without wrapping index arithmetic.
    highs: Box<[f64]>,
    lows: Box<[f64]>,
    /// Volume and sequence number by slot: only the centre's are read.
    volumes: Box<[f64]>,
    bars: Box<[u64]>,
    /// The slot the next bar goes to (push number mod 2k+1).
    slot: usize,
    pushed: usize,
}

impl PivotDetector {
    pub fn new(k: usize) -> Self {
        let k = k.max(1);
        let len = 2 * k + 1;
        PivotDetector {
            k,
            highs: vec![0.0; 2 * len].into(),
            lows: vec![0.0; 2 * len].into(),
            volumes: vec![0.0; len].into(),
            bars: vec![0; len].into(),
            slot: 0,
            pushed: 0,
        }
    }

    /// Feed a bar; returns the pivots (at most one low and one high) confirmed by it.
    pub fn push(&mut self, bar: u64, high: f64, low: f64, volume: f64) -> [Option<Pivot>; 2] {
        let k = self.k;
        let len = 2 * k + 1;
        let s = self.slot;
        self.highs[s] = high;
        self.highs[s + len] = high;
        self.lows[s] = low;
        self.lows[s + len] = low;
        self.volumes[s] = volume;
        self.bars[s] = bar;
        self.slot = if s + 1 == len { 0 } else { s + 1 };
        self.pushed += 1;
        if self.pushed < len {
            return [None, None];
        }
        // Oldest first: slot s + 1 holds the bar pushed 2k ago, slot s + len this one.
        let window = s + 1..s + 1 + len;
        let (hw, lw) = (&self.highs[window.clone()], &self.lows[window]);
        let (ch, cl) = (hw[k], lw[k]);
        let (mut is_high, mut is_low) = (true, true);
        let older = hw[..k].iter().zip(&lw[..k]);
        let newer = hw[k + 1..].iter().zip(&lw[k + 1..]);
        for ((oh, ol), (nh, nl)) in older.zip(newer) {
            // Older bars: the centre must be strictly beyond them; newer ones it may equal.
            is_high &= (ch > *oh) & (ch >= *nh);
            is_low &= (cl < *ol) & (cl <= *nl);
        }
        // The centre's slot: k pushes back from s, modulo 2k+1.
        let c = if s >= k { s - k } else { s + k + 1 };
        let make = |kind, price| Pivot {
            kind,
            price,
            volume: self.volumes[c],
            bar: self.bars[c],
        };
        [
            is_low.then(|| make(PivotKind::Low, cl)),
            is_high.then(|| make(PivotKind::High, ch)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition over the whole history: bar c is a low (high) pivot when its low (high) is
    /// at most (at least) each of the k newer ones and strictly below (above) each of the k older
    /// ones; it is reported at bar c + k.
    fn by_definition(k: usize, bars: &[(u64, f64, f64)]) -> Vec<Vec<Pivot>> {
        let mut out = vec![Vec::new(); bars.len()];
        for c in k..bars.len().saturating_sub(k) {
            let (bar, ch, cl) = bars[c];
            let newer = &bars[c + 1..=c + k];
            let older = &bars[c - k..c];
            let low = newer.iter().all(|b| cl <= b.2) && older.iter().all(|b| cl < b.2);
            let high = newer.iter().all(|b| ch >= b.1) && older.iter().all(|b| ch > b.1);
            let make = |kind, price| Pivot {
                kind,
                price,
                volume: c as f64,
                bar,
            };
            out[c + k].extend(low.then(|| make(PivotKind::Low, cl)));
            out[c + k].extend(high.then(|| make(PivotKind::High, ch)));
        }
        out
    }

    /// Feed (bar gap, high, low) to the detector; every output must match the definition.
    fn same_as_definition(k: usize, bars: &[(u64, f64, f64)]) -> Result<(), TestCaseError> {
        let mut bar = 0;
        let numbered: Vec<_> = bars
            .iter()
            .map(|&(gap, high, low)| {
                bar += gap;
                (bar, high, low)
            })
            .collect();
        let want = by_definition(k, &numbered);
        let mut d = PivotDetector::new(k);
        for (i, &(bar, high, low)) in numbered.iter().enumerate() {
            let got: Vec<Pivot> = d
                .push(bar, high, low, i as f64)
                .into_iter()
                .flatten()
                .collect();
            // NaN prices make `==` fail on equal pivots: compare bit patterns.
            let key = |v: &[Pivot]| {
                v.iter()
                    .map(|p| (p.kind, p.price.to_bits(), p.volume.to_bits(), p.bar))
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(key(&got), key(&want[i]), "bar {}", i);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_the_definition_on_random_prices(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0.0..1.0f64, 90.0..110.0f64), 0..200),
        ) {
            let bars: Vec<_> = bars.iter().map(|&(g, s, l)| (g, l + s, l)).collect();
            same_as_definition(k, &bars)?;
        }

        /// A NaN fails every comparison of the definition: no pivot of its kind while it is in the
        /// window.
        #[test]
        fn matches_the_definition_around_nan(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0u8..3, 0u8..4, 0u8..12, 0u8..12), 0..200),
        ) {
            let nan_or = |x: u8, roll| if roll == 0 { f64::NAN } else { f64::from(x) };
            let bars: Vec<_> = bars
                .iter()
                .map(|&(g, s, l, rh, rl)| (g, nan_or(l + s, rh), nan_or(l, rl)))
                .collect();
            same_as_definition(k, &bars)?;
        }

        /// Few distinct integer prices: ties everywhere, the case the tie rules are about.
        #[test]
        fn matches_the_definition_on_ties(
            k in 1usize..=6,
            bars in prop::collection::vec((1u64..3, 0u8..3, 0u8..4), 0..200),
        ) {
            let bars: Vec<_> = bars
                .iter()
                .map(|&(g, s, l)| (g, f64::from(l + s), f64::from(l)))
                .collect();
            same_as_definition(k, &bars)?;
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
