//! What the gate reads of the account, against the sums it skips: the same bits.

use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::*;

/// The two sums as written before: every amount added, the book taken off every symbol.
fn held_in_full(c: &RiskContext, s: Symbol) -> Decimal {
    c.positions.get(&s).copied().unwrap_or_default()
        + c.pending.get(&s).copied().unwrap_or_default()
}

fn agents_held_in_full(c: &RiskContext, s: Symbol) -> Decimal {
    let book = if s == c.book_symbol {
        c.book
    } else {
        Decimal::ZERO
    };
    held_in_full(c, s) - book
}

/// Missing, zero in any of its forms, small or 96-bit, either sign.
fn any_amount(rng: &mut impl Rng) -> Option<Decimal> {
    let scale = rng.gen_range(0..=6);
    match rng.gen_range(0..6) {
        0 => None,
        1 => Some(Decimal::new(0, scale)),
        2 => Some(-Decimal::new(0, scale)),
        // Large, yet never two that overflow when added.
        3 => Some(Decimal::from_parts(
            rng.gen(),
            rng.gen(),
            rng.gen::<u32>() >> 8,
            rng.gen(),
            scale,
        )),
        _ => Some(Decimal::new(rng.gen_range(-5_000..5_000), scale)),
    }
}

#[test]
fn held_and_the_agents_share_are_the_full_sums() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(27);
    let mut c = crate::risk::tests::ctx();
    for _ in 0..50_000 {
        for s in Symbol::EVERY {
            c.positions.0[s.index()] = any_amount(&mut rng);
            c.pending.0[s.index()] = any_amount(&mut rng);
        }
        c.book = any_amount(&mut rng).unwrap_or_default();
        c.book_symbol = Symbol::EVERY[rng.gen_range(0..Symbol::EVERY.len())];
        for s in Symbol::EVERY {
            assert_eq!(
                c.held(s).serialize(),
                held_in_full(&c, s).serialize(),
                "{s:?} {c:?}"
            );
            assert_eq!(
                c.agents_held(s).serialize(),
                agents_held_in_full(&c, s).serialize(),
                "{s:?} {c:?}"
            );
        }
    }
}
