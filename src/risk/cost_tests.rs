//! The gate sizes what an order will cost at the venue (slippage, commission) and refuses a buy
//! the cash cannot fund, saying what it needs and what is left.

use super::*;

#[test]
fn entries_are_sized_with_slippage_and_commission() {
    let mut gate = RiskGate::new(limits().with_costs(costs()));
    // 250 IWM at 200 is $50,000 flat, at the cap; the venue will charge 250 × 200.2 + $2.50.
    let o = order(1, Symbol::Iwm, Side::Buy, dec!(250));
    let refused = gate.check_copy(&o, &ctx()).unwrap_err();
    assert_eq!(
        refused.reason,
        RefusalReason::MaxOrderNotional {
            notional: dec!(50052.50),
            max: dec!(50000)
        }
    );
    // The position cap counts the same costs: 30 % of $100,000 is 150 IWM at 200 flat.
    let o = order(2, Symbol::Iwm, Side::Buy, dec!(150));
    assert_eq!(code(&mut gate, &o, &ctx()), "max_position_pct");
    let o = order(3, Symbol::Iwm, Side::Buy, dec!(149));
    assert_eq!(code(&mut gate, &o, &ctx()), "ok");
}

#[test]
fn a_buy_the_cash_cannot_fund_is_refused_with_what_it_needs_and_what_is_left() {
    let mut gate = RiskGate::new(limits().with_costs(costs()));
    let mut c = ctx();
    c.cash = dec!(10000);
    // 49 × 200.2 + $1 = $9,810.80 fits; 50 × 200.2 + $1 = $10,011 does not.
    assert_eq!(
        code(&mut gate, &order(1, Symbol::Iwm, Side::Buy, dec!(49)), &c),
        "ok"
    );
    let refused = gate
        .check_copy(&order(2, Symbol::Iwm, Side::Buy, dec!(50)), &c)
        .unwrap_err();
    assert_eq!(
        refused.reason.to_string(),
        "insufficient buying power: need $10,011.00, have $10,000.00"
    );
    assert_eq!(refused.reason.code(), "insufficient_buying_power");
    // Cash a working buy will take is spoken for.
    c.pending_buys.insert(Symbol::Iwm, dec!(25));
    c.pending.insert(Symbol::Iwm, dec!(25));
    let refused = gate
        .check_copy(&order(3, Symbol::Iwm, Side::Buy, dec!(25)), &c)
        .unwrap_err();
    assert_eq!(
        refused.reason,
        RefusalReason::InsufficientBuyingPower {
            need: dec!(5006.00),
            have: dec!(4994.00)
        }
    );
    // An exit needs no cash: selling what is held is never refused for want of it.
    let mut c = ctx();
    c.cash = Decimal::ZERO;
    c.positions.insert(Symbol::Twm, dec!(100));
    assert_eq!(
        code(&mut gate, &order(4, Symbol::Twm, Side::Sell, dec!(100)), &c),
        "ok"
    );
}

/// The cost the gate hands the venue (`Broker::submit_priced`) is taken only where it is the
/// venue's own figure, to the bit: over random costs, sizes and prices, some the gate's, some
/// the same value written to another scale, some another value, what the venue ends up with
/// is always what `buy_cost` gives for its own inputs.
#[test]
fn a_handed_cost_is_the_venues_own_to_the_bit() {
    use crate::broker::{BuyCost, Costs};
    use rand::{rngs::SmallRng, Rng, SeedableRng};
    let mut rng = SmallRng::seed_from_u64(9);
    let dec = |rng: &mut SmallRng, max: i64, scale: u32| Decimal::new(rng.gen_range(0..max), scale);
    // The gate's value (6 in 8), it written with one more digit, or another value.
    let like = |rng: &mut SmallRng, d: Decimal, other: Decimal| match rng.gen_range(0..8) {
        0 => {
            let mut wider = d;
            wider.rescale(d.scale() + 1);
            wider
        }
        1 => other,
        _ => d,
    };
    // `d` as the venue may have it: the gate's, wider, or another drawn like it.
    let vary = |rng: &mut SmallRng, d: Decimal, max: i64, scale: u32| {
        let other = dec(rng, max, scale);
        like(rng, d, other)
    };
    let (mut taken, mut left) = (0, 0);
    for _ in 0..50_000 {
        let costs = Costs {
            slippage: dec(&mut rng, 50, 4),
            per_share: dec(&mut rng, 2_000, 5),
            min: dec(&mut rng, 300, 2),
            max_pct: dec(&mut rng, 200, 4),
        };
        let qty = dec(&mut rng, 5_000, 0);
        let reference = dec(&mut rng, 50_000_000, 4) + dec(&mut rng, 100, 2);
        let venue = Costs {
            slippage: vary(&mut rng, costs.slippage, 50, 4),
            per_share: vary(&mut rng, costs.per_share, 2_000, 5),
            min: vary(&mut rng, costs.min, 300, 2),
            max_pct: vary(&mut rng, costs.max_pct, 200, 4),
        };
        let vqty = vary(&mut rng, qty, 5_000, 0);
        let vref = vary(&mut rng, reference, 50_000_000, 4);
        let own = venue.buy_cost(vqty, vref);
        let handed = BuyCost::new(&costs, qty, reference).of(&venue, vqty, vref);
        match handed {
            Some(c) => {
                assert_eq!(
                    c.serialize(),
                    own.serialize(),
                    "{costs:?} {qty} {reference}"
                );
                taken += 1;
            }
            None => left += 1,
        }
    }
    assert!(taken > 1_000 && left > 1_000, "{taken} taken, {left} left");
}
