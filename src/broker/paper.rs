//! The built-in paper simulator: fills market orders at the next bar's open of their symbol, with
//! slippage against the trader and a per-share commission; keeps cash and positions in decimals.

use std::collections::BTreeMap;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::{Broker, BrokerEvent, BrokerKind};
use crate::config::PaperConfig;
use crate::model::{Bar, ClientOrderId, Fill, OrderRequest, OrderType, Position, Side, Symbol};

/// f64 market price → cents-and-better decimal.
pub fn price(p: f64) -> Decimal {
    crate::model::price::price(p)
}

pub struct PaperBroker {
    cfg: PaperConfig,
    cash: Decimal,
    positions: BTreeMap<Symbol, Position>,
    working: Vec<OrderRequest>,
    last_close: BTreeMap<Symbol, Decimal>,
    /// Every id ever accepted: a venue refuses a duplicate client order id.
    seen: std::collections::HashSet<ClientOrderId>,
}

impl PaperBroker {
    pub fn new(cfg: &PaperConfig) -> Self {
        PaperBroker {
            cfg: cfg.clone(),
            cash: cfg.starting_cash,
            positions: BTreeMap::new(),
            working: Vec::new(),
            last_close: BTreeMap::new(),
            seen: Default::default(),
        }
    }

    /// Bring back a simulator that died with its process (a resumed session): cash and
    /// positions as rebuilt from the journal, and the working orders whose intents were
    /// journaled, under their own client order ids. Returns `Accepted` for each order, which
    /// is what the venue would have answered had it been sent (or sent again) now.
    pub fn restore(
        &mut self,
        cash: Decimal,
        positions: &[Position],
        working: &[OrderRequest],
    ) -> Vec<BrokerEvent> {
        self.cash = cash;
        self.positions = positions.iter().map(|p| (p.symbol, p.clone())).collect();
        self.working = working.to_vec();
        self.seen = working.iter().map(|o| o.client_order_id.clone()).collect();
        working
            .iter()
            .map(|o| BrokerEvent::Accepted {
                client_order_id: o.client_order_id.clone(),
                broker_order_id: Some(format!("sim-{}", o.client_order_id)),
            })
            .collect()
    }

    pub fn cash(&self) -> Decimal {
        self.cash
    }

    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.values().filter(|p| !p.qty.is_zero())
    }

    pub fn working(&self) -> &[OrderRequest] {
        &self.working
    }

    /// Cash plus positions marked at the last close seen.
    pub fn equity(&self) -> Decimal {
        self.cash
            + self
                .positions
                .values()
                .map(|p| {
                    p.market_value(
                        self.last_close
                            .get(&p.symbol)
                            .copied()
                            .unwrap_or(p.avg_price),
                    )
                })
                .sum::<Decimal>()
    }

    fn fill_price(&self, side: Side, reference: Decimal) -> Decimal {
        let slip = Decimal::from_f64(self.cfg.slippage_bps / 10_000.0).unwrap_or_default();
        (reference * (Decimal::ONE + side.sign() * slip)).round_dp(4)
    }

    fn commission(&self, qty: Decimal) -> Decimal {
        (qty * self.cfg.commission_per_share)
            .max(self.cfg.commission_min)
            .round_dp(2)
    }

    /// The price at which `order` executes in `bar`, if it does.
    fn execution(&self, order: &OrderRequest, bar: &Bar) -> Option<Decimal> {
        let (open, high, low) = (price(bar.open), price(bar.high), price(bar.low));
        match order.order_type {
            OrderType::Market => Some(self.fill_price(order.side, open)),
            OrderType::Limit { limit_price } => match order.side {
                Side::Buy if low <= limit_price => Some(open.min(limit_price)),
                Side::Sell if high >= limit_price => Some(open.max(limit_price)),
                _ => None,
            },
            OrderType::Stop { stop_price } => match order.side {
                Side::Sell if low <= stop_price => {
                    Some(self.fill_price(Side::Sell, open.min(stop_price)))
                }
                Side::Buy if high >= stop_price => {
                    Some(self.fill_price(Side::Buy, open.max(stop_price)))
                }
                _ => None,
            },
        }
    }
}

impl Broker for PaperBroker {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Sim
    }

    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent> {
        let id = order.client_order_id.clone();
        if !self.seen.insert(id.clone()) {
            return vec![BrokerEvent::Rejected {
                client_order_id: id,
                reason: "client_order_id must be unique".into(),
            }];
        }
        if order.qty <= Decimal::ZERO || order.qty.fract() != Decimal::ZERO {
            return vec![BrokerEvent::Rejected {
                client_order_id: id,
                reason: format!("bad quantity {}", order.qty),
            }];
        }
        if order.side == Side::Sell {
            let held = self
                .positions
                .get(&order.symbol)
                .map(|p| p.qty)
                .unwrap_or_default();
            let pending: Decimal = self
                .working
                .iter()
                .filter(|o| o.symbol == order.symbol && o.side == Side::Sell)
                .map(|o| o.qty)
                .sum();
            if order.qty > held - pending {
                return vec![BrokerEvent::Rejected {
                    client_order_id: id,
                    reason: format!(
                        "insufficient qty: {} {} held, {} already being sold",
                        held, order.symbol, pending
                    ),
                }];
            }
        }
        self.working.push(order.clone());
        vec![BrokerEvent::Accepted {
            client_order_id: id.clone(),
            broker_order_id: Some(format!("sim-{}", id)),
        }]
    }

    fn cancel(&mut self, client_order_id: &ClientOrderId) -> Vec<BrokerEvent> {
        let before = self.working.len();
        self.working
            .retain(|o| &o.client_order_id != client_order_id);
        if self.working.len() < before {
            vec![BrokerEvent::Canceled {
                client_order_id: client_order_id.clone(),
            }]
        } else {
            Vec::new()
        }
    }

    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) -> Vec<BrokerEvent> {
        let mut events = Vec::new();
        let mut still = Vec::with_capacity(self.working.len());
        for order in std::mem::take(&mut self.working) {
            // Only orders placed before this bar opened can fill in it.
            let fill_at = (order.symbol == symbol && order.created < bar.time)
                .then(|| self.execution(&order, bar))
                .flatten();
            let Some(px) = fill_at else {
                still.push(order);
                continue;
            };
            let fill = Fill {
                client_order_id: order.client_order_id.clone(),
                symbol,
                side: order.side,
                qty: order.qty,
                price: px,
                commission: self.commission(order.qty),
                time: bar.time,
            };
            self.cash += fill.cash_delta();
            self.positions
                .entry(symbol)
                .or_insert_with(|| Position::flat(symbol, bar.time))
                .apply(&fill);
            events.push(BrokerEvent::Filled(fill));
        }
        self.working = still;
        self.last_close.insert(symbol, price(bar.close));
        if !events.is_empty() {
            events.push(BrokerEvent::Account {
                cash: self.cash,
                equity: self.equity(),
            });
        }
        events
    }
}

/// Equity as f64, for sizing arithmetic.
pub fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::{Duration, TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn bar(day: u32, o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 4, day, 4, 0, 0).unwrap(),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1e6,
        }
    }

    fn order(seq: u64, side: Side, qty: Decimal, t: chrono::DateTime<Utc>) -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId::new("t", seq),
            symbol: Symbol::Twm,
            side,
            qty,
            order_type: OrderType::Market,
            signal_id: None,
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
}
