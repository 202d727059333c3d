//! The cost model's short cuts for zero costs against the arithmetic they skip: the same
//! number, scale and sign (compared as Decimal's 16 bytes), over many random prices and sizes.

use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::*;

/// The formulas as written before the short cuts.
fn slipped_in_full(c: &Costs, side: Side, reference: Decimal) -> Decimal {
    (reference * (Decimal::ONE + side.sign() * c.slippage)).round_dp(4)
}

fn commission_in_full(c: &Costs, qty: Decimal, price: Decimal) -> Decimal {
    let cap = (qty * price * c.max_pct)
        .round_dp_with_strategy(2, RoundingStrategy::ToZero)
        .max(Decimal::ZERO);
    (qty * c.per_share).max(c.min).round_dp(2).min(cap)
}

/// A decimal of any size the venue could see: a few cents to 96-bit mantissas, any scale up to
/// 12, either sign, and zeros written with a scale.
fn any_decimal(rng: &mut impl Rng) -> Decimal {
    let scale = rng.gen_range(0..=12);
    match rng.gen_range(0..10) {
        0 => Decimal::new(0, scale),
        1 => Decimal::from_parts(rng.gen(), rng.gen(), rng.gen(), rng.gen(), scale),
        2 => Decimal::new(rng.gen_range(-1_000_000..1_000_000), scale),
        _ => Decimal::new(rng.gen_range(1..1_000_000_000_000), scale),
    }
}

fn costs_with(slippage: Decimal, per_share: Decimal, min: Decimal, max_pct: Decimal) -> Costs {
    Costs {
        slippage,
        per_share,
        min,
        max_pct,
    }
}

#[test]
fn zero_slippage_slips_to_the_same_bits() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(61);
    let zeros = [Decimal::ZERO, Decimal::new(0, 4), Decimal::new(0, 28)];
    for z in zeros {
        let c = costs_with(z, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for _ in 0..200_000 {
            let r = any_decimal(&mut rng);
            for side in [Side::Buy, Side::Sell] {
                let (fast, full) = (c.slipped(side, r), slipped_in_full(&c, side, r));
                assert_eq!(fast.serialize(), full.serialize(), "{r:?} {side:?} {z:?}");
            }
        }
    }
}

#[test]
fn no_per_share_charge_and_no_minimum_cost_the_same_bits() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(62);
    let per_share = [Decimal::ZERO, Decimal::new(0, 3), Decimal::new(5, 3)];
    let mins = [
        Decimal::ZERO,
        Decimal::new(0, 2),
        Decimal::new(-1, 0),
        Decimal::new(100, 2),
    ];
    let max_pcts = [Decimal::ZERO, Decimal::new(1, 2), Decimal::new(0, 2)];
    for p in per_share {
        for m in mins {
            for x in max_pcts {
                let c = costs_with(Decimal::ZERO, p, m, x);
                for _ in 0..20_000 {
                    // Sizes and prices as orders carry them: the full form overflows (panics)
                    // on products beyond 96 bits, which no order reaches.
                    let qty = Decimal::new(rng.gen_range(-100_000..100_000), rng.gen_range(0..3));
                    let price =
                        Decimal::new(rng.gen_range(-10_000_000..100_000_000), rng.gen_range(0..8));
                    let (fast, full) =
                        (c.commission(qty, price), commission_in_full(&c, qty, price));
                    assert_eq!(fast.serialize(), full.serialize(), "{qty} {price} {c:?}");
                }
            }
        }
    }
}
