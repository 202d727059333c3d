//! Simple moving averages of one series over several windows (the closes' fast, mid and slow
//! SMAs), sharing one ring of its values. `ta`'s `SimpleMovingAverage` keeps a ring each, wraps
//! its index with a branch and divides on every input, also while warming up, when the wrapper
//! (`Warm`) throws the value away: 37 instructions an SMA a bar, against about 10 here.
//!
//! The arithmetic is `ta`'s step for step, so the values are its values bit for bit (tested
//! against it below): a running sum, minus the value leaving the window (0.0 while fewer values
//! than the period were seen, as `ta`'s ring starts with zeros), plus the new one, then divided
//! by the period. `None` until the window is full, when TA-Lib starts reporting.

/// The SMAs of `N` windows over one series.
#[derive(Debug, Clone)]
pub struct SmaSet<const N: usize> {
    periods: [usize; N],
    /// The periods as floats, converted once.
    divisors: [f64; N],
    sums: [f64; N],
    /// The last `cap` values (zeros before the first), each written at its slot and at
    /// slot + cap: the value `p` pushes back is then `ring[head + cap - p]`, without wrapping.
    ring: Box<[f64]>,
    cap: usize,
    head: usize,
    seen: usize,
}

impl<const N: usize> SmaSet<N> {
    pub fn new(periods: [usize; N]) -> Self {
        let periods = periods.map(|p| p.max(1));
        let cap = periods.iter().copied().max().unwrap_or(1);
        SmaSet {
            periods,
            divisors: periods.map(|p| p as f64),
            sums: [0.0; N],
            ring: vec![0.0; 2 * cap].into(),
            cap,
            head: 0,
            seen: 0,
        }
    }

    /// Feed one value; each window's mean once it is full.
    #[inline]
    pub fn push(&mut self, x: f64) -> [Option<f64>; N] {
        let (cap, h) = (self.cap, self.head);
        for (sum, p) in self.sums.iter_mut().zip(self.periods) {
            *sum = *sum - self.ring[h + cap - p] + x;
        }
        self.ring[h] = x;
        self.ring[h + cap] = x;
        self.head = if h + 1 == cap { 0 } else { h + 1 };
        self.seen = self.seen.saturating_add(1);
        std::array::from_fn(|j| {
            (self.seen >= self.periods[j]).then(|| self.sums[j] / self.divisors[j])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::indicators::WarmSma;
    use proptest::prelude::*;

    fn bits(v: Option<f64>) -> Option<u64> {
        v.map(f64::to_bits)
    }

    /// Every output against `ta`'s SMA in its warm-up wrapper, bit for bit.
    fn same_as_ta(periods: [usize; 3], xs: &[f64]) -> Result<(), TestCaseError> {
        let mut set = SmaSet::new(periods);
        let mut ta = periods.map(WarmSma::sma);
        for (i, x) in xs.iter().enumerate() {
            let got = set.push(*x);
            for (j, t) in ta.iter_mut().enumerate() {
                prop_assert_eq!(bits(got[j]), bits(t.push(*x)), "value {} window {}", i, j);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_ta_on_prices(
            periods in prop::array::uniform3(0usize..40),
            xs in prop::collection::vec(50.0..250.0f64, 0..300),
        ) {
            same_as_ta(periods, &xs)?;
        }

        /// Wide magnitudes (the running sum rounds), NaN and infinities (they stay in the sum).
        #[test]
        fn matches_ta_on_any_values(
            periods in prop::array::uniform3(0usize..12),
            xs in prop::collection::vec(prop_oneof![
                8 => -1e12..1e12f64,
                1 => Just(f64::NAN),
                1 => Just(f64::INFINITY),
                1 => Just(f64::NEG_INFINITY),
                1 => Just(0.0),
            ], 0..100),
        ) {
            same_as_ta(periods, &xs)?;
        }
    }

    #[test]
    fn silent_until_each_window_is_full() {
        let mut s = SmaSet::new([1, 3]);
        assert_eq!(s.push(1.0), [Some(1.0), None]);
        assert_eq!(s.push(2.0), [Some(2.0), None]);
        assert_eq!(s.push(3.0), [Some(3.0), Some(2.0)]);
        assert_eq!(s.push(7.0), [Some(7.0), Some(4.0)]);
    }
}
