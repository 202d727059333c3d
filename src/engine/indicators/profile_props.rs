//! The profile against the implementation it replaced (a `total_cmp` scan of the whole bucket
//! array whenever the POC bucket shrinks, a rebuild that floors and clamps every slot), kept here
//! as the reference: same buckets bit for bit, same POC, same ties.

use proptest::prelude::*;

use super::super::window::{floor_i64, Ring};
use super::VolumeProfile;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    price: f64,
    volume: f64,
    bucket: i64,
}

#[derive(Debug, Clone)]
struct Reference {
    ring: Ring<Slot>,
    bucket_atr: f64,
    width: f64,
    width_atr: f64,
    base: i64,
    buckets: Vec<f64>,
    poc: Option<usize>,
    bars_since_rebuild: usize,
}

const MARGIN: i64 = 64;
const ATR_DRIFT: f64 = 1.25;

impl Reference {
    fn new(bars: usize, bucket_atr: f64) -> Self {
        Reference {
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

    fn push(&mut self, high: f64, low: f64, close: f64, volume: f64, atr: Option<f64>) {
        let price = (high + low + close) / 3.0;
        self.bars_since_rebuild += 1;
        let atr = atr.filter(|a| *a > 0.0 && a.is_finite());
        let drifted = atr.is_some_and(|a| {
            self.width_atr == 0.0
                || a > self.width_atr * ATR_DRIFT
                || a * ATR_DRIFT < self.width_atr
        });
        let may_rebuild = self.width == 0.0 || self.bars_since_rebuild >= self.ring.cap() / 8;
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
        let (width, base) = (self.width, self.base);
        let buckets = &mut self.buckets;
        self.ring.for_each_mut(|s| {
            s.bucket = floor_i64(s.price / width);
            let i = (s.bucket - base).clamp(0, len as i64 - 1) as usize;
            buckets[i] += s.volume;
        });
        self.rescan();
    }

    fn poc(&self) -> Option<f64> {
        if !self.ring.is_full() || self.width == 0.0 {
            return None;
        }
        let p = self.poc?;
        Some((self.base + p as i64) as f64 * self.width + self.width / 2.0)
    }
}

/// One bar: (close-to-close move, high/low spread, volume, ATR multiplier; None = warming up).
type Step = (f64, f64, f64, Option<f64>);

fn step() -> impl Strategy<Value = Step> {
    let mv = prop_oneof![
        8 => -0.02..0.02f64,
        // Far jumps: past the 64-bucket margin at an unchanged width, so the array re-centres.
        1 => prop_oneof![-0.5..-0.2f64, 0.2..1.0f64],
    ];
    let volume = prop_oneof![
        // Small integers, as real volumes are: ties between buckets are common.
        6 => (0u32..6).prop_map(f64::from),
        2 => (1u32..4).prop_map(|v| f64::from(v) * 1e6),
        2 => 1e5..5e6f64,
        1 => (-3i32..0).prop_map(f64::from),
    ];
    let atr = prop_oneof![
        1 => Just(None),
        // Near 1 keeps the width; beyond ±25 % forces a rebuild once one is allowed.
        6 => (0.9..1.1f64).prop_map(Some),
        2 => (0.3..3.0f64).prop_map(Some),
        1 => Just(Some(0.0)),
    ];
    (mv, 0.0..0.02f64, volume, atr)
}

fn assert_same(p: &VolumeProfile, r: &Reference, bar: usize) -> Result<(), TestCaseError> {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    prop_assert_eq!(
        p.poc().map(f64::to_bits),
        r.poc().map(f64::to_bits),
        "poc, bar {}",
        bar
    );
    prop_assert_eq!(p.width().to_bits(), r.width.to_bits(), "width, bar {}", bar);
    prop_assert_eq!(p.poc, r.poc, "poc bucket, bar {}", bar);
    prop_assert_eq!(p.base, r.base, "base, bar {}", bar);
    prop_assert_eq!(bits(&p.buckets), bits(&r.buckets), "buckets, bar {}", bar);
    Ok(())
}

/// Feeds both with the same bars; the ATR is a share of the close that drifts with the
/// multipliers. `shift` moves every price, to below zero where floor and truncation differ.
fn run(window: usize, bucket_atr: f64, shift: f64, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut p = VolumeProfile::new(window, bucket_atr);
    let mut r = Reference::new(window, bucket_atr);
    let (mut close, mut level) = (100.0f64, 0.01f64);
    for (bar, &(mv, spread, volume, atr)) in steps.iter().enumerate() {
        close = (close * (1.0 + mv)).clamp(10.0, 1000.0);
        let (high, low) = (close * (1.0 + spread), close * (1.0 - spread));
        let atr = atr.map(|m| {
            level = (level * m).clamp(0.003, 0.03);
            if m == 0.0 {
                0.0
            } else {
                level * close
            }
        });
        let (h, l, c) = (high + shift, low + shift, close + shift);
        p.push(h, l, c, volume, atr);
        r.push(h, l, c, volume, atr);
        assert_same(&p, &r, bar)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_the_linear_rescan_reference(
        window in prop_oneof![1usize..12, 12usize..80],
        bucket_atr in prop_oneof![Just(0.25), 0.05..2.0f64],
        shift in prop_oneof![3 => Just(0.0), 1 => -1200.0..0.0f64],
        steps in proptest::collection::vec(step(), 1..400),
    ) {
        run(window, bucket_atr, shift, &steps)?;
    }
}

fn same_as_reference(window: usize, bars: &[(f64, f64, Option<f64>)]) {
    let mut p = VolumeProfile::new(window, 1.0);
    let mut r = Reference::new(window, 1.0);
    for (bar, &(price, volume, atr)) in bars.iter().enumerate() {
        p.push(price, price, price, volume, atr);
        r.push(price, price, price, volume, atr);
        assert_same(&p, &r, bar).unwrap();
    }
}

#[test]
fn odd_inputs_match_the_reference() {
    // NaN prices, a price range wider than the bucket cap, a price of zero, ATR jumps.
    let bars = [
        (10.0, 1.0, Some(1.0)),
        (f64::NAN, 2.0, Some(1.0)),
        (11.0, 2.0, Some(1.0)),
        (0.0, 2.0, Some(1.0)),
        (1e9, 3.0, Some(1.0)),
        (10.0, 0.0, Some(1.0)),
        (f64::NAN, 1.0, Some(9.0)),
        (f64::NAN, 1.0, Some(9.0)),
        (f64::NAN, 1.0, Some(9.0)),
        (f64::NAN, 1.0, Some(100.0)),
        (12.0, -1.0, Some(100.0)),
        (12.0, 1.0, Some(100.0)),
        (12.0, 0.0, Some(100.0)),
    ];
    for window in [1, 2, 3, 8] {
        same_as_reference(window, &bars);
    }
    // A rebuild with a NaN price in the window: its bar lands in bucket 0, clamped to the
    // array's first slot, far below the window's range, and holds the most volume.
    let nan = [
        (100.5, 1.0, None),
        (f64::NAN, 100.0, None),
        (100.5, 1.0, Some(1.0)),
    ];
    same_as_reference(3, &nan);
}

#[test]
fn a_bucket_refilled_after_its_edge_was_trimmed_still_counts() {
    // Bucket 12 holds −3 + 3 = 0 and is trimmed off the live range by the rescan at bar 4;
    // the −3 bar leaving at bar 5 puts 3 back in it, the fullest bucket at the rescan of bar 6.
    let bars = [
        (10.5, 5.0),
        (12.5, -3.0),
        (11.5, 1.0),
        (12.5, 3.0),
        (11.5, 1.0),
        (11.5, 0.0),
        (11.5, 0.0),
    ];
    let bars = bars.map(|(price, volume)| (price, volume, Some(1.0)));
    same_as_reference(4, &bars);
}

#[test]
fn trimming_stops_at_the_first_nonempty_edge() {
    // Bar 7 takes the POC (bucket 12) empty; the rescan trims the empty buckets above it but
    // must keep bucket 10 (3) below, which is the fullest once bucket 11 drops to 2 at bar 8.
    let below = [
        (12.5, 9.0),
        (11.5, 5.0),
        (10.5, 3.0),
        (11.5, 2.0),
        (13.5, 0.0),
        (13.5, 0.0),
        (13.5, 0.0),
        (11.5, 0.0),
        (11.5, 0.0),
    ];
    // The mirror image, with a tie: bucket 12 (1) above must stay live, as the last of the two
    // fullest buckets once bucket 11 drops to 1.
    let above = [
        (10.5, 9.0),
        (11.5, 5.0),
        (12.5, 1.0),
        (11.5, 1.0),
        (9.5, 0.0),
        (9.5, 0.0),
        (9.5, 0.0),
        (9.5, 0.0),
        (9.5, 0.0),
    ];
    for bars in [below, above] {
        same_as_reference(7, &bars.map(|(price, volume)| (price, volume, Some(1.0))));
    }
}
