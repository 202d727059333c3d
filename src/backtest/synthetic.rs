//! Deterministic random-walk bars for IWM with TWM/SRTY following at −2×/−3× per bar, for
//! benchmarks and `backtest --synthetic N` (same seed, same bars, on every machine).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::model::{Bar, Symbol};

pub const SEED: u64 = 0x005E_EDDA;

/// `n` one-minute bars per symbol starting 2000-01-03 14:30 UTC (no session gaps: it is a walk).
pub fn series(n: usize) -> Vec<(Symbol, Vec<Bar>)> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2000, 1, 3, 14, 30, 0)
        .single()
        .unwrap_or_default();
    let mut out: Vec<(Symbol, Vec<Bar>)> = Symbol::ALL
        .iter()
        .map(|s| (*s, Vec::with_capacity(n)))
        .collect();
    let mut closes = [200.0_f64, 40.0, 60.0];
    for i in 0..n {
        // Box–Muller normal return with a little drift and occasional volatility bursts.
        let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let vol = if (i / 5_000) % 7 == 3 { 0.004 } else { 0.0015 };
        let r = 0.00002 + vol * z;
        let time = start + Duration::minutes(i as i64);
        for (k, (sym, bars)) in out.iter_mut().enumerate() {
            let lev = f64::from(sym.leverage());
            let open = closes[k];
            let close = (open * (1.0 + lev * r)).max(0.01);
            let wiggle = open * vol * rng.gen_range(0.1..0.8);
            let volume = rng.gen_range(50_000.0..150_000.0) * if z < -1.5 { 2.0 } else { 1.0 };
            bars.push(Bar {
                time,
                open,
                high: open.max(close) + wiggle,
                low: (open.min(close) - wiggle).max(0.005),
                close,
                volume,
            });
            closes[k] = close;
        }
    }
    out
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
}
