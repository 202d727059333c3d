//! Brokers behave like venues: orders go in with a client order id, events come back.
//! The built-in paper simulator answers synchronously; Alpaca answers later through a channel.

pub mod alpaca;
pub mod paper;

use compact_str::CompactString;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::config::PaperConfig;
use crate::model::{Bar, ClientOrderId, Fill, OrderRequest, Position, Side, Symbol};

/// What a venue charges on top of the price: one model for the simulator (what it takes) and
/// the risk gate (what it sizes against), so the gate never approves an order the simulator
/// then refuses for want of cash.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    /// Fraction of price against the trader on market and stop fills.
    pub slippage: Decimal,
    pub per_share: Decimal,
    pub min: Decimal,
    /// Commission cap as a fraction of notional (0.01 = 1 %).
    pub max_pct: Decimal,
}

impl Costs {
    /// The simulator's costs, from `[paper]`.
    pub fn paper(cfg: &PaperConfig) -> Self {
        Costs {
            // A NaN slippage becomes 0 here, but `Config::validate` refuses one before this.
            slippage: Decimal::from_f64(cfg.slippage_bps / 10_000.0).unwrap_or_default(),
            per_share: cfg.commission_per_share,
            min: cfg.commission_min,
            max_pct: cfg.commission_max_pct,
        }
    }

    /// The costs the risk gate sizes with on `kind`: the simulator charges `[paper]`; Alpaca
    /// charges no commission on US equities, but a market order still pays the spread, so the
    /// same slippage estimate applies.
    pub fn for_venue(kind: BrokerKind, cfg: &PaperConfig) -> Self {
        let paper = Costs::paper(cfg);
        match kind {
            BrokerKind::Sim => paper,
            BrokerKind::Paper | BrokerKind::Live => Costs {
                per_share: Decimal::ZERO,
                min: Decimal::ZERO,
                max_pct: Decimal::ZERO,
                ..paper
            },
        }
    }

    /// No costs at all (tests, and venues whose costs are unknown).
    pub fn free() -> Self {
        Costs {
            slippage: Decimal::ZERO,
            per_share: Decimal::ZERO,
            min: Decimal::ZERO,
            max_pct: Decimal::ZERO,
        }
    }

    /// `reference` moved against the trader by the slippage, at the venue's 4-dp tick.
    pub fn slipped(&self, side: Side, reference: Decimal) -> Decimal {
        (reference * (Decimal::ONE + side.sign() * self.slippage)).round_dp(4)
    }

    /// Per-share commission with a per-order minimum, capped at `max_pct` of the trade's value
    /// (as per-share brokers do: a penny stock never pays half its value in commission). The cap
    /// wins over the minimum, and rounds down so it is never exceeded.
    pub fn commission(&self, qty: Decimal, price: Decimal) -> Decimal {
        let cap = (qty * price * self.max_pct)
            .round_dp_with_strategy(2, RoundingStrategy::ToZero)
            .max(Decimal::ZERO);
        (qty * self.per_share).max(self.min).round_dp(2).min(cap)
    }

    /// Cash a buy of `qty` at `reference` needs, slippage and commission included.
    pub fn buy_cost(&self, qty: Decimal, reference: Decimal) -> Decimal {
        let px = self.slipped(Side::Buy, reference);
        qty * px + self.commission(qty, px)
    }
}

/// A buy's cost as the risk gate worked it out for an order it approved: `Costs::buy_cost` of
/// `qty` at `reference` under `costs`. A venue that would work out the same figure takes it
/// from here (`of`) instead: the simulator priced every buy again, with the gate's costs, at
/// the gate's price (≈ 850 instructions an order).
#[derive(Debug, Clone, PartialEq)]
pub struct BuyCost {
    pub costs: Costs,
    pub qty: Decimal,
    pub reference: Decimal,
    pub cost: Decimal,
}

impl BuyCost {
    pub fn new(costs: &Costs, qty: Decimal, reference: Decimal) -> Self {
        BuyCost {
            costs: costs.clone(),
            qty,
            reference,
            cost: costs.buy_cost(qty, reference),
        }
    }

    /// `costs.buy_cost(qty, reference)`, if that is what this is: `buy_cost` is a function of
    /// these alone, so with each the same to the bit (a decimal equal in value but written to
    /// another scale could give another scale) the figure is the one it would compute.
    pub fn of(&self, costs: &Costs, qty: Decimal, reference: Decimal) -> Option<Decimal> {
        let same = same(self.qty, qty) && same(self.reference, reference) && {
            let (a, b) = (&self.costs, costs);
            same(a.slippage, b.slippage)
                && same(a.per_share, b.per_share)
                && same(a.min, b.min)
                && same(a.max_pct, b.max_pct)
        };
        same.then_some(self.cost)
    }
}

/// The same decimal to the bit: value, sign and scale.
fn same(a: Decimal, b: Decimal) -> bool {
    a.serialize() == b.serialize()
}

pub use crate::model::BrokerKind;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BrokerEvent {
    Accepted {
        client_order_id: ClientOrderId,
        /// Inline up to 24 bytes (the simulator's `sim-<client id>`): as a `String` it was an
        /// allocation and a free for every order a backtest sends.
        broker_order_id: Option<CompactString>,
    },
    Rejected {
        client_order_id: ClientOrderId,
        reason: String,
    },
    Filled(Fill),
    Canceled {
        client_order_id: ClientOrderId,
    },
    /// The venue may or may not have the order (timeout, 5xx, 429 on POST); a lookup will settle it.
    Unknown {
        client_order_id: ClientOrderId,
        error: String,
    },
    Account {
        cash: Decimal,
        equity: Decimal,
    },
    /// The venue's positions, for reconciliation at start and after reconnects.
    Positions {
        positions: Vec<Position>,
    },
    /// A problem worth showing in the status bar that concerns no single order.
    Error {
        message: String,
    },
    /// Interest charged on a debit balance (cash below zero on margin), for the days since the
    /// last charge: cash goes down by `amount`. An `Account` event with the new cash and equity
    /// follows it.
    Interest {
        amount: Decimal,
        days: i64,
        time: chrono::DateTime<chrono::Utc>,
    },
}

pub trait Broker: Send {
    fn kind(&self) -> BrokerKind;
    /// Send an order. The id in `order` was journaled before this call.
    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent>;
    /// `submit`, with what the risk gate worked out of the order's cost (a venue that judges
    /// cost itself may use it where it is its own figure: see `BuyCost::of`), the answers
    /// pushed to `out` (the caller's buffer, kept between orders: a `Vec` allocated and freed
    /// for every order was ≈ 130 instructions of a signal's path).
    fn submit_priced(
        &mut self,
        order: &OrderRequest,
        _gate: Option<&BuyCost>,
        out: &mut Vec<BrokerEvent>,
    ) {
        out.extend(self.submit(order));
    }
    fn cancel(&mut self, client_order_id: &ClientOrderId) -> Vec<BrokerEvent>;
    /// A new bar of `symbol`: the simulator fills working orders here; real venues ignore it.
    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) -> Vec<BrokerEvent>;
}
