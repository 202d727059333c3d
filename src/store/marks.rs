//! The equity marked at the last closes: cash plus each held quantity times its price.
//!
//! The session marks it at every bar of a held symbol, and the decimal operations (a multiply
//! per holding, an add per term, none of them inlined) were a twelfth of a backtest. Quantities,
//! prices and cash are small decimals, so the same sum is worked out exactly in integers when
//! every step of it would take the decimal operations' exact paths, which then give the exact
//! value at the larger scale of their operands: the same decimal, value, sign and scale.

use rust_decimal::Decimal;

/// `cash + Σ qty × price` over `held` (quantity, price), exactly as
/// `cash + held.iter().map(|(q, p)| q * p).sum::<Decimal>()` gives it.
pub fn marked(cash: Decimal, held: &[(Decimal, Decimal)]) -> Decimal {
    exact(cash, held).unwrap_or_else(|| decimal(cash, held))
}

/// The reference: the decimal operations themselves.
fn decimal(cash: Decimal, held: &[(Decimal, Decimal)]) -> Decimal {
    cash + held.iter().map(|(q, p)| q * p).sum::<Decimal>()
}

/// Scales kept at most this: every rescale is then by a power of ten an `i64` holds.
const MAX_SCALE: u32 = 12;

/// 10^k up to the largest rescale, [`MAX_SCALE`].
const POW10: [i64; MAX_SCALE as usize + 1] = {
    let mut p = [1i64; MAX_SCALE as usize + 1];
    let mut k = 1;
    while k < p.len() {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// A non-zero decimal as (mantissa, scale), if its mantissa fits an `i64` (and its scale
/// [`MAX_SCALE`]). Every operand of every multiply and add then fits 64 bits, where
/// `rust_decimal` multiplies and adds exactly (its 32- and 64-bit paths; a product or a sum only
/// rounds beyond 96 bits or 28 places).
fn small(d: Decimal) -> Option<(i64, u32)> {
    let m = i64::try_from(d.mantissa()).ok()?;
    checked(m, d.scale())
}

/// The exact sum, or `None` where the decimal operations could do anything but exact
/// arithmetic at the larger scale: a zero anywhere (`0 + x` is `x` as it stands, whatever the
/// zero's scale, and a zero result's sign and scale are the operation's), or a number too big.
fn exact(cash: Decimal, held: &[(Decimal, Decimal)]) -> Option<Decimal> {
    let cash = small(cash)?;
    // Σ starts from `Decimal::ZERO`, and `0 + x` is x: the first term as it stands.
    let mut sum: Option<(i64, u32)> = None;
    for (q, p) in held {
        let ((mq, sq), (mp, sp)) = (small(*q)?, small(*p)?);
        // A product of non-zero operands: the exact one at the sum of the scales.
        let product = checked(mq.checked_mul(mp)?, sq + sp)?;
        sum = Some(match sum {
            None => product,
            Some(s) => add(s, product)?,
        });
    }
    let (m, scale) = match sum {
        Some(s) => add(cash, s)?,
        // `cash + 0` is cash as it stands.
        None => cash,
    };
    Decimal::try_from_i128_with_scale(i128::from(m), scale).ok()
}

/// Non-zero `a + b` at the larger scale, if it fits.
fn add((ma, sa): (i64, u32), (mb, sb): (i64, u32)) -> Option<(i64, u32)> {
    let scale = sa.max(sb);
    let a = ma.checked_mul(POW10[(scale - sa) as usize])?;
    let b = mb.checked_mul(POW10[(scale - sb) as usize])?;
    checked(a.checked_add(b)?, scale)
}

fn checked(m: i64, scale: u32) -> Option<(i64, u32)> {
    (m != 0 && scale <= MAX_SCALE).then_some((m, scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn same(cash: Decimal, held: &[(Decimal, Decimal)]) -> bool {
        let (fast, slow) = (marked(cash, held), decimal(cash, held));
        assert_eq!(
            fast.serialize(),
            slow.serialize(),
            "{cash} + {held:?}: {fast} against {slow}"
        );
        exact(cash, held).is_some()
    }

    /// A decimal of `digits` random digits at `scale`, sometimes negative, sometimes zero.
    fn random(rng: &mut SmallRng, digits: u32, scale: u32, negative: bool) -> Decimal {
        let m = match rng.gen_range(0..20) {
            0 => 0,
            _ => rng.gen_range(0..10i64.pow(digits)),
        };
        let d = Decimal::new(m, scale);
        if negative && rng.gen_bool(0.3) {
            -d
        } else {
            d
        }
    }

    #[test]
    fn the_exact_sum_is_the_decimal_one_bit_for_bit() {
        let mut rng = SmallRng::seed_from_u64(11);
        let mut fast = 0;
        let n = 300_000;
        for _ in 0..n {
            // Cash as fills leave it (cents and better, a debit balance too), quantities as
            // orders give them (whole shares, now and then a fraction), prices as the closes
            // convert (4 places or fewer), and now and then numbers too big for the fast path.
            let big = rng.gen_range(0..50) == 0;
            let (digits, scale) = (if big { 18 } else { 10 }, rng.gen_range(0..9));
            let cash = random(&mut rng, digits, scale, true);
            let mut held = Vec::new();
            for _ in 0..rng.gen_range(0..4) {
                let qty_scale = if rng.gen_range(0..10) == 0 { 2 } else { 0 };
                let qty_digits = rng.gen_range(1..7);
                let qty = random(&mut rng, qty_digits, qty_scale, true);
                let px = if rng.gen_bool(0.5) {
                    crate::model::price::price(rng.gen_range(0.01..5_000.0))
                } else {
                    let (digits, scale) = (if big { 16 } else { 8 }, rng.gen_range(0..7));
                    random(&mut rng, digits, scale, false)
                };
                held.push((qty, px));
            }
            fast += usize::from(same(cash, &held));
        }
        // The fast path is the common one, or the test proves little.
        assert!(fast > n / 2, "{fast} of {n} took the fast path");
    }

    #[test]
    fn zeros_and_limits_go_the_decimal_way() {
        let d = |m: i64, s: u32| Decimal::new(m, s);
        for cash in [d(0, 0), d(0, 4), -d(0, 2), d(100_000, 0), d(-1_234_567, 4)] {
            for held in [
                vec![],
                vec![(d(100, 0), d(0, 4))],
                vec![(d(100, 0), d(2_000_100, 4)), (d(-100, 0), d(2_000_100, 4))],
                vec![(d(100, 0), d(2_000_100, 4)), (d(3, 0), d(1, 1))],
                vec![(d(i64::MAX, 0), d(2, 0))],
                vec![(d(1, 0), d(1, 28))],
            ] {
                same(cash, &held);
            }
        }
    }
}
