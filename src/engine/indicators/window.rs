//! Windowed helpers: `ta` averages that stay silent while warming up, `ta`'s running minimum
//! answered only over a whole window of numbers, a fixed ring (O(1) per value), and the variance
//! and median of a full ring, computed only when asked.

use ta::indicators::{ExponentialMovingAverage, Minimum, SimpleMovingAverage};
use ta::Next;

/// `ta`'s SMA/EMA emit values from the first input on; this wrapper reports `None` until
/// `period` inputs were seen, which is when TA-Lib starts reporting.
#[derive(Debug, Clone)]
pub struct Warm<I> {
    inner: I,
    period: usize,
    seen: usize,
}

pub type WarmSma = Warm<SimpleMovingAverage>;
pub type WarmEma = Warm<ExponentialMovingAverage>;

impl WarmSma {
    pub fn sma(period: usize) -> Self {
        let period = period.max(1);
        Warm {
            // `new` only fails for period 0, excluded just above.
            inner: SimpleMovingAverage::new(period).unwrap_or_default(),
            period,
            seen: 0,
        }
    }
}

impl WarmEma {
    pub fn ema(period: usize) -> Self {
        let period = period.max(1);
        Warm {
            inner: ExponentialMovingAverage::new(period).unwrap_or_default(),
            period,
            seen: 0,
        }
    }
}

impl<I: Next<f64, Output = f64>> Warm<I> {
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let v = self.inner.next(x);
        self.seen = self.seen.saturating_add(1);
        (self.seen >= self.period).then_some(v)
    }
}

/// `ta`'s minimum of the last `n` values (O(1) amortized: it searches its window again only
/// when the minimum leaves it), answered only when it is the minimum of `n` values that are all
/// numbers: NaN until `n` were seen and while one in the window is NaN. Every comparison with
/// NaN fails, as one with each value would have to fail then (no comparison passes a NaN);
/// `ta`'s own answer is meaningless while a NaN is in its window.
#[derive(Debug, Clone)]
pub struct WindowMin {
    inner: Minimum,
    n: u64,
    pushed: u64,
    /// The push count from which the window is whole and holds no NaN.
    ready_from: u64,
}

impl WindowMin {
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        WindowMin {
            // `new` only fails for n = 0, excluded just above.
            inner: Minimum::new(n).unwrap_or_default(),
            n: n as u64,
            pushed: 0,
            ready_from: n as u64,
        }
    }

    /// Push `x`; the minimum of the `n` values ending with it, or NaN (see the type).
    #[inline]
    pub fn push(&mut self, x: f64) -> f64 {
        self.pushed += 1;
        if x.is_nan() {
            // In the window for this push and the next n − 1.
            self.ready_from = self.pushed + self.n;
        }
        let m = self.inner.next(x);
        if self.pushed >= self.ready_from {
            m
        } else {
            f64::NAN
        }
    }
}

/// A fixed-capacity ring of the most recent values; never allocates after `new`.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    buf: Vec<T>,
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Ring<T> {
    pub fn new(cap: usize) -> Self {
        Ring {
            buf: vec![T::default(); cap.max(1)],
            head: 0,
            len: 0,
        }
    }

    pub fn cap(&self) -> usize {
        self.buf.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Push a value; returns the one that fell out when full.
    #[inline]
    pub fn push(&mut self, x: T) -> Option<T> {
        let cap = self.buf.len();
        let out = if self.len == cap {
            Some(self.buf[self.head])
        } else {
            self.len += 1;
            None
        };
        self.buf[self.head] = x;
        // A compare instead of `% cap`: an integer division costs ~40 cycles, on every bar.
        self.head += 1;
        if self.head == cap {
            self.head = 0;
        }
        out
    }

    /// `ago` = 0 is the newest value.
    #[inline]
    pub fn get(&self, ago: usize) -> Option<T> {
        (ago < self.len).then(|| self.buf[self.slot(ago)])
    }

    /// Like `get` for `ago` < len, without the `Option` (panics past the stored values).
    #[inline]
    pub fn nth(&self, ago: usize) -> T {
        debug_assert!(ago < self.len);
        self.buf[self.slot(ago)]
    }

    /// Buffer index of the value `ago` pushes back (`ago` < len, so one wrap at most).
    #[inline]
    fn slot(&self, ago: usize) -> usize {
        let cap = self.buf.len();
        let i = self.head + cap - 1 - ago;
        if i >= cap {
            i - cap
        } else {
            i
        }
    }

    /// Visit every stored value, in no particular order.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        // Until the ring wraps, values sit in 0..len; once full, everywhere.
        for x in &mut self.buf[..self.len] {
            f(x);
        }
    }

    /// The stored values in storage order (not age order): for sums, extremes and searches,
    /// without the per-element index arithmetic of `iter`.
    pub fn values(&self) -> &[T] {
        &self.buf[..self.len]
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).filter_map(move |i| self.get(i))
    }
}

/// `x.floor() as i64` without a libm call (the baseline x86-64 target has no `roundsd`); the
/// same answer for every f64, saturating like `as`.
#[inline]
pub fn floor_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// Population variance of a full window (None until it is full). Computed when asked (the view
/// reads it), so the per-bar path only stores the value.
pub fn variance(ring: &Ring<f64>) -> Option<f64> {
    if !ring.is_full() {
        return None;
    }
    let n = ring.len() as f64;
    let mean = ring.values().iter().sum::<f64>() / n;
    Some(
        ring.values()
            .iter()
            .map(|x| (x - mean) * (x - mean))
            .sum::<f64>()
            / n,
    )
}

/// The exact median of a full window, using `scratch` so no allocation happens after the first
/// call. O(n) when asked — by sizing when a signal fires and by the view — instead of work on
/// every bar.
pub fn median(ring: &Ring<f64>, scratch: &mut Vec<f64>) -> Option<f64> {
    if !ring.is_full() {
        return None;
    }
    scratch.clear();
    scratch.extend_from_slice(ring.values());
    let n = scratch.len();
    let (_, hi, _) = scratch.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = scratch[..n / 2].iter().copied().fold(f64::MIN, f64::max);
    Some((lo + hi) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_averages_are_silent_until_full() {
        let mut s = WarmSma::sma(3);
        assert_eq!(s.push(1.0), None);
        assert_eq!(s.push(2.0), None);
        assert_eq!(s.push(3.0), Some(2.0));
        assert_eq!(s.push(4.0), Some(3.0));
        let mut e = WarmEma::ema(2);
        assert_eq!(e.push(1.0), None);
        assert!(e.push(2.0).is_some());
    }

    proptest::proptest! {
        /// Against the minimum of the last n values by definition, on ties, signed zeros,
        /// infinities and NaNs: NaN until n values were seen and while one of them is NaN.
        #[test]
        fn window_min_matches_a_scan_of_the_window(
            n in 1usize..=25,
            xs in proptest::collection::vec(0u8..12, 0..300),
        ) {
            let special = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0];
            let mut w = WindowMin::new(n);
            let mut all = Vec::new();
            for (t, x) in xs.iter().enumerate() {
                let x = special.get(usize::from(*x)).copied().unwrap_or(f64::from(*x));
                let got = w.push(x);
                all.push(x);
                let win = &all[all.len().saturating_sub(n)..];
                if all.len() < n || win.iter().any(|v| v.is_nan()) {
                    proptest::prop_assert!(got.is_nan(), "t {}: {}", t, got);
                } else {
                    let min = win.iter().copied().fold(f64::INFINITY, f64::min);
                    // Equal as numbers: which zero a window of ±0 reports does not matter.
                    proptest::prop_assert!(got == min, "t {}: {} vs {}", t, got, min);
                }
            }
        }
    }

    #[test]
    fn ring_keeps_the_newest() {
        let mut r = Ring::new(3);
        for x in 1..=4 {
            r.push(x);
        }
        assert_eq!(r.get(0), Some(4));
        assert_eq!(r.get(2), Some(2));
        assert_eq!(r.get(3), None);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![4, 3, 2]);
    }

    #[test]
    fn variance_and_median_of_a_full_window() {
        let mut r = Ring::new(4);
        let mut scratch = Vec::new();
        for x in [1.0, 2.0, 4.0, 8.0] {
            assert_eq!(variance(&r), None);
            assert_eq!(median(&r, &mut scratch), None);
            r.push(x);
        }
        r.push(16.0); // window: 2, 4, 8, 16
                      // mean 7.5: deviations −5.5, −3.5, 0.5, 8.5
        let var = (30.25 + 12.25 + 0.25 + 72.25) / 4.0;
        assert!((variance(&r).unwrap() - var).abs() < 1e-12);
        assert_eq!(median(&r, &mut scratch), Some(6.0));
        let mut odd = Ring::new(3);
        for x in [5.0, 1.0, 3.0, 9.0] {
            odd.push(x);
        }
        assert_eq!(median(&odd, &mut scratch), Some(3.0));
    }
}
