//! Volume profile over the last `profile_bars` bars and its point of control (POC): the price
//! bucket holding the most volume. Bucket width = `bucket_atr` × ATR.
//!
//! Why the per-bar cost stays O(1) amortized:
//! - each bar puts its whole volume into the bucket of its typical price (h + l + c) / 3, and the
//!   bar leaving the window takes its volume out of the bucket it went into (remembered in a
//!   ring), so a bar costs one add and one subtract;
//! - buckets live in a flat `Vec` indexed from a base; the POC is tracked by comparison on every
//!   add. Only when the bar leaving the window sat in the POC bucket is the `Vec` rescanned, and
//!   the `Vec` only spans the window's price range (a few hundred buckets at most);
//! - the width follows the ATR with hysteresis: the profile is rebuilt (O(window)) only when the
//!   ATR has moved more than 25 % from the ATR the width was set with, and at most once every
//!   `window / 8` bars, so rebuilds cost at most 8 operations per bar amortized. A price outside
//!   the bucket array also triggers a rebuild (re-centred with a wide margin), rare by design.

use super::window::{floor_i64, Ring};

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    price: f64,
    volume: f64,
    bucket: i64,
}

#[derive(Debug, Clone)]
pub struct VolumeProfile {
    ring: Ring<Slot>,
    bucket_atr: f64,
    /// Width in dollars, and the ATR it was derived from.
    width: f64,
    width_atr: f64,
    base: i64,
    buckets: Vec<f64>,
    poc: Option<usize>,
    bars_since_rebuild: usize,
}

/// Spare buckets on each side of the window's range after a rebuild.
const MARGIN: i64 = 64;
const ATR_DRIFT: f64 = 1.25;

impl VolumeProfile {
    pub fn new(bars: usize, bucket_atr: f64) -> Self {
        VolumeProfile {
            ring: Ring::new(bars),
            bucket_atr,
            width: 0.0,
            width_atr: 0.0,
            base: 0,
            buckets: Vec::new(),
            poc: None,
            bars_since_rebuild: 0,
        }
    }

    /// Feed a bar and the current ATR (None while it warms up).
    pub fn push(&mut self, high: f64, low: f64, close: f64, volume: f64, atr: Option<f64>) {
        let price = (high + low + close) / 3.0;
        self.bars_since_rebuild += 1;
        let atr = atr.filter(|a| *a > 0.0 && a.is_finite());
        let drifted = atr.is_some_and(|a| {
            self.width_atr == 0.0
                || a > self.width_atr * ATR_DRIFT
                || a * ATR_DRIFT < self.width_atr
        });
        let may_rebuild = self.width == 0.0 || self.bars_since_rebuild >= self.ring.cap() / 8;
        // The leaving bar's slot, pushed out below.
        let slot = Slot {
            price,
            volume,
            bucket: self.bucket_of(price),
        };
        let out = self.ring.push(slot);
        if let (true, true, Some(a)) = (drifted, may_rebuild, atr) {
            self.rebuild(a);
            return;
        }
        if self.width == 0.0 {
            return;
        }
        if let Some(old) = out {
            self.remove(old);
        }
        if !self.add(slot.bucket, volume) {
            // Outside the array: re-centre at the same width.
            self.rebuild(self.width_atr);
        }
    }

    fn bucket_of(&self, price: f64) -> i64 {
        if self.width > 0.0 {
            floor_i64(price / self.width)
        } else {
            0
        }
    }

    fn add(&mut self, bucket: i64, volume: f64) -> bool {
        let i = bucket - self.base;
        if i < 0 || i >= self.buckets.len() as i64 {
            return false;
        }
        let i = i as usize;
        self.buckets[i] += volume;
        match self.poc {
            Some(p) if self.buckets[p] >= self.buckets[i] => {}
            _ => self.poc = Some(i),
        }
        true
    }

    fn remove(&mut self, old: Slot) {
        let i = old.bucket - self.base;
        if i >= 0 && (i as usize) < self.buckets.len() {
            let i = i as usize;
            self.buckets[i] = (self.buckets[i] - old.volume).max(0.0);
            // Only a shrinking POC can lose its place; anything else leaves it the maximum.
            if self.poc == Some(i) {
                self.rescan();
            }
        }
    }

    fn rescan(&mut self) {
        self.poc = self
            .buckets
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
    }

    /// Re-bucket the whole window with a width from `atr`.
    fn rebuild(&mut self, atr: f64) {
        self.bars_since_rebuild = 0;
        self.width_atr = atr;
        self.width = self.bucket_atr.max(1e-6) * atr;
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for s in self.ring.values() {
            lo = lo.min(s.price);
            hi = hi.max(s.price);
        }
        if lo > hi {
            return;
        }
        let (blo, bhi) = (self.bucket_of(lo), self.bucket_of(hi));
        self.base = blo - MARGIN;
        let len = (bhi - blo + 1 + 2 * MARGIN).clamp(1, 1 << 20) as usize;
        self.buckets.clear();
        self.buckets.resize(len, 0.0);
        // Slots remember their bucket; rewrite them in place with the new width.
        let (width, base) = (self.width, self.base);
        let buckets = &mut self.buckets;
        self.ring.for_each_mut(|s| {
            s.bucket = floor_i64(s.price / width);
            let i = (s.bucket - base).clamp(0, len as i64 - 1) as usize;
            buckets[i] += s.volume;
        });
        self.rescan();
    }

    /// The POC's price (bucket middle) once the window is full.
    pub fn poc(&self) -> Option<f64> {
        if !self.ring.is_full() || self.width == 0.0 {
            return None;
        }
        let p = self.poc?;
        Some((self.base + p as i64) as f64 * self.width + self.width / 2.0)
    }

    pub fn width(&self) -> f64 {
        self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poc_is_the_fullest_bucket_and_forgets_old_bars() {
        let mut p = VolumeProfile::new(4, 1.0);
        // width = 1 × ATR 1.0 → buckets of $1
        for (price, vol) in [(10.2, 5.0), (11.5, 1.0), (11.6, 1.0), (12.5, 3.0)] {
            p.push(price, price, price, vol, Some(1.0));
        }
        assert_eq!(p.poc(), Some(10.5));
        // 10.2 leaves the window; bucket 11 now holds 1 + 1 + 4 = 6
        p.push(11.4, 11.4, 11.4, 4.0, Some(1.0));
        assert_eq!(p.poc(), Some(11.5));
    }

    #[test]
    fn no_poc_before_the_window_is_full_or_atr_known() {
        let mut p = VolumeProfile::new(3, 0.25);
        p.push(10.0, 10.0, 10.0, 1.0, None);
        p.push(10.0, 10.0, 10.0, 1.0, None);
        p.push(10.0, 10.0, 10.0, 1.0, None);
        assert_eq!(p.poc(), None);
        p.push(10.0, 10.0, 10.0, 1.0, Some(2.0));
        assert!(p.poc().is_some());
        assert!((p.width() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn far_prices_recentre_instead_of_getting_lost() {
        let mut p = VolumeProfile::new(3, 1.0);
        for price in [10.0, 10.0, 10.0, 500.0, 500.0] {
            p.push(price, price, price, 1.0, Some(1.0));
        }
        assert_eq!(p.poc(), Some(500.5));
    }
}
