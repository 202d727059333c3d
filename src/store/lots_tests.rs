//! The lot book: sells by book, P&L and R per lot, records and their Wilson interval.

use super::*;
use crate::model::ClientOrderId;
use crate::model::SignalKind;
use chrono::TimeZone;
use rust_decimal_macros::dec;

fn signal(id: u64, kind: SignalKind, px: Decimal, stop: Option<Decimal>) -> Signal {
    Signal {
        id,
        time: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        agent: if matches!(kind, SignalKind::BearEntry { .. }) {
            Agent::Bear
        } else {
            Agent::Bull
        },
        kind,
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(100),
        reference_price: px,
        stop_price: stop,
        iwm_stop: None,
        record: None,
        confidence: 0.5,
        reasons: Vec::new(),
    }
}

fn fill(symbol: Symbol, side: Side, qty: Decimal, price: Decimal, day: u32) -> Fill {
    Fill {
        client_order_id: ClientOrderId::new("t", u64::from(day)),
        symbol,
        side,
        qty,
        price,
        commission: dec!(1),
        time: Utc.with_ymd_and_hms(2025, 1, day, 0, 0, 0).unwrap(),
    }
}

#[test]
fn a_stop_sells_the_top_tier_first_and_each_lot_has_its_r() {
    let mut b = LotBook::new(10);
    let t1 = signal(
        1,
        SignalKind::BearEntry { tier: 1 },
        dec!(40),
        Some(dec!(36)),
    );
    let t2 = signal(
        2,
        SignalKind::BearEntry { tier: 2 },
        dec!(44),
        Some(dec!(40)),
    );
    let tier = |t| Some(AgentBook::BearTier { tier: t });
    b.on_fill(
        &fill(Symbol::Twm, Side::Buy, dec!(100), dec!(40), 2),
        tier(1),
        Some(&t1),
        None,
    );
    b.on_fill(
        &fill(Symbol::Twm, Side::Buy, dec!(50), dec!(44), 5),
        tier(2),
        Some(&t2),
        None,
    );
    let stop = signal(3, SignalKind::BearStop, dec!(42), None);
    // 60 sold: tier 2's 50 first, then 10 of tier 1
    b.on_fill(
        &fill(Symbol::Twm, Side::Sell, dec!(60), dec!(42), 9),
        Some(AgentBook::BearAll),
        Some(&stop),
        None,
    );
    let closed = b.take_closed();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].kind, TradeKind::BearTier2);
    // cost 50 × 44 + 1, proceeds 50 × 42 − 1 × 50/60
    let pnl = 2100.0 - 1.0 * 50.0 / 60.0 - 2201.0;
    assert!((closed[0].pnl() - pnl).abs() < 1e-9, "{}", closed[0].pnl());
    assert!((closed[0].r().unwrap() - pnl / (4.0 * 50.0)).abs() < 1e-9);
    assert_eq!(closed[0].exit_reason, "stop");
    assert_eq!(b.open_lots()[0].open, dec!(90));
    b.on_fill(
        &fill(Symbol::Twm, Side::Sell, dec!(90), dec!(48), 12),
        None,
        None,
        None,
    );
    let closed = b.take_closed();
    assert_eq!(
        (closed[0].kind, closed[0].exit_reason.as_str()),
        (TradeKind::BearTier1, "flatten")
    );
    let r1 = b.record(TradeKind::BearTier1);
    assert_eq!((r1.trades, r1.wins), (1, 1));
    assert_eq!(b.record(TradeKind::BearTier2).wins, 0);
    assert!(b.open_lots().is_empty());
}

#[test]
fn wilson_matches_the_textbook_interval() {
    // 24 wins in 68: the study's tier-1 record "24 % (15–35 %)"
    let (lo, hi) = wilson(16, 68).unwrap();
    assert!(
        (lo - 0.1500).abs() < 0.005 && (hi - 0.3484).abs() < 0.005,
        "{lo} {hi}"
    );
    assert_eq!(wilson(0, 0), None);
    let (lo, hi) = wilson(5, 5).unwrap();
    assert!(lo > 0.5 && hi == 1.0);
}

#[test]
fn a_seed_is_merged_into_the_records_and_the_session_adds_to_it() {
    let mut b = LotBook::new(10);
    let t0 = Utc.with_ymd_and_hms(2017, 8, 18, 0, 0, 0).unwrap();
    let earlier = Record {
        trades: 19,
        wins: 5,
        sum_r: -0.6,
        with_r: 19,
        pnl: -1000.0,
        since: Some(t0),
    };
    b.seed(&vec![(TradeKind::BearTier1, earlier)]);
    let t1 = signal(
        1,
        SignalKind::BearEntry { tier: 1 },
        dec!(40),
        Some(dec!(36)),
    );
    let tier = Some(AgentBook::BearTier { tier: 1 });
    b.on_fill(
        &fill(Symbol::Twm, Side::Buy, dec!(100), dec!(40), 2),
        tier,
        Some(&t1),
        None,
    );
    b.on_fill(
        &fill(Symbol::Twm, Side::Sell, dec!(100), dec!(44), 9),
        tier,
        None,
        None,
    );
    let r = b.record(TradeKind::BearTier1);
    assert_eq!((r.trades, r.wins, r.with_r), (20, 6, 20));
    assert_eq!(r.since, Some(t0), "since the history's first trade");
    assert!(r.pnl > -1000.0 + 300.0);
}
