//! The built-in paper simulator: fills market orders at the next bar's open of their symbol, with
//! slippage against the trader and a capped per-share commission; keeps cash and positions in
//! decimals. Like a margin account at a real venue it refuses what it cannot fund: a buy beyond
//! the buying power (cash, plus (multiple − 1) × equity under Reg T: `paper.buying_power`) not
//! already promised to working buys, a sell beyond what is held (no shorting), and any price
//! below the 4-dp tick. With `buying_power = 1` it is a cash account that never goes below zero.

use rust_decimal::Decimal;

use super::{Broker, BrokerEvent, BrokerKind, BuyCost, Costs};
use crate::alpaca::session::ny_date;
use crate::config::PaperConfig;
use crate::model::money::usd_cents;
use crate::model::{Bar, ClientOrderId, Fill, OrderRequest, OrderType, Position, Side, Symbol};

/// The venue's price increment: prices are kept at 4 dp, so anything smaller is no price at all.
pub const TICK: Decimal = Decimal::from_parts(1, 0, 0, false, 4);

/// f64 market price → cents-and-better decimal.
pub fn price(p: f64) -> Decimal {
    crate::model::price::price(p)
}

pub struct PaperBroker {
    costs: Costs,
    cash: Decimal,
    /// Buying power beyond cash, per dollar of equity (Reg T: 1; a cash account: 0).
    margin_per_equity: Decimal,
    /// Interest a year on a debit balance, and the New York day it was last charged to.
    margin_rate: Decimal,
    charged_to: Option<chrono::NaiveDate>,
    /// The instant of the last bar the interest looked at: the other symbols' bars of that
    /// instant are of the same day (asking the day on every bar was most of a quiet bar).
    interest_seen: Option<chrono::DateTime<chrono::Utc>>,
    /// The instants of `charged_to`'s New York day (its midnight to the next): a bar inside
    /// them is of the day already charged, known without asking its day.
    charged_span: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    positions: crate::model::Positions,
    working: Vec<OrderRequest>,
    /// Raw last closes, converted to money only when an order or the equity needs one.
    last_close: [Option<f64>; Symbol::COUNT],
    /// Every id ever accepted (bounded, still exact about repeats): a venue refuses a
    /// duplicate client order id.
    seen: crate::model::seen::SeenIds,
}

impl PaperBroker {
    pub fn new(cfg: &PaperConfig) -> Self {
        PaperBroker {
            costs: Costs::paper(cfg),
            cash: cfg.starting_cash,
            margin_per_equity: cfg.margin_per_equity(),
            // The rate as written (0.05), not its binary neighbour's 28 digits
            // (0.0500000000000000027755575616), which made every interest day's products
            // overflow 96 bits and rescale: ≈ 10 % of a daily backtest.
            margin_rate: rust_decimal::prelude::FromPrimitive::from_f64(cfg.margin_rate)
                .unwrap_or_default(),
            charged_to: None,
            interest_seen: None,
            charged_span: None,
            positions: Default::default(),
            working: Vec::new(),
            last_close: [None; Symbol::COUNT],
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
        self.positions = positions.iter().cloned().collect();
        self.working = working.to_vec();
        self.seen = working.iter().map(|o| o.client_order_id.clone()).collect();
        working
            .iter()
            .map(|o| BrokerEvent::Accepted {
                client_order_id: o.client_order_id.clone(),
                broker_order_id: Some(compact_str::format_compact!("sim-{}", o.client_order_id)),
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
                .map(|p| p.market_value(self.last_close(p.symbol).unwrap_or(p.avg_price)))
                .sum::<Decimal>()
    }

    fn last_close(&self, symbol: Symbol) -> Option<Decimal> {
        self.last_close[symbol.index()].map(price)
    }

    fn fill_price(&self, side: Side, reference: Decimal) -> Decimal {
        self.costs.slipped(side, reference)
    }

    /// Cash promised to working buys, each valued at the worst price it can fill at that is
    /// known now (its limit, else the last close with slippage).
    fn reserved(&self) -> Decimal {
        self.working
            .iter()
            .filter(|o| o.side == Side::Buy)
            .filter_map(|o| self.estimated_cost(o, None))
            .sum()
    }

    /// What a buy will cost, if a price to judge it by is known; `gate`: the risk gate's
    /// figure, taken where it is this one (`BuyCost::of`).
    fn estimated_cost(&self, order: &OrderRequest, gate: Option<&BuyCost>) -> Option<Decimal> {
        let last = self.last_close(order.symbol);
        let reference = match order.order_type {
            OrderType::Market | OrderType::MarketOnClose => last?,
            // A limit buy fills at its limit or better, without slippage: the limit is its worst.
            OrderType::Limit { limit_price } => {
                let px = limit_price;
                return Some(order.qty * px + self.costs.commission(order.qty, px));
            }
            OrderType::Stop { stop_price } => last.map_or(stop_price, |l| l.max(stop_price)),
        };
        let gate = gate.and_then(|g| g.of(&self.costs, order.qty, reference));
        Some(gate.unwrap_or_else(|| self.costs.buy_cost(order.qty, reference)))
    }

    fn held(&self, symbol: Symbol) -> Decimal {
        self.positions
            .get(&symbol)
            .map(|p| p.qty)
            .unwrap_or_default()
    }

    /// Why a venue would refuse `order` at submission, if it would.
    fn refusal(&self, order: &OrderRequest, gate: Option<&BuyCost>) -> Option<String> {
        // A quantity written without decimals is whole: `fract` only for the others.
        let whole = order.qty.scale() == 0 || order.qty.fract() == Decimal::ZERO;
        if order.qty <= Decimal::ZERO || !whole {
            return Some(format!("bad quantity {}", order.qty));
        }
        match order.order_type {
            OrderType::Limit { limit_price: p } | OrderType::Stop { stop_price: p } if p < TICK => {
                return Some(format!("price {p} is below the venue's tick ({TICK})"));
            }
            _ => {}
        }
        match order.side {
            Side::Sell => {
                let held = self.held(order.symbol);
                let pending: Decimal = self
                    .working
                    .iter()
                    .filter(|o| o.symbol == order.symbol && o.side == Side::Sell)
                    .map(|o| o.qty)
                    .sum();
                (order.qty > held - pending).then(|| {
                    format!(
                        "insufficient qty: {} {} held, {} already being sold (no shorting in \
                         this account)",
                        held, order.symbol, pending
                    )
                })
            }
            Side::Buy => {
                // Without a price yet the order is judged when it fills.
                let need = self.estimated_cost(order, gate)?;
                let have = self.cash + self.margin() - self.reserved();
                (need > have).then(|| insufficient(need, have))
            }
        }
    }

    /// Why `order` cannot execute at `px` now, checked again at the fill: a gap can make a buy
    /// dearer than it looked when it was accepted.
    fn fill_refusal(&self, order: &OrderRequest, px: Decimal) -> Option<String> {
        if px < TICK {
            return Some(format!(
                "execution price below the venue's tick ({TICK}): not filled"
            ));
        }
        match order.side {
            Side::Buy => {
                let need = order.qty * px + self.costs.commission(order.qty, px);
                let have = self.cash + self.margin();
                (need > have).then(|| insufficient(need, have))
            }
            Side::Sell => {
                let held = self.held(order.symbol);
                (order.qty > held).then(|| {
                    format!(
                        "insufficient qty: {} {} held (no shorting in this account)",
                        held, order.symbol
                    )
                })
            }
        }
    }

    /// The venue's one answer to an order sent: accepted, or rejected with why.
    fn answer(&mut self, order: &OrderRequest, gate: Option<&BuyCost>) -> BrokerEvent {
        let id = &order.client_order_id;
        if !self.seen.insert(id) {
            return BrokerEvent::Rejected {
                client_order_id: id.clone(),
                reason: "client_order_id must be unique".into(),
            };
        }
        if let Some(reason) = self.refusal(order, gate) {
            return BrokerEvent::Rejected {
                client_order_id: id.clone(),
                reason,
            };
        }
        self.working.push(order.clone());
        // Inline when it fits (see `BrokerEvent::Accepted`): one `push_str` onto the prefix
        // (each costs ≈ 75 instructions; building it from an empty text took two).
        let mut broker_order_id = compact_str::CompactString::new("sim-");
        broker_order_id.push_str(id.as_str());
        BrokerEvent::Accepted {
            client_order_id: id.clone(),
            broker_order_id: Some(broker_order_id),
        }
    }

    /// The price at which `order` executes in `bar`, if it does.
    fn execution(&self, order: &OrderRequest, bar: &Bar) -> Option<Decimal> {
        let (open, high, low) = (price(bar.open), price(bar.high), price(bar.low));
        match order.order_type {
            OrderType::Market => Some(self.fill_price(order.side, open)),
            // Only in the bar of its own day (see `on_bar`), at that day's close.
            OrderType::MarketOnClose => Some(self.fill_price(order.side, price(bar.close))),
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
        vec![self.answer(order, None)]
    }

    fn submit_priced(
        &mut self,
        order: &OrderRequest,
        gate: Option<&BuyCost>,
        out: &mut Vec<BrokerEvent>,
    ) {
        out.push(self.answer(order, gate));
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
        self.charge_interest(bar, &mut events);
        if self.working.is_empty() {
            self.last_close[symbol.index()] = Some(bar.close);
            if !events.is_empty() {
                events.push(BrokerEvent::Account {
                    cash: self.cash,
                    equity: self.equity(),
                });
            }
            return events;
        }
        let mut still = Vec::with_capacity(self.working.len());
        for order in std::mem::take(&mut self.working) {
            // Only orders placed before this bar opened can fill in it; a market-on-close order
            // in the bar of the day it was placed on, and in no later one.
            let fill_at = match (order.symbol == symbol, order.order_type) {
                (false, _) => None,
                (true, OrderType::MarketOnClose) => {
                    match ny_date(bar.time).cmp(&ny_date(order.created)) {
                        std::cmp::Ordering::Less => None,
                        std::cmp::Ordering::Equal => self.execution(&order, bar),
                        std::cmp::Ordering::Greater => {
                            events.push(BrokerEvent::Rejected {
                                client_order_id: order.client_order_id.clone(),
                                reason: format!(
                                    "market-on-close order expired: no {} bar for {}",
                                    symbol,
                                    ny_date(order.created)
                                ),
                            });
                            continue;
                        }
                    }
                }
                (true, _) => (order.created < bar.time)
                    .then(|| self.execution(&order, bar))
                    .flatten(),
            };
            let Some(px) = fill_at else {
                still.push(order);
                continue;
            };
            if let Some(reason) = self.fill_refusal(&order, px) {
                events.push(BrokerEvent::Rejected {
                    client_order_id: order.client_order_id.clone(),
                    reason,
                });
                continue;
            }
            let fill = Fill {
                client_order_id: order.client_order_id.clone(),
                symbol,
                side: order.side,
                qty: order.qty,
                price: px,
                commission: self.costs.commission(order.qty, px),
                time: bar.time,
            };
            self.cash += fill.cash_delta();
            self.positions
                .get_or_insert_with(symbol, || Position::flat(symbol, bar.time))
                .apply(&fill);
            events.push(BrokerEvent::Filled(fill));
        }
        self.working = still;
        self.last_close[symbol.index()] = Some(bar.close);
        if !events.is_empty() {
            events.push(BrokerEvent::Account {
                cash: self.cash,
                equity: self.equity(),
            });
        }
        events
    }
}

fn insufficient(need: Decimal, have: Decimal) -> String {
    format!(
        "insufficient buying power: need {}, have {}",
        usd_cents(need),
        usd_cents(have)
    )
}

mod margin;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
