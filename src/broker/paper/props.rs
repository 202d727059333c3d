//! Property test: over random bar paths (gaps, collapses toward zero, prices under the tick) and
//! random orders and cancels, the simulator's account never goes below zero and always equals
//! its starting cash plus the fills it reported.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::{price, PaperBroker, TICK};
use crate::broker::{Broker, BrokerEvent, Costs};
use crate::config::Config;
use crate::model::{Bar, ClientOrderId, OrderRequest, OrderType, Side, Symbol};

#[derive(Debug, Clone)]
enum Op {
    /// A bar of `symbol`: log-moves of the open from the last close and of the close from the
    /// open, and the wick as a fraction.
    Bar {
        symbol: usize,
        gap: f64,
        body: f64,
        wick: f64,
    },
    Order {
        symbol: usize,
        buy: bool,
        qty: u32,
        /// 0 market, 1 limit, 2 stop; the price is the last close times `factor`.
        kind: u8,
        factor: f64,
    },
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, -1.5f64..1.5, -1.0f64..1.0, 0.0f64..0.2)
            .prop_map(|(symbol, gap, body, wick)| Op::Bar { symbol, gap, body, wick }),
        4 => (0usize..3, any::<bool>(), 1u32..5000, 0u8..3, 0.5f64..1.5)
            .prop_map(|(symbol, buy, qty, kind, factor)| Op::Order { symbol, buy, qty, kind, factor }),
        1 => (0usize..64).prop_map(Op::Cancel),
    ]
}

fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default().round_dp(4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_account_never_goes_below_zero_and_equals_its_fills(
        start_cash in 50u32..200_000,
        first in prop_oneof![0.00001f64..0.001, 0.001f64..1.0, 1.0f64..500.0],
        ops in prop::collection::vec(op(), 1..160),
    ) {
        let mut cfg = Config::default_config().paper;
        // A cash account (`buying_power = 1`): the margin one is tested in paper/tests.rs.
        cfg.buying_power = 1.0;
        cfg.starting_cash = Decimal::from(start_cash);
        let costs = Costs::paper(&cfg);
        let mut b = PaperBroker::new(&cfg);
        let mut close = [first; 3];
        let mut last_close: BTreeMap<Symbol, Decimal> = BTreeMap::new();
        let mut t: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, 2, 15, 0, 0).unwrap();
        let mut seq = 0u64;
        let mut sent: Vec<ClientOrderId> = Vec::new();
        let mut cash = cfg.starting_cash;
        let mut held: BTreeMap<Symbol, Decimal> = BTreeMap::new();
        for op in ops {
            let events = match op {
                Op::Bar { symbol, gap, body, wick } => {
                    t += Duration::hours(1);
                    let open = (close[symbol] * gap.exp()).clamp(1e-6, 1e4);
                    let c = (open * body.exp()).clamp(1e-6, 1e4);
                    close[symbol] = c;
                    let bar = Bar {
                        time: t,
                        open,
                        high: open.max(c) * (1.0 + wick),
                        low: open.min(c) * (1.0 - wick),
                        close: c,
                        volume: 1e6,
                    };
                    let sym = Symbol::ALL[symbol];
                    last_close.insert(sym, price(c));
                    b.on_bar(sym, &bar)
                }
                Op::Order { symbol, buy, qty, kind, factor } => {
                    seq += 1;
                    let p = dec(close[symbol] * factor);
                    let order = OrderRequest {
                        client_order_id: ClientOrderId::new("p", seq),
                        symbol: Symbol::ALL[symbol],
                        side: if buy { Side::Buy } else { Side::Sell },
                        qty: Decimal::from(qty),
                        order_type: match kind {
                            0 => OrderType::Market,
                            1 => OrderType::Limit { limit_price: p },
                            _ => OrderType::Stop { stop_price: p },
                        },
                        signal_id: None,
                        book: None,
                        created: t + Duration::minutes(1),
                    };
                    sent.push(order.client_order_id.clone());
                    b.submit(&order)
                }
                Op::Cancel(i) => match sent.get(i) {
                    Some(id) => b.cancel(&id.clone()),
                    None => Vec::new(),
                },
            };
            for ev in &events {
                if let BrokerEvent::Filled(f) = ev {
                    prop_assert!(f.price >= TICK, "filled below the tick: {f:?}");
                    let notional = f.qty * f.price;
                    prop_assert!(
                        f.commission <= notional * costs.max_pct,
                        "commission {} over the cap on {notional}", f.commission
                    );
                    cash += f.cash_delta();
                    *held.entry(f.symbol).or_default() += f.side.sign() * f.qty;
                }
            }
            prop_assert!(b.cash() >= Decimal::ZERO, "cash {} after {events:?}", b.cash());
            prop_assert_eq!(b.cash(), cash, "cash is the starting cash plus the fills");
            for s in Symbol::ALL {
                let q = held.get(&s).copied().unwrap_or_default();
                prop_assert!(q >= Decimal::ZERO, "short {q} {s}: no shorting in this account");
                let venue = b.positions().find(|p| p.symbol == s).map_or(Decimal::ZERO, |p| p.qty);
                prop_assert_eq!(venue, q, "{} position is the sum of its fills", s);
            }
            let marked: Decimal = held
                .iter()
                .map(|(s, q)| *q * last_close.get(s).copied().unwrap_or_default())
                .sum();
            prop_assert_eq!(b.equity(), cash + marked);
        }
    }
}
