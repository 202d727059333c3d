//! f64 market price → decimal at 4 places, exactly as `Decimal::from_f64(p).round_dp(4)`
//! gives it (value *and* scale, which shows in every printed price), without its cost: the
//! generic conversion walks the float's bits through 96-bit arithmetic, ≈ 40 % of a backtest's
//! time (`perf`), and every bar converts a few prices.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

/// The reference conversion; the fast path falls back to it whenever it is not sure.
pub fn price_exact(p: f64) -> Decimal {
    Decimal::from_f64(p).unwrap_or_default().round_dp(4)
}

pub fn price(p: f64) -> Decimal {
    fast(p).unwrap_or_else(|| price_exact(p))
}

/// Three cases are certain, the rest goes the slow way:
/// - `p` is a multiple of 1/16 (200, 200.5, 30.0625): its exact value has at most 4 decimals,
///   which `from_f64` keeps with trailing zeros stripped, and rounding keeps;
/// - `p` is well away (1e-7) from every number of at most 4 decimals and from every midpoint
///   between two of them: `from_f64` keeps digits beyond the 4th place, and rounding them to
///   4 places is rounding `p` itself, at scale 4;
/// - `p` is a price read from text (214.79, 200.0598): see [`read_from_text`].
fn fast(p: f64) -> Option<Decimal> {
    if !(p > 0.0 && p < 1e8) {
        return None;
    }
    // Integer casts, not `round` / `floor` / `fract`: without SSE4.1 those are library calls,
    // and this runs a few times a bar. For 0 < x < 1e12 truncation is floor and exact.
    let x = p * 1e4;
    let whole = x as i64;
    let sixteenths = p * 16.0;
    if sixteenths == (sixteenths as i64) as f64 {
        // x is then a whole number of ten-thousandths, exactly.
        return Some(Decimal::new(whole, 4).normalize());
    }
    let f = x - whole as f64;
    let clear = 1e-3;
    let nearest = whole + i64::from(f > 0.5);
    if f > clear && f < 1.0 - clear && (f - 0.5).abs() > clear {
        return Some(Decimal::new(nearest, 4));
    }
    read_from_text(p, nearest)
}

/// `from_f64` stops dividing its digits by ten once they are below 2^52.
const KEPT: u64 = 1 << 52;

/// 10^0 … 10^16.
const POW10: [u64; 17] = {
    let mut t = [1; 17];
    let mut i = 1;
    while i < 17 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `p` as `from_f64(p).round_dp(4)` gives it when `p` is within 0.44 of `from_f64`'s last
/// kept digit from `v = n / 10^4` (a price read from text is within half an ulp of its `v`):
/// then `from_f64` gives exactly `v`, with trailing zeros stripped (214.79, never 214.7900).
///
/// Why: `from_f64` first writes `p` exactly but for ~1e-26 relative (its 96-bit digits), then
/// drops its last digit, rounding half up, while the digits reach 2^52: `v` (4 decimals) with
/// `j` more zeros, `n · 10^j < 2^52 ≤ n · 10^(j+1)`, is what is kept. Rounding one digit at a
/// time rounds a fraction below 4/9 of the last kept digit down (a round-up needs a 5 or more,
/// after 4s only) and one above 5/9 up; so `p` within 4/9 of `v`, above or below, gives `v`.
/// `n · 10^(j+1)` a hair above 2^52 could stop the dividing a digit early: that goes the slow
/// way, as does a `p` within 0.44–0.5 of a digit (a few prices in 100 in some binades).
fn read_from_text(p: f64, n: i64) -> Option<Decimal> {
    let n = u64::try_from(n).ok().filter(|&n| n > 0)?;
    // p = m / 2^k exactly: 0 < p < 1e8 is a normal float, and 26 < k < 1075.
    let bits = p.to_bits();
    let k = 1075 - (bits >> 52) as u32;
    let m = bits & ((1 << 52) - 1) | 1 << 52;
    // (k ≤ 70, n ≥ 1: p ≥ 1e-5, and every product below stays under 2^128.)
    if k > 70 {
        return None;
    }
    // Zeros kept after `v`'s 4th decimal (j ≤ 15).
    let j = ((KEPT - 1) / n).ilog10() as usize;
    if n * POW10[j + 1] < KEPT + 16 {
        return None;
    }
    // (p − v) · 10^4 · 2^k exactly, and the test |p − v| · 10^(4+j) < 0.44 in integers.
    let off = (u128::from(m) * 10_000).abs_diff(u128::from(n) << k);
    (off * u128::from(POW10[j] * 100) < 44 << k).then(|| Decimal::new(n as i64, 4).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn same(p: f64) {
        let (fast, exact) = (price(p), price_exact(p));
        assert_eq!(
            (fast.to_string(), fast.scale()),
            (exact.to_string(), exact.scale()),
            "{p:?} ({:#x})",
            p.to_bits()
        );
    }

    /// A price as text with up to 4 decimals, read as a file's reader reads it.
    fn read(n: u64) -> f64 {
        format!("{}.{:04}", n / 10_000, n % 10_000).parse().unwrap()
    }

    #[test]
    fn prices_read_from_text_match_the_exact_conversion() {
        // Every 4-decimal price below 1,000, then random ones to 1e8 and the binades where
        // `read_from_text` gives up most often (4–4.5, 4,096–4,503).
        let mut rng = SmallRng::seed_from_u64(27);
        let step = if cfg!(debug_assertions) { 97 } else { 7 };
        for n in (1..10_000_000).step_by(step) {
            same(read(n));
        }
        for _ in 0..300_000 {
            same(read(rng.gen_range(1..1_000_000_000_000)));
            same(read(rng.gen_range(40_000..45_036)));
            same(read(rng.gen_range(40_960_000..45_036_000)));
        }
    }

    /// The long run behind `read_from_text`: every 4-decimal price below 10,000 and 20 million
    /// random ones to 1e8 (`cargo test --release -- --ignored`, a few minutes).
    #[test]
    #[ignore]
    fn every_price_read_from_text_matches_the_exact_conversion() {
        let mut rng = SmallRng::seed_from_u64(28);
        for n in 1..100_000_000 {
            same(read(n));
        }
        for _ in 0..20_000_000 {
            same(read(rng.gen_range(1..1_000_000_000_000)));
        }
    }

    #[test]
    fn every_cent_from_200_to_600_is_the_exact_conversion() {
        for cents in 20_000..60_000 {
            let p: f64 = format!("{}.{:02}", cents / 100, cents % 100)
                .parse()
                .unwrap();
            same(p);
        }
    }

    #[test]
    fn matches_the_exact_conversion_in_value_and_scale() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..200_000 {
            // Prices as text gives them (0–6 decimals), then a few ulps off them (arithmetic).
            let digits = rng.gen_range(0..7);
            let scale = 10f64.powi(digits);
            let text = format!(
                "{:.*}",
                digits as usize,
                (rng.gen_range(0.01..5_000.0) * scale).round() / scale
            );
            let p: f64 = text.parse().unwrap();
            if p <= 0.0 {
                continue;
            }
            same(p);
            for k in 1..4u64 {
                same(f64::from_bits(p.to_bits() + k));
                same(f64::from_bits(p.to_bits() - k));
            }
            // A random walk's prices, and midpoints between 4-decimal prices.
            same(rng.gen_range(0.005..100_000.0));
            same((rng.gen_range(1..50_000_000) as f64 + 0.5) / 1e4);
        }
        for p in [
            1.0,
            200.0,
            200.5,
            30.25,
            30.0625,
            30.03125,
            0.00005,
            0.00015,
            0.01,
            1e-9,
            99_999_999.0,
            1e8,
            5e8,
            214.79,
            30.3700008392334,
            f64::MIN_POSITIVE,
        ] {
            same(p);
        }
    }
}
