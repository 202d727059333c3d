//! Table-driven tests, one table per gate, plus the kill switch and the working-order book.

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::broker::Costs;
use crate::model::{Fill, OrderType, Side, Symbol};

pub(super) fn limits() -> RiskLimits {
    RiskLimits {
        max_order_notional: dec!(50000),
        max_position_pct: dec!(0.30),
        max_vehicle_pct: dec!(0.30),
        max_beta_exposure: dec!(1.0),
        max_orders_per_minute: 3,
        daily_loss_limit: dec!(0.03),
        stale_after_secs: 900,
        costs: Costs::free(),
    }
}

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 4, 4, 15, 0, 0).unwrap()
}

/// $100k equity, flat, fresh data, IWM 200 / TWM 40 / SRTY 20.
pub(super) fn ctx() -> RiskContext {
    RiskContext {
        now: t0(),
        equity: dec!(100000),
        cash: dec!(100000),
        margin: dec!(0),
        book: dec!(0),
        book_symbol: Symbol::Iwm,
        start_of_day_equity: dec!(100000),
        book_change_today: dec!(0),
        positions: BySymbol::default(),
        pending: BySymbol::default(),
        pending_buys: BySymbol::default(),
        prices: [
            (Symbol::Iwm, dec!(200)),
            (Symbol::Twm, dec!(40)),
            (Symbol::Srty, dec!(20)),
        ]
        .into_iter()
        .collect(),
        last_data: Some(t0() - Duration::seconds(60)),
        feed_ok: true,
        live: false,
        market_open: false,
    }
}

pub(super) fn order(n: u64, symbol: Symbol, side: Side, qty: Decimal) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::new("t", n),
        symbol,
        side,
        qty,
        order_type: OrderType::Market,
        signal_id: Some(n),
        book: None,
        created: t0(),
    }
}

fn code(gate: &mut RiskGate, o: &OrderRequest, c: &RiskContext) -> &'static str {
    match gate.check_copy(o, c) {
        Ok(_) => "ok",
        Err(r) => r.reason.code(),
    }
}

#[test]
fn exposure_caps_table() {
    let with_twm = |qty: Decimal| {
        let mut c = ctx();
        c.positions.insert(Symbol::Twm, qty);
        c
    };
    let cases: Vec<(&str, OrderRequest, RiskContext, &str)> = vec![
        (
            "small IWM buy",
            order(1, Symbol::Iwm, Side::Buy, dec!(100)),
            ctx(),
            "ok",
        ),
        // 300 × 200 = 60,000 > 50,000
        (
            "notional",
            order(1, Symbol::Iwm, Side::Buy, dec!(300)),
            ctx(),
            "max_order_notional",
        ),
        // 160 × 200 = 32,000 > 30 % of 100k
        (
            "position",
            order(1, Symbol::Iwm, Side::Buy, dec!(160)),
            ctx(),
            "max_position_pct",
        ),
        // held 700 TWM (28k) + 100 (4k) = 32k > 30k
        (
            "position adds up",
            order(1, Symbol::Twm, Side::Buy, dec!(100)),
            with_twm(dec!(700)),
            "max_position_pct",
        ),
        // beta: 600 TWM = 24k × 2 = 48k; + 1,400 SRTY = 28k × 3 = 84k → 132k > 100k
        (
            "gross beta",
            order(1, Symbol::Srty, Side::Buy, dec!(1400)),
            with_twm(dec!(600)),
            "max_gross_beta",
        ),
        (
            "beta under cap",
            order(1, Symbol::Srty, Side::Buy, dec!(800)),
            with_twm(dec!(600)),
            "ok",
        ),
        // exits are exempt from every exposure cap, even when the position itself is over
        (
            "exit over caps",
            order(1, Symbol::Twm, Side::Sell, dec!(2000)),
            with_twm(dec!(2000)),
            "ok",
        ),
        // selling more than held flips to short: that is an entry, and it is capped
        (
            "flip is entry",
            order(1, Symbol::Twm, Side::Sell, dec!(2500)),
            with_twm(dec!(1000)),
            "max_order_notional",
        ),
        (
            "zero qty",
            order(1, Symbol::Iwm, Side::Buy, dec!(0)),
            ctx(),
            "invalid_quantity",
        ),
    ];
    for (name, o, c, want) in cases {
        let mut gate = RiskGate::new(limits());
        assert_eq!(code(&mut gate, &o, &c), want, "case {name}");
    }
}

#[test]
fn freshness_and_market_table() {
    let stale = RiskContext {
        last_data: Some(t0() - Duration::seconds(901)),
        ..ctx()
    };
    let feed_down = RiskContext {
        feed_ok: false,
        ..ctx()
    };
    let no_data = RiskContext {
        last_data: None,
        ..ctx()
    };
    let live_closed = RiskContext {
        live: true,
        market_open: false,
        ..ctx()
    };
    let live_open = RiskContext {
        live: true,
        market_open: true,
        ..ctx()
    };
    let no_price = RiskContext {
        prices: BySymbol::default(),
        ..ctx()
    };
    let buy = order(1, Symbol::Iwm, Side::Buy, dec!(10));
    let cases = [
        ("stale", &stale, "stale_data"),
        ("feed down", &feed_down, "stale_data"),
        ("no data yet", &no_data, "stale_data"),
        ("live closed", &live_closed, "market_closed"),
        ("live open", &live_open, "ok"),
        ("no price", &no_price, "no_price"),
    ];
    for (name, c, want) in cases {
        let mut gate = RiskGate::new(limits());
        assert_eq!(code(&mut gate, &buy, c), want, "case {name}");
    }
    // An exit goes out even on stale data with the market closed: reducing risk is never blocked.
    let mut exit_ctx = stale.clone();
    exit_ctx.live = true;
    exit_ctx.positions.insert(Symbol::Iwm, dec!(10));
    let mut gate = RiskGate::new(limits());
    let sell = order(2, Symbol::Iwm, Side::Sell, dec!(10));
    assert_eq!(code(&mut gate, &sell, &exit_ctx), "ok");
}

#[test]
fn duplicates_and_rate_table() {
    let mut gate = RiskGate::new(limits());
    let c = ctx();
    let a = order(1, Symbol::Iwm, Side::Buy, dec!(1));
    assert_eq!(code(&mut gate, &a, &c), "ok");
    assert_eq!(code(&mut gate, &a, &c), "duplicate_order", "same client id");
    let mut same_signal = order(2, Symbol::Iwm, Side::Buy, dec!(1));
    same_signal.signal_id = Some(1);
    let err = gate.check_copy(&same_signal, &c).unwrap_err();
    assert_eq!(err.reason.to_string(), "signal 1 already has order da-t-1");
    // rate: 3 per minute
    assert_eq!(
        code(&mut gate, &order(3, Symbol::Iwm, Side::Buy, dec!(1)), &c),
        "ok"
    );
    assert_eq!(
        code(&mut gate, &order(4, Symbol::Iwm, Side::Buy, dec!(1)), &c),
        "ok"
    );
    assert_eq!(
        code(&mut gate, &order(5, Symbol::Iwm, Side::Buy, dec!(1)), &c),
        "order_rate_limit"
    );
    let later = RiskContext {
        now: t0() + Duration::seconds(61),
        last_data: Some(t0() + Duration::seconds(60)),
        ..ctx()
    };
    assert_eq!(
        code(
            &mut gate,
            &order(5, Symbol::Iwm, Side::Buy, dec!(1)),
            &later
        ),
        "ok"
    );
}

#[test]
fn rejected_order_frees_its_signal_but_a_fill_does_not() {
    let mut gate = RiskGate::new(limits());
    let c = ctx();
    gate.check_copy(&order(1, Symbol::Iwm, Side::Buy, dec!(1)), &c)
        .unwrap();
    gate.on_broker_event(&BrokerEvent::Rejected {
        client_order_id: ClientOrderId::new("t", 1),
        reason: "no".into(),
    });
    let mut retry = order(2, Symbol::Iwm, Side::Buy, dec!(1));
    retry.signal_id = Some(1);
    assert_eq!(code(&mut gate, &retry, &c), "ok");
    gate.on_broker_event(&BrokerEvent::Filled(Fill {
        client_order_id: ClientOrderId::new("t", 2),
        symbol: Symbol::Iwm,
        side: Side::Buy,
        qty: dec!(1),
        price: dec!(200),
        commission: dec!(0),
        time: t0(),
    }));
    assert!(gate.working().is_empty());
    let mut again = order(3, Symbol::Iwm, Side::Buy, dec!(1));
    again.signal_id = Some(1);
    assert_eq!(code(&mut gate, &again, &c), "duplicate_order");
}

#[test]
fn daily_loss_halts_entries_until_the_next_day_but_not_exits() {
    let mut gate = RiskGate::new(limits());
    let mut c = ctx();
    c.equity = dec!(96900); // −3.1 %
    c.positions.insert(Symbol::Twm, dec!(100));
    let err = gate
        .check_copy(&order(1, Symbol::Iwm, Side::Buy, dec!(1)), &c)
        .unwrap_err();
    assert_eq!(err.reason.code(), "daily_loss_limit");
    assert!(
        err.reason.to_string().contains("$3,100 (3.1%)"),
        "{}",
        err.reason
    );
    // equity bounces back the same day: still halted
    c.equity = dec!(100500);
    assert_eq!(
        code(&mut gate, &order(2, Symbol::Iwm, Side::Buy, dec!(1)), &c),
        "daily_loss_limit"
    );
    assert_eq!(
        code(&mut gate, &order(3, Symbol::Twm, Side::Sell, dec!(100)), &c),
        "ok"
    );
    // next New York day: entries again
    c.now = t0() + Duration::days(1);
    c.last_data = Some(c.now);
    c.start_of_day_equity = dec!(100500);
    assert_eq!(
        code(&mut gate, &order(4, Symbol::Iwm, Side::Buy, dec!(1)), &c),
        "ok"
    );
}

#[test]
fn the_trader_s_book_falling_is_not_the_agents_daily_loss() {
    // Hedge mode: the account holds a $90,000 book that fell $4,000 today; the agents lost $500.
    let mut gate = RiskGate::new(limits());
    let mut c = ctx();
    c.equity = dec!(95500);
    c.book_change_today = dec!(-4000);
    assert_eq!(
        code(&mut gate, &order(1, Symbol::Twm, Side::Buy, dec!(10)), &c),
        "ok",
        "a crash day is when the hedge is needed"
    );
    // the agents' own loss past 3 % still halts them
    c.equity = dec!(92500);
    assert_eq!(
        code(&mut gate, &order(2, Symbol::Twm, Side::Buy, dec!(10)), &c),
        "daily_loss_limit"
    );
}

#[test]
fn kill_switch_blocks_new_risk_never_an_exit_and_lists_working_orders() {
    let mut gate = RiskGate::new(limits());
    let mut c = ctx();
    gate.check_copy(&order(1, Symbol::Iwm, Side::Buy, dec!(1)), &c)
        .unwrap();
    gate.check_copy(&order(2, Symbol::Twm, Side::Buy, dec!(1)), &c)
        .unwrap();
    gate.on_broker_event(&BrokerEvent::Canceled {
        client_order_id: ClientOrderId::new("t", 2),
    });
    assert_eq!(gate.engage(), vec![ClientOrderId::new("t", 1)]);
    c.positions.insert(Symbol::Twm, dec!(10));
    assert_eq!(
        code(&mut gate, &order(3, Symbol::Twm, Side::Buy, dec!(1)), &c),
        "kill_switch"
    );
    // selling what is held is a way out of risk: the kill switch never blocks it
    assert_eq!(
        code(&mut gate, &order(4, Symbol::Twm, Side::Sell, dec!(10)), &c),
        "ok"
    );
    gate.release();
    c.now += Duration::seconds(61); // past the per-minute order limit
    c.last_data = Some(c.now);
    assert_eq!(
        code(&mut gate, &order(5, Symbol::Twm, Side::Buy, dec!(1)), &c),
        "ok"
    );
}

#[test]
fn restore_brings_back_kill_and_used_signals() {
    let mut gate = RiskGate::new(limits());
    let mut r = RiskRestore {
        kill_switch: true,
        ..Default::default()
    };
    r.ordered_signals.insert(7, ClientOrderId::new("old", 3));
    r.working
        .push((ClientOrderId::new("old", 3), Some(7), dec!(5)));
    gate.restore(&r);
    assert_eq!(gate.engage(), vec![ClientOrderId::new("old", 3)]);
    gate.release();
    let mut o = order(9, Symbol::Iwm, Side::Buy, dec!(1));
    o.signal_id = Some(7);
    assert_eq!(code(&mut gate, &o, &ctx()), "duplicate_order");
}

#[test]
fn limits_from_default_config_are_exact_decimals() {
    let l = RiskLimits::from(&crate::config::Config::default_config().risk);
    assert_eq!(l.max_position_pct, dec!(1));
    assert_eq!(l.max_vehicle_pct, dec!(0.5));
    assert_eq!(l.max_beta_exposure, dec!(1));
    assert_eq!(l.daily_loss_limit, dec!(0.03));
    assert_eq!(l.max_order_notional, dec!(1000000));
}

/// 10 bps slippage, 1 ¢ a share with a $1 minimum, capped at 1 %.
pub(super) fn costs() -> Costs {
    Costs {
        slippage: dec!(0.001),
        per_share: dec!(0.01),
        min: dec!(1),
        max_pct: dec!(0.01),
    }
}

#[path = "cost_tests.rs"]
mod costs_at_the_gate;
