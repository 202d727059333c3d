//! Streaming indicators on the signal instrument, O(1) work per bar: Wilder RSI/ATR, SMAs, EMA,
//! volume SMA, swing pivots, volume profile; the windows of ATR% and returns behind the median
//! ATR% (sizing, the ATR pane) and the decay estimate, whose statistics are computed when asked.

pub mod pivots;
pub mod profile;
pub mod wilder;
pub mod window;

use crate::config::Config;
use crate::model::Bar;

pub use pivots::{Pivot, PivotDetector, PivotKind};
pub use profile::VolumeProfile;
pub use wilder::{WilderAtr, WilderRsi};
pub use window::{Ring, Warm, WarmEma, WarmSma, WindowMin};

// `ta`'s traits on our bar, so `ta` indicators (and ours) accept `&Bar` directly.
impl ta::Open for Bar {
    fn open(&self) -> f64 {
        self.open
    }
}
impl ta::High for Bar {
    fn high(&self) -> f64 {
        self.high
    }
}
impl ta::Low for Bar {
    fn low(&self) -> f64 {
        self.low
    }
}
impl ta::Close for Bar {
    fn close(&self) -> f64 {
        self.close
    }
}
impl ta::Volume for Bar {
    fn volume(&self) -> f64 {
        self.volume
    }
}

/// The indicator values after one bar. `None` while warming up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    pub rsi: Option<f64>,
    pub atr: Option<f64>,
    pub sma_fast: Option<f64>,
    pub sma_mid: Option<f64>,
    pub sma_slow: Option<f64>,
    pub ema: Option<f64>,
    pub volume_sma: Option<f64>,
    pub poc: Option<f64>,
    /// This bar's low is below every low of the previous `dryup_low_bars` bars.
    pub new_low: bool,
    /// Pivots confirmed by this bar.
    pub pivots: [Option<Pivot>; 2],
}

/// Every indicator the agents read, updated together.
#[derive(Debug, Clone)]
pub struct IndicatorSet {
    rsi: WilderRsi,
    atr: WilderAtr,
    sma_fast: WarmSma,
    sma_mid: WarmSma,
    sma_slow: WarmSma,
    ema: WarmEma,
    volume_sma: WarmSma,
    pivots: PivotDetector,
    profile: VolumeProfile,
    /// ATR / close over the volatility lookback.
    atr_pct: Ring<f64>,
    /// Close-to-close returns over `RETURN_BARS`.
    returns: Ring<f64>,
    /// The running minimum of the last `dryup_low_bars` lows, and that minimum as the previous bar
    /// left it: the window a new low is tested against (NaN until whole, or while it holds NaN).
    lows: WindowMin,
    prev_lows: f64,
    prev_close: Option<f64>,
    bars: u64,
}

/// Window of the return volatility behind the decay estimate (a month of daily bars).
const RETURN_BARS: usize = 20;

impl IndicatorSet {
    pub fn new(cfg: &Config) -> Self {
        let i = &cfg.indicators;
        IndicatorSet {
            rsi: WilderRsi::new(i.rsi_period),
            atr: WilderAtr::new(i.atr_period),
            sma_fast: WarmSma::sma(i.sma_fast),
            sma_mid: WarmSma::sma(i.sma_mid),
            sma_slow: WarmSma::sma(i.sma_slow),
            ema: WarmEma::ema(i.ema_period),
            volume_sma: WarmSma::sma(i.volume_sma),
            pivots: PivotDetector::new(cfg.pivot.k),
            profile: VolumeProfile::new(cfg.levels.profile_bars, cfg.levels.bucket_atr),
            atr_pct: Ring::new(cfg.risk.vol_lookback),
            returns: Ring::new(RETURN_BARS),
            lows: WindowMin::new(cfg.bull.dryup_low_bars),
            prev_lows: f64::NAN,
            prev_close: None,
            bars: 0,
        }
    }

    /// Number of bars seen; the sequence number of the next bar.
    pub fn bars(&self) -> u64 {
        self.bars
    }

    /// The median ATR% of the volatility window (allocation-free once `scratch` has grown).
    pub fn atr_pct_median(&self, scratch: &mut Vec<f64>) -> Option<f64> {
        window::median(&self.atr_pct, scratch)
    }

    /// Variance of close-to-close returns over the last `RETURN_BARS` bars (σ² per bar).
    pub fn return_var(&self) -> Option<f64> {
        window::variance(&self.returns)
    }

    pub fn push(&mut self, bar: &Bar) -> Snapshot {
        let seq = self.bars;
        self.bars += 1;
        let atr = self.atr.push(bar.high, bar.low, bar.close);
        if let Some(a) = atr {
            self.atr_pct.push(a / bar.close);
        }
        if let Some(p) = self.prev_close.replace(bar.close) {
            self.returns.push(bar.close / p - 1.0);
        }
        self.profile
            .push(bar.high, bar.low, bar.close, bar.volume, atr);
        Snapshot {
            rsi: ta::Next::next(&mut self.rsi, bar.close),
            atr,
            sma_fast: self.sma_fast.push(bar.close),
            sma_mid: self.sma_mid.push(bar.close),
            sma_slow: self.sma_slow.push(bar.close),
            ema: self.ema.push(bar.close),
            volume_sma: self.volume_sma.push(bar.volume),
            poc: self.profile.poc(),
            new_low: self.new_low(bar.low),
            pivots: self.pivots.push(seq, bar.high, bar.low, bar.volume),
        }
    }

    /// Is `low` below all of the previous `dryup_low_bars` lows? Then record it.
    fn new_low(&mut self, low: f64) -> bool {
        // Tested against the window the previous bar left, not this one. Below every one of its
        // lows is below their minimum; NaN (no whole window yet, or a NaN low in it, which no
        // comparison passes) fails the test as a comparison with each low would.
        let below_all = low < self.prev_lows;
        self.prev_lows = self.lows.push(low);
        below_all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn bar(i: i64, low: f64) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + Duration::days(i),
            open: low + 0.5,
            high: low + 1.0,
            low,
            close: low + 0.5,
            volume: 100.0,
        }
    }

    proptest::proptest! {
        /// Against the definition: below every one of the previous `dryup_low_bars` lows (ties
        /// and NaNs included, which no comparison passes).
        #[test]
        fn new_low_matches_the_definition(
            n in 1usize..=25,
            lows in proptest::collection::vec(0u8..9, 0..200),
        ) {
            let mut cfg = Config::default_config();
            cfg.bull.dryup_low_bars = n;
            let mut set = IndicatorSet::new(&cfg);
            let lows: Vec<f64> = lows.iter().map(|l| if *l == 0 { f64::NAN } else { f64::from(*l) }).collect();
            for (i, low) in lows.iter().enumerate() {
                let want = i >= n && lows[i - n..i].iter().all(|l| *low < *l);
                proptest::prop_assert_eq!(set.new_low(*low), want, "bar {}", i);
            }
        }
    }

    #[test]
    fn new_low_table() {
        let mut cfg = Config::default_config();
        cfg.bull.dryup_low_bars = 3;
        let mut set = IndicatorSet::new(&cfg);
        // (low, is it below the previous 3 lows?)
        let cases = [
            (10.0, false),
            (9.0, false),
            (8.0, false), // fewer than 3 previous bars
            (7.0, true),
            (7.5, false),
            (7.2, false),
            (7.1, false), // previous 3 lows: 7.0, 7.5, 7.2
            (6.0, true),
        ];
        for (i, (low, want)) in cases.iter().enumerate() {
            assert_eq!(
                set.push(&bar(i as i64, *low)).new_low,
                *want,
                "bar {i} low {low}"
            );
        }
    }
}
