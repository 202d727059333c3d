//! Deterministic mean-reverting random-walk bars for IWM with TWM/SRTY following at −2×/−3× per bar, for
//! benchmarks and `backtest --synthetic N` (same seed, same bars, on every machine).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::model::{Bar, Symbol};

pub const SEED: u64 = 0x005E_EDDA;

/// `n` one-minute bars per symbol starting 2000-01-03 14:30 UTC (no session gaps: it is a walk).
pub fn series(n: usize) -> Vec<(Symbol, Vec<Bar>)> {
    let mut out: Vec<(Symbol, Vec<Bar>)> = Symbol::ALL
        .iter()
        .map(|s| (*s, Vec::with_capacity(n)))
        .collect();
    for step in Walk::new().take(n) {
        for (k, b) in step.into_iter().enumerate() {
            out[k].1.push(b);
        }
    }
    out
}

/// The same walk one timestamp at a time (IWM, TWM, SRTY bars, in `Symbol::ALL` order), so a
/// run of any length holds one step in memory instead of the whole series.
pub struct Walk {
    rng: SmallRng,
    start: DateTime<Utc>,
    closes: [f64; 3],
    i: usize,
}

impl Walk {
    pub fn new() -> Self {
        Walk {
            rng: SmallRng::seed_from_u64(SEED),
            start: Utc
                .with_ymd_and_hms(2000, 1, 3, 14, 30, 0)
                .single()
                .unwrap_or_default(),
            closes: [200.0_f64, 40.0, 60.0],
            i: 0,
        }
    }
}

impl Default for Walk {
    fn default() -> Self {
        Walk::new()
    }
}

impl Iterator for Walk {
    type Item = [Bar; 3];

    fn next(&mut self) -> Option<[Bar; 3]> {
        let (rng, i) = (&mut self.rng, self.i);
        // Box–Muller normal return with a little drift and occasional volatility bursts.
        let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let vol = if (i / 5_000) % 7 == 3 { 0.004 } else { 0.0015 };
        // IWM's log price is pulled back towards 200 (half-life ≈ 9k bars, spread ≈ ±15 %), and
        // TWM/SRTY are priced off it as (200 / IWM)^2 and ^3: per bar they move −2× / −3× like
        // the funds, yet neither drifts to infinity nor decays to nothing over 10 M bars, so a
        // long run measures the dashboard on prices a trader could see.
        let prev = self.closes[0];
        let r = -8e-5 * (prev / 200.0).ln() + vol * z;
        let iwm = prev * (1.0 + r);
        let time = self.start + Duration::minutes(i as i64);
        let mut out = [Bar {
            time,
            open: 0.0,
            high: 0.0,
            low: 0.0,
            close: 0.0,
            volume: 0.0,
        }; 3];
        for (k, sym) in Symbol::ALL.iter().enumerate() {
            let open = self.closes[k];
            let close = match sym {
                Symbol::Iwm => iwm,
                Symbol::Twm => 40.0 * (200.0 / iwm).powi(2),
                Symbol::Srty => 60.0 * (200.0 / iwm).powi(3),
                // The walk has no book symbol of its own.
                Symbol::Qqq | Symbol::Spy => iwm,
            };
            let wiggle = open * vol * rng.gen_range(0.1..0.8);
            let volume = rng.gen_range(50_000.0..150_000.0) * if z < -1.5 { 2.0 } else { 1.0 };
            out[k] = Bar {
                time,
                open,
                high: open.max(close) + wiggle,
                low: (open.min(close) - wiggle).max(0.005),
                close,
                volume,
            };
            self.closes[k] = close;
        }
        self.i += 1;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_possible() {
        let a = series(500);
        let b = series(500);
        assert_eq!(a[0].1, b[0].1);
        for (_, bars) in &a {
            assert!(bars.iter().all(|b| b.impossibility().is_none()));
            assert!(bars.windows(2).all(|w| w[0].time < w[1].time));
        }
    }

    #[test]
    fn a_long_walk_stays_where_prices_live() {
        let (mut lo, mut hi) = ([f64::MAX; 3], [0.0_f64; 3]);
        for step in Walk::new().take(2_000_000) {
            for (k, b) in step.iter().enumerate() {
                lo[k] = lo[k].min(b.low);
                hi[k] = hi[k].max(b.high);
            }
        }
        for k in 0..3 {
            assert!(
                lo[k] > 5.0 && hi[k] < 1_000.0,
                "{:?}: {} .. {}",
                Symbol::ALL[k],
                lo[k],
                hi[k]
            );
        }
    }
}
