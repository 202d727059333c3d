//! Money as people read it: one formatter for every pane, reason, report and warning
//! (thousands separators, half away from zero), and the fast Decimal → f64 of sizing.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// Digits with thousands separators: "81240" → "81,240".
pub fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    push_grouped(&mut out, digits);
    out
}

/// Whole dollars with thousands separators: `$61,200`, `-$3,400`.
pub fn usd(v: Decimal) -> String {
    // Half away from zero, as people round money (Decimal's default is banker's rounding).
    let rounded = v.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    // Rounded to 0 dp its scale is 0: the mantissa is the whole dollars, written by `itoa`
    // (Decimal's own text and the two copies around it were ≈ 2 k instructions of every
    // refusal's reason; `usd_tests` holds it to the old form).
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(rounded.mantissa().unsigned_abs());
    let mut out = String::with_capacity(sign.len() + 1 + digits.len() + digits.len() / 3);
    out.push_str(sign);
    out.push('$');
    push_grouped(&mut out, digits);
    out
}

/// `group` into `out`.
fn push_grouped(out: &mut String, digits: &str) {
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
}

/// Whole dollars from an `f64` (the engine's sizing arithmetic): `$106,485`.
pub fn usd_f64(x: f64) -> String {
    let whole = format!("{:.0}", x.abs());
    let sign = if x < 0.0 && whole != "0" { "-" } else { "" };
    format!("{sign}${}", group(&whole))
}

/// Dollars and cents with thousands separators: `$3,201.60`. For amounts where whole dollars
/// would hide the difference (a buy short of cash by $0.40 must not read "need $3,202, have
/// $3,202").
pub fn usd_cents(v: Decimal) -> String {
    let rounded = v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${}", dollars(rounded))
}

/// The amount's size with thousands separators and cents, no sign or symbol (the panes put
/// their own): `81,240.00`.
pub fn dollars(d: Decimal) -> String {
    let rounded = d
        .abs()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let cents = (rounded.fract() * Decimal::ONE_HUNDRED).trunc();
    format!("{}.{cents:0>2}", group(&rounded.trunc().to_string()))
}

/// A signed count with thousands separators: "-81,234".
pub fn count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&n.unsigned_abs().to_string()))
}

/// Equity as f64, for sizing arithmetic.
///
/// Money has a few decimals and a mantissa well under 2^53, so it is one correctly rounded
/// division of two exact floats; the general conversion costs ≈ 300 instructions, on every bar,
/// and is an ulp off now and then.
pub fn to_f64(d: Decimal) -> f64 {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let m = d.mantissa();
    match POW10.get(d.scale() as usize) {
        // Through i64: the same exact float (|m| < 2^53), without the i128 conversion routine.
        Some(p) if m.unsigned_abs() < 1 << 53 => m as i64 as f64 / p,
        _ => d.to_f64().unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn one_rounding_one_grouping_everywhere() {
        assert_eq!(dollars(dec!(81240)), "81,240.00");
        assert_eq!(dollars(dec!(-1234567.005)), "1,234,567.01");
        assert_eq!(
            dollars(dec!(0.125)),
            "0.13",
            "half away from zero, not to even"
        );
        assert_eq!(usd(dec!(61200.4)), "$61,200");
        assert_eq!(usd(dec!(-3400.5)), "-$3,401");
        assert_eq!(usd_f64(106_485.05), "$106,485");
        assert_eq!(usd_f64(-999.6), "-$1,000");
        assert_eq!(usd_f64(-0.2), "$0");
        assert_eq!(usd_cents(dec!(3201.6)), "$3,201.60");
        assert_eq!(usd_cents(dec!(-0.4)), "-$0.40");
        assert_eq!(count(-81234), "-81,234");
        assert_eq!(count(999), "999");
        assert_eq!(to_f64(dec!(100000.25)), 100000.25);
    }
}

#[cfg(test)]
mod usd_tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// `usd` as it was: through Decimal's text.
    fn usd_through_text(v: Decimal) -> String {
        let rounded = v.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        format!("{sign}${}", group(&rounded.abs().trunc().to_string()))
    }

    #[test]
    fn whole_dollars_read_as_they_did() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(12);
        for _ in 0..200_000 {
            let scale = rng.gen_range(0..=28);
            let v = match rng.gen_range(0..4) {
                0 => Decimal::from_parts(rng.gen(), rng.gen(), rng.gen(), rng.gen(), scale),
                1 => Decimal::new(0, scale),
                _ => Decimal::new(rng.gen_range(-(1 << 50)..1 << 50), scale.min(8)),
            };
            assert_eq!(usd(v), usd_through_text(v), "{v:?}");
        }
    }
}

#[cfg(test)]
mod to_f64_tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rust_decimal::Decimal;

    #[test]
    fn the_short_way_is_correctly_rounded() {
        // Against the decimal text parsed by the standard library (correctly rounded);
        // rust_decimal's own conversion is sometimes an ulp off.
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        for _ in 0..200_000 {
            let d = Decimal::new(
                rng.gen_range(-(1i64 << 53) + 1..1i64 << 53),
                rng.gen_range(0..12),
            );
            assert_eq!(to_f64(d), d.to_string().parse::<f64>().unwrap(), "{d}");
        }
    }
}
