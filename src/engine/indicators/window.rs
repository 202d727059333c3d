//! Windowed helpers with O(1) work per value: `ta` averages that stay silent while warming up, a
//! fixed ring, rolling variance, and a rolling median of ATR% kept in a log-spaced histogram.

use ta::indicators::{ExponentialMovingAverage, SimpleMovingAverage};
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
        for x in self.buf.iter_mut().take(self.len) {
            f(x);
        }
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

/// Population variance of the last `n` values from a running sum and sum of squares.
#[derive(Debug, Clone)]
pub struct RollingVar {
    ring: Ring<f64>,
    sum: f64,
    sumsq: f64,
}

impl RollingVar {
    pub fn new(n: usize) -> Self {
        RollingVar {
            ring: Ring::new(n),
            sum: 0.0,
            sumsq: 0.0,
        }
    }

    pub fn push(&mut self, x: f64) -> Option<f64> {
        if let Some(old) = self.ring.push(x) {
            self.sum -= old;
            self.sumsq -= old * old;
        }
        self.sum += x;
        self.sumsq += x * x;
        if !self.ring.is_full() {
            return None;
        }
        let n = self.ring.len() as f64;
        let mean = self.sum / n;
        Some((self.sumsq / n - mean * mean).max(0.0))
    }
}

/// Rolling median of positive values (ATR%) over a window, for display. Values go into
/// log-spaced buckets 0.5 % apart, and a pointer to the median bucket moves as values enter and
/// leave: O(1) amortized per value (ATR% moves slowly, so the pointer moves a bucket or two).
/// Resolution is ±0.25 % of the value; sizing uses the exact median (`exact_median`) instead,
/// computed only when a signal fires.
#[derive(Debug, Clone)]
pub struct MedianTracker {
    /// Each value with its bucket, so the value leaving the window costs no second `ln`.
    ring: Ring<(f64, u32)>,
    counts: Vec<u32>,
    /// Bucket the median sits in, and how many values lie in buckets below it.
    ptr: usize,
    below: usize,
    /// `value(ptr)`, refreshed when the pointer moves (an `exp` per bar otherwise).
    ptr_value: f64,
}

const MEDIAN_BUCKETS: usize = 4096;
const LOG_STEP: f64 = 0.005;

impl MedianTracker {
    pub fn new(n: usize) -> Self {
        MedianTracker {
            ring: Ring::new(n),
            counts: vec![0; MEDIAN_BUCKETS],
            ptr: MEDIAN_BUCKETS / 2,
            below: 0,
            ptr_value: Self::value(MEDIAN_BUCKETS / 2),
        }
    }

    fn bucket(x: f64) -> usize {
        // 1e-6 .. ~e^20: beyond any ATR% we will meet.
        let b = floor_i64((x.max(1e-9).ln() + 14.0) / LOG_STEP);
        b.clamp(0, MEDIAN_BUCKETS as i64 - 1) as usize
    }

    fn value(b: usize) -> f64 {
        ((b as f64 + 0.5) * LOG_STEP - 14.0).exp()
    }

    pub fn push(&mut self, x: f64) {
        let b = Self::bucket(x);
        if let Some((_, old)) = self.ring.push((x, b as u32)) {
            let old = old as usize;
            self.counts[old] -= 1;
            if old < self.ptr {
                self.below -= 1;
            }
        }
        self.counts[b] += 1;
        if b < self.ptr {
            self.below += 1;
        }
        self.rebalance();
    }

    /// Move the pointer until the bucket holds the middle value (index len/2 in sorted order).
    fn rebalance(&mut self) {
        let mid = self.ring.len() / 2;
        let was = self.ptr;
        while self.below > mid && self.ptr > 0 {
            self.ptr -= 1;
            self.below -= self.counts[self.ptr] as usize;
        }
        while self.below + (self.counts[self.ptr] as usize) <= mid && self.ptr + 1 < MEDIAN_BUCKETS
        {
            self.below += self.counts[self.ptr] as usize;
            self.ptr += 1;
        }
        if self.ptr != was {
            self.ptr_value = Self::value(self.ptr);
        }
    }

    /// The approximate median once the window is full.
    pub fn median(&self) -> Option<f64> {
        self.ring.is_full().then_some(self.ptr_value)
    }

    /// The exact median, using `scratch` so no allocation happens after the first call.
    pub fn exact_median(&self, scratch: &mut Vec<f64>) -> Option<f64> {
        if !self.ring.is_full() {
            return None;
        }
        scratch.clear();
        scratch.extend(self.ring.iter().map(|(x, _)| x));
        let n = scratch.len();
        let (_, hi, _) = scratch.select_nth_unstable_by(n / 2, f64::total_cmp);
        let hi = *hi;
        if n % 2 == 1 {
            return Some(hi);
        }
        let lo = scratch[..n / 2].iter().copied().fold(f64::MIN, f64::max);
        Some((lo + hi) / 2.0)
    }
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
    fn rolling_variance_matches_direct() {
        let mut v = RollingVar::new(4);
        let xs = [1.0, 2.0, 4.0, 8.0, 16.0];
        let mut last = None;
        for x in xs {
            last = v.push(x);
        }
        let w = [2.0, 4.0, 8.0, 16.0];
        let m = w.iter().sum::<f64>() / 4.0;
        let var = w.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 4.0;
        assert!((last.unwrap() - var).abs() < 1e-9);
    }

    #[test]
    fn median_tracker_follows_the_exact_median_within_resolution() {
        let mut t = MedianTracker::new(51);
        let mut scratch = Vec::new();
        let mut x = 0.02;
        for i in 0..500 {
            // a wandering positive series
            x *= if (i * 7919) % 13 < 6 { 1.03 } else { 0.975 };
            t.push(x);
            if let (Some(a), Some(e)) = (t.median(), t.exact_median(&mut scratch)) {
                assert!((a / e - 1.0).abs() < 0.006, "{a} vs {e} at {i}");
            }
        }
    }
}
