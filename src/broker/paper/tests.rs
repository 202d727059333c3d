//! The simulator as a venue: fills, funding, commission and ticks.
use super::*;
use crate::config::Config;
use crate::model::test_bar as bar;
use chrono::{Duration, TimeZone, Utc};
use rust_decimal_macros::dec;

fn order(seq: u64, side: Side, qty: Decimal, t: chrono::DateTime<Utc>) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::new("t", seq),
        symbol: Symbol::Twm,
        side,
        qty,
        order_type: OrderType::Market,
        signal_id: None,
        book: None,
        created: t,
    }
}

#[test]
fn market_order_fills_at_next_open_with_slippage_and_commission() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 30.0, 31.0, 29.0, 30.5);
    b.on_bar(Symbol::Twm, &d1);
    let o = order(1, Side::Buy, dec!(100), d1.time + Duration::hours(20));
    assert!(matches!(b.submit(&o)[0], BrokerEvent::Accepted { .. }));
    // Same bar cannot fill it: the order came after it closed.
    let ev = b.on_bar(Symbol::Twm, &bar(2, 32.0, 33.0, 31.0, 32.5));
    let BrokerEvent::Filled(f) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(f.price, dec!(32.016)); // 32 + 5 bps
    assert_eq!(f.commission, dec!(1.00));
    assert_eq!(b.cash(), dec!(100000) - dec!(3201.6) - dec!(1));
    assert_eq!(b.equity(), b.cash() + dec!(3250));
}

#[test]
fn restored_simulator_fills_its_working_orders_and_refuses_their_ids_again() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let t = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let mut held = Position::flat(Symbol::Twm, t);
    held.qty = dec!(10);
    held.avg_price = dec!(30);
    let o = order(7, Side::Sell, dec!(10), t);
    let ev = b.restore(dec!(500), &[held], std::slice::from_ref(&o));
    assert!(matches!(&ev[..], [BrokerEvent::Accepted { .. }]));
    assert_eq!(b.cash(), dec!(500));
    assert!(matches!(b.submit(&o)[0], BrokerEvent::Rejected { .. }));
    let ev = b.on_bar(Symbol::Twm, &bar(2, 32.0, 33.0, 31.0, 32.5));
    assert!(matches!(&ev[0], BrokerEvent::Filled(f) if f.qty == dec!(10)));
    assert_eq!(b.positions().count(), 0, "the restored 10 were sold");
}

#[test]
fn duplicate_id_and_oversell_are_rejected() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    assert!(matches!(
        b.submit(&order(1, Side::Sell, dec!(1), t))[0],
        BrokerEvent::Rejected { .. }
    ));
    assert!(matches!(
        b.submit(&order(2, Side::Buy, dec!(1), t))[0],
        BrokerEvent::Accepted { .. }
    ));
    assert!(matches!(
        b.submit(&order(2, Side::Buy, dec!(1), t))[0],
        BrokerEvent::Rejected { .. }
    ));
}

fn submit_ok(b: &mut PaperBroker, o: &OrderRequest) {
    let ev = b.submit(o);
    assert!(matches!(ev[..], [BrokerEvent::Accepted { .. }]), "{ev:?}");
}

fn rejection(ev: &[BrokerEvent]) -> &str {
    match ev {
        [BrokerEvent::Rejected { reason, .. }, ..] => reason,
        _ => panic!("not rejected: {ev:?}"),
    }
}

/// A cash account: buys are paid from cash alone.
fn cash_account() -> crate::config::PaperConfig {
    let mut cfg = Config::default_config().paper;
    cfg.buying_power = 1.0;
    cfg
}

#[test]
fn a_buy_the_cash_cannot_fund_is_rejected_at_submission_counting_working_buys() {
    let cfg = cash_account();
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 30.0, 31.0, 29.0, 30.0);
    b.on_bar(Symbol::Twm, &d1);
    let t = d1.time + Duration::hours(20);
    // 4000 × 30.015 (5 bps) + $20 commission: well above $100,000.
    let reason = rejection(&b.submit(&order(1, Side::Buy, dec!(4000), t))).to_string();
    assert_eq!(
        reason,
        "insufficient buying power: need $120,080.00, have $100,000.00"
    );
    // Two buys of 60 % each: the second would spend cash the first already holds.
    submit_ok(&mut b, &order(2, Side::Buy, dec!(2000), t));
    let reason = rejection(&b.submit(&order(3, Side::Buy, dec!(2000), t))).to_string();
    assert!(
        reason.contains("need $60,040.00, have $39,960.00"),
        "{reason}"
    );
    assert_eq!(b.cash(), dec!(100000), "a refusal costs nothing");
}

#[test]
fn reg_t_margin_buys_up_to_twice_the_equity_less_what_is_held() {
    // The default: buying power = cash + 1 × equity.
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 30.0, 31.0, 29.0, 30.0);
    b.on_bar(Symbol::Twm, &d1);
    let t = d1.time + Duration::hours(20);
    // 7000 × 30.015 + $35 = $210,140: more than $200,000 of buying power
    let reason = rejection(&b.submit(&order(1, Side::Buy, dec!(7000), t))).to_string();
    assert_eq!(
        reason,
        "insufficient buying power: need $210,140.00, have $200,000.00"
    );
    // 5000 × 30.015 + $25 = $150,100: on margin, cash goes negative
    submit_ok(&mut b, &order(2, Side::Buy, dec!(5000), t));
    b.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.0, 30.0));
    assert_eq!(b.cash(), dec!(-50100));
    assert_eq!(b.positions().count(), 1);
    // Two calendar days later the debit pays 5 % a year on a 360-day year: $13.92.
    let ev = b.on_bar(Symbol::Twm, &bar(4, 30.0, 31.0, 29.0, 30.0));
    assert!(
        matches!(ev[..], [BrokerEvent::Interest { amount, days: 2, .. }, BrokerEvent::Account { .. }] if amount == dec!(13.92)),
        "{ev:?}"
    );
    assert_eq!(b.cash(), dec!(-50113.92));
    // A second bar of the same day charges nothing more.
    assert!(b
        .on_bar(Symbol::Iwm, &bar(4, 200.0, 201.0, 199.0, 200.0))
        .is_empty());
}

#[test]
fn a_buy_that_a_gap_makes_unaffordable_is_rejected_at_the_fill_not_filled() {
    let cfg = cash_account();
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 30.0, 31.0, 29.0, 30.0);
    b.on_bar(Symbol::Twm, &d1);
    submit_ok(
        &mut b,
        &order(1, Side::Buy, dec!(3300), d1.time + Duration::hours(20)),
    );
    let ev = b.on_bar(Symbol::Twm, &bar(2, 40.0, 41.0, 39.0, 40.0));
    let reason = rejection(&ev).to_string();
    assert!(reason.starts_with("insufficient buying power"), "{reason}");
    assert_eq!(b.cash(), dec!(100000));
    assert_eq!(b.positions().count(), 0);
    assert!(b.working().is_empty(), "a rejected order is done");
}

#[test]
fn a_sell_of_more_than_held_is_rejected_even_when_it_was_restored_working() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let t = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    // A journal can hand back a working sell larger than the position it rebuilt.
    b.restore(dec!(1000), &[], &[order(1, Side::Sell, dec!(10), t)]);
    let ev = b.on_bar(Symbol::Twm, &bar(2, 32.0, 33.0, 31.0, 32.5));
    assert!(rejection(&ev).contains("no shorting"), "{ev:?}");
    assert_eq!(b.cash(), dec!(1000));
    assert_eq!(b.positions().count(), 0);
}

#[test]
fn commission_is_capped_at_a_fraction_of_notional() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 0.01, 0.01, 0.01, 0.01);
    b.on_bar(Symbol::Twm, &d1);
    submit_ok(
        &mut b,
        &order(1, Side::Buy, dec!(100), d1.time + Duration::hours(20)),
    );
    let ev = b.on_bar(Symbol::Twm, &bar(2, 0.01, 0.01, 0.01, 0.01));
    let BrokerEvent::Filled(f) = &ev[0] else {
        panic!("{ev:?}")
    };
    // $1.00 of stock: the $1 minimum would be 100 % of it; the 1 % cap is one cent.
    assert_eq!(f.price * f.qty, dec!(1.00));
    assert_eq!(f.commission, dec!(0.01));
    // A normal trade still pays per share or the minimum.
    let costs = Costs::paper(&cfg);
    assert_eq!(costs.commission(dec!(100), dec!(30)), dec!(1.00));
    assert_eq!(costs.commission(dec!(1000), dec!(30)), dec!(5.00));
}

#[test]
fn a_price_below_the_tick_never_fills_free() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    let d1 = bar(1, 0.00004, 0.00004, 0.00004, 0.00004);
    b.on_bar(Symbol::Twm, &d1);
    let t = d1.time + Duration::hours(20);
    let ev = b.submit(&order(1, Side::Buy, dec!(1000), t));
    let ev = match &ev[..] {
        [BrokerEvent::Accepted { .. }] => {
            b.on_bar(Symbol::Twm, &bar(2, 0.00004, 0.00004, 0.00004, 0.00004))
        }
        _ => ev,
    };
    assert!(rejection(&ev).contains("tick"), "{ev:?}");
    assert_eq!(b.positions().count(), 0, "nothing was bought for nothing");
    assert_eq!(b.cash(), dec!(100000));
    let limit = OrderRequest {
        order_type: OrderType::Limit {
            limit_price: dec!(0.00001),
        },
        ..order(2, Side::Buy, dec!(1000), t)
    };
    assert!(rejection(&b.submit(&limit)).contains("tick"));
}

#[test]
fn market_on_close_fills_at_its_days_close_and_expires_when_that_close_is_missed() {
    let cfg = Config::default_config().paper;
    let mut b = PaperBroker::new(&cfg);
    b.on_bar(Symbol::Twm, &bar(1, 30.0, 31.0, 29.0, 30.5));
    // Placed at 15:45 New York on 2 April (19:45 UTC); its day's bar is stamped that morning.
    let at = Utc.with_ymd_and_hms(2025, 4, 2, 19, 45, 0).unwrap();
    let mut o = order(1, Side::Buy, dec!(100), at);
    o.order_type = OrderType::MarketOnClose;
    assert!(matches!(b.submit(&o)[0], BrokerEvent::Accepted { .. }));
    let ev = b.on_bar(Symbol::Twm, &bar(2, 32.0, 33.0, 31.0, 32.5));
    let BrokerEvent::Filled(f) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        f.price,
        dec!(32.5162),
        "the close, 32.5, + 5 bps, to the 4-place tick"
    );
    // One placed on the 3rd whose day passes without a bar never fills at a later close.
    let mut late = order(2, Side::Buy, dec!(10), at + Duration::days(1));
    late.order_type = OrderType::MarketOnClose;
    assert!(matches!(b.submit(&late)[0], BrokerEvent::Accepted { .. }));
    let ev = b.on_bar(Symbol::Twm, &bar(4, 33.0, 34.0, 32.0, 33.5));
    assert!(
        matches!(&ev[0], BrokerEvent::Rejected { reason, .. } if reason.contains("expired")),
        "{ev:?}"
    );
}

/// A quantity with no decimals written is whole without asking `fract`; any other is asked.
#[test]
fn whole_quantities_are_told_apart_as_before() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(14);
    let b = PaperBroker::new(&Config::default_config().paper);
    for _ in 0..100_000 {
        let q = Decimal::new(rng.gen_range(-1_000_000..1_000_000), rng.gen_range(0..6));
        let o = order(
            1,
            Side::Sell,
            q,
            Utc.with_ymd_and_hms(2025, 1, 2, 14, 30, 0).unwrap(),
        );
        let bad = q <= Decimal::ZERO || q.fract() != Decimal::ZERO;
        let refused = b.refusal(&o, None);
        assert_eq!(
            refused
                .as_deref()
                .is_some_and(|r| r.starts_with("bad quantity")),
            bad,
            "{q:?}: {refused:?}"
        );
    }
}
