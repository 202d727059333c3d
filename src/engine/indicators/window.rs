//! Windowed helpers: `ta` averages that stay silent while warming up, a fixed ring (O(1) per
//! value), a sliding-window monotonic deque (rolling extremes), and the variance and median of a
//! full ring, computed only when asked.

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

    /// The stored values in storage order (not age order): for sums, extremes and searches,
    /// without the per-element index arithmetic of `iter`.
    pub fn values(&self) -> &[T] {
        &self.buf[..self.len]
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).filter_map(move |i| self.get(i))
    }
}

/// A sliding-window monotonic deque: the extreme of the last `window` pushes in amortised O(1).
/// Which extreme, and which of equal values wins, is the caller's `beaten` test in `push`. The
/// storage is a power-of-two array indexed through a mask: no allocation and no division per push.
#[derive(Debug, Clone)]
pub struct MonoWindow<T> {
    /// (push number at which the value leaves the window, value). Values sit at `head..tail`;
    /// the slot just before `head` holds `stop`, which ends the popping loop at an empty deque
    /// without a length test in every round.
    slots: Vec<(u64, T)>,
    stop: T,
    /// Free-running counters (a u64 of pushes never wraps); `& (len - 1)` finds the slot.
    head: u64,
    tail: u64,
    window: u64,
    pushed: u64,
}

/// Leave number of a slot that holds no value: no push number reaches it.
const NEVER: u64 = u64::MAX;

impl<T: Copy> MonoWindow<T> {
    /// `stop` must be a value `beaten` never drops (NaN, for a comparison of prices).
    pub fn new(window: usize, stop: T) -> Self {
        let window = window.max(1);
        // Up to `window` values plus the stop slot, so a push never overwrites the stop.
        MonoWindow {
            slots: vec![(NEVER, stop); (window + 1).next_power_of_two()],
            stop,
            head: 1,
            tail: 1,
            window: window as u64,
            pushed: 0,
        }
    }

    /// At least `window` values were pushed.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.pushed >= self.window
    }

    /// Push `x`, dropping the value that left the window and every value `beaten(old)` says `x`
    /// supersedes (those can never be the extreme again while `x` is in the window).
    #[inline]
    pub fn push(&mut self, x: T, mut beaten: impl FnMut(&T) -> bool) {
        // The mask taken from the slice itself lets the compiler drop every bounds check after
        // this one; head and tail in locals keep the loop from storing them on each pop.
        let slots = &mut self.slots[..];
        let mask = slots.len() as u64 - 1;
        let at = |i: u64| (i & mask) as usize;
        let n = self.pushed;
        self.pushed = n + 1;
        let (mut head, mut tail) = (self.head, self.tail);
        // Push numbers are distinct and consecutive, so at most one value leaves per push. Every
        // push leaves a value, so `head` is a value here, except at the first push: a stop slot,
        // whose `NEVER` matches no push number.
        let front = &mut slots[at(head)];
        if front.0 == n {
            *front = (NEVER, self.stop);
            head += 1;
        }
        while beaten(&slots[at(tail - 1)].1) {
            tail -= 1;
        }
        slots[at(tail)] = (n + self.window, x);
        self.head = head;
        self.tail = tail + 1;
    }

    /// The window's extreme (None before the first push).
    #[inline]
    pub fn front(&self) -> Option<&T> {
        (self.head != self.tail).then(|| &self.slots[self.slot(self.head)].1)
    }

    /// The window's extreme if it came `ago` pushes back (0 = the newest; `ago` < window).
    #[inline]
    pub fn front_from(&self, ago: u64) -> Option<&T> {
        debug_assert!(ago < self.window);
        let (leaves, x) = &self.slots[self.slot(self.head)];
        // Before the first push `head` is a stop slot, whose `NEVER` matches no `ago` < window;
        // wrapping keeps that case free of overflow.
        let want = self.pushed.wrapping_sub(1 + ago).wrapping_add(self.window);
        (*leaves == want).then_some(x)
    }

    /// The values held, oldest first: the front and the values that may become it.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        (self.head..self.tail).map(move |i| &self.slots[self.slot(i)].1)
    }

    #[inline]
    fn slot(&self, i: u64) -> usize {
        (i & (self.slots.len() as u64 - 1)) as usize
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
    fn mono_window_keeps_the_oldest_minimum() {
        let mut w = MonoWindow::new(3, i32::MIN);
        let mut fronts = Vec::new();
        for x in [5, 3, 4, 3, 6, 7, 8, 1, 9] {
            w.push(x, |old| *old > x);
            let ago = (0..3).find(|&ago| w.front_from(ago).is_some());
            fronts.push(ago.zip(w.front().copied()));
        }
        // The first 3 is kept over the later equal one until it leaves the window.
        // A new minimum empties the deque; then the stop ends the next push's popping.
        let want = [
            (0, 5),
            (0, 3),
            (1, 3),
            (2, 3),
            (1, 3),
            (2, 3),
            (2, 6),
            (0, 1),
            (1, 1),
        ];
        assert_eq!(fronts, want.map(Some));
        assert_eq!(w.iter().copied().collect::<Vec<_>>(), vec![1, 9]);
        assert!(w.is_full());
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
