//! Volume profile over the last `profile_bars` bars and its point of control (POC): the price
//! bucket holding the most volume. Bucket width = `bucket_atr` × ATR.
//!
//! Why the per-bar cost stays O(1) amortized:
//! - each bar puts its whole volume into the bucket of its typical price (h + l + c) / 3, and the
//!   bar leaving the window takes its volume out of the bucket it went into (remembered in a
//!   ring), so a bar costs one add and one subtract;
//! - buckets live in a flat `Vec` indexed from a base; the POC is tracked by comparison on every
//!   add. Only when the bar leaving the window sat in the POC bucket (about one bar in 28 on the
//!   benchmark's walk) is it searched again, and then only over the live range: the buckets
//!   filled since the last rebuild, less edges found empty. Every other bucket holds exactly
//!   +0.0, so a positive maximum inside is the maximum; the walk scans ~70 of ~190 buckets. A
//!   max-tree would avoid the scans but cost two O(log n) updates on every bar, more than the
//!   scans it saves at that rate;
//! - the width follows the ATR with hysteresis: the profile is rebuilt (O(window)) only when the
//!   ATR has moved more than 25 % from the ATR the width was set with, and at most once every
//!   `window / 8` bars (the walk rebuilds every ~165 bars). A rebuild is one pass for the price
//!   range and one that re-buckets and sums. A price outside the bucket array also triggers a
//!   rebuild (re-centred with a wide margin), rare by design.
//!
//! Ties, which integer volumes make common: an add keeps the POC when the new bucket only equals
//! it; a rescan takes the last fullest bucket, as `Iterator::max_by` with `f64::total_cmp` does.
//! `profile_props.rs` keeps the straightforward implementation and checks that this one agrees
//! with it bit for bit.

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
    /// Bucket index range `[start, end)` outside which every bucket holds exactly +0.0, so a
    /// rescan that finds a positive maximum inside has found the maximum of the whole array.
    live: (usize, usize),
    poc: Option<usize>,
    /// `poc()`'s answer (ignoring warm-up), refreshed whenever the POC, base or width moves:
    /// the view asks every bar, the POC moves far less often.
    poc_price: Option<f64>,
    bars_since_rebuild: usize,
    rebuild_every: usize,
}

/// Spare buckets on each side of the window's range after a rebuild.
const MARGIN: i64 = 64;
const ATR_DRIFT: f64 = 1.25;
/// Cap on the bucket array, against absurd width/price ratios.
const MAX_BUCKETS: i64 = 1 << 20;

impl VolumeProfile {
    pub fn new(bars: usize, bucket_atr: f64) -> Self {
        let ring = Ring::new(bars);
        VolumeProfile {
            rebuild_every: ring.cap() / 8,
            ring,
            bucket_atr,
            width: 0.0,
            width_atr: 0.0,
            base: 0,
            buckets: Vec::new(),
            live: (0, 0),
            poc: None,
            poc_price: None,
            bars_since_rebuild: 0,
        }
    }

    /// Feed a bar and the current ATR (None while it warms up).
    pub fn push(&mut self, high: f64, low: f64, close: f64, volume: f64, atr: Option<f64>) {
        let price = (high + low + close) / 3.0;
        self.bars_since_rebuild += 1;
        let slot = Slot {
            price,
            volume,
            bucket: self.bucket_of(price),
        };
        let out = self.ring.push(slot);
        // Cheapest tests first: most bars fall inside the ±25 % band, and until `rebuild_every`
        // bars have passed the ATR is not even looked at.
        if self.width == 0.0 || self.bars_since_rebuild >= self.rebuild_every {
            if let Some(a) = atr {
                let w = self.width_atr;
                if (w == 0.0 || a > w * ATR_DRIFT || a * ATR_DRIFT < w) && a > 0.0 && a.is_finite()
                {
                    self.rebuild(a);
                    return;
                }
            }
            if self.width == 0.0 {
                return;
            }
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
        if i < self.live.0 {
            self.live.0 = i;
        }
        if i >= self.live.1 {
            self.live.1 = i + 1;
        }
        match self.poc {
            Some(p) if self.buckets[p] >= self.buckets[i] => {}
            _ => self.set_poc(Some(i)),
        }
        true
    }

    fn remove(&mut self, old: Slot) {
        let i = old.bucket - self.base;
        if i >= 0 && (i as usize) < self.buckets.len() {
            let i = i as usize;
            self.buckets[i] = (self.buckets[i] - old.volume).max(0.0);
            // A bar's bucket was filled after the last rebuild, so only a rescan can have trimmed
            // it off the live range, at +0.0, and taking a non-negative (or NaN) volume out of
            // +0.0 leaves +0.0. A negative volume leaves a positive bucket, which must count.
            if old.volume < 0.0 {
                self.live = (self.live.0.min(i), self.live.1.max(i + 1));
            }
            // Only a shrinking POC can lose its place; anything else leaves it the maximum.
            if self.poc == Some(i) {
                self.rescan();
            }
        }
    }

    /// The last fullest bucket under `f64::total_cmp`, what `Iterator::max_by` picked over the
    /// whole array.
    fn rescan(&mut self) {
        let (mut lo, mut hi) = self.live;
        // Emptied edges leave the live range for good, until a bar fills them again.
        while lo < hi && self.buckets[lo].to_bits() == 0 {
            lo += 1;
        }
        while hi > lo && self.buckets[hi - 1].to_bits() == 0 {
            hi -= 1;
        }
        self.live = (lo, hi);
        let poc = match last_max_bits(&self.buckets[lo..hi]) {
            // Above +0.0, so above every bucket outside the live range.
            Some((i, bits)) if bits > 0 => Some(lo + i),
            // Nothing above +0.0 (zero or negative volumes): the +0.0 buckets outside compete.
            _ => self
                .buckets
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i),
        };
        self.set_poc(poc);
    }

    fn set_poc(&mut self, poc: Option<usize>) {
        self.poc = poc;
        self.poc_price = match poc {
            Some(p) if self.width != 0.0 => {
                Some((self.base + p as i64) as f64 * self.width + self.width / 2.0)
            }
            _ => None,
        };
    }

    /// Re-bucket the whole window with a width from `atr`.
    fn rebuild(&mut self, atr: f64) {
        self.bars_since_rebuild = 0;
        self.width_atr = atr;
        self.width = self.bucket_atr.max(1e-6) * atr;
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        // Compare-and-select, not `f64::min`/`max` (whose NaN rules cost three instructions
        // each): the same extremes, since neither bound is ever NaN and a NaN price is skipped
        // either way; where the two could differ (the sign of a zero) `bucket_of` cannot.
        for s in self.ring.values() {
            lo = if s.price < lo { s.price } else { lo };
            hi = if s.price > hi { s.price } else { hi };
        }
        if lo > hi {
            // Nothing to bucket; the width moved, so the POC's price is refreshed.
            self.set_poc(self.poc);
            return;
        }
        let (blo, bhi) = (self.bucket_of(lo), self.bucket_of(hi));
        self.base = blo - MARGIN;
        let len = (bhi - blo + 1 + 2 * MARGIN).clamp(1, MAX_BUCKETS) as usize;
        self.buckets.clear();
        self.buckets.resize(len, 0.0);
        // Slots remember their bucket; rewrite them in place with the new width.
        let (width, base, buckets) = (self.width, self.base, &mut self.buckets);
        self.ring.for_each_mut(|s| {
            s.bucket = floor_i64(s.price / width);
            let i = (s.bucket - base).clamp(0, len as i64 - 1) as usize;
            buckets[i] += s.volume;
        });
        // The rescan trims the empty margins off the live range.
        self.live = (0, len);
        self.rescan();
    }

    /// The POC's price (bucket middle) once the window is full.
    pub fn poc(&self) -> Option<f64> {
        if !self.ring.is_full() {
            return None;
        }
        self.poc_price
    }

    pub fn width(&self) -> f64 {
        self.width
    }
}

/// Index and bit pattern (as `i64`) of the last maximum by bit pattern. Where that pattern is
/// positive (a value above +0.0) it is also the last maximum under `total_cmp`: negative values
/// have negative patterns, and non-negative ones order like their patterns. Skips `total_cmp`'s
/// key transform, a third of the loop.
fn last_max_bits(xs: &[f64]) -> Option<(usize, i64)> {
    let mut best = (0, xs.first()?.to_bits() as i64);
    for (i, x) in xs.iter().enumerate().skip(1) {
        let bits = x.to_bits() as i64;
        if bits >= best.1 {
            best = (i, bits);
        }
    }
    Some(best)
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

#[cfg(test)]
#[path = "profile_props.rs"]
mod props;
