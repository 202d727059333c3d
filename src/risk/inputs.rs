//! What the gate is given: its limits, converted once from `[risk]`, and the state of the account
//! at the moment an order is checked.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use crate::broker::Costs;
use crate::config::RiskConfig;
use crate::model::Symbol;

/// Limits in the units the gate compares, converted once from `[risk]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskLimits {
    pub max_order_notional: Decimal,
    /// One position's value as a fraction of equity.
    pub max_position_pct: Decimal,
    /// The inverse vehicles' (TWM, SRTY) value as a fraction of equity.
    pub max_vehicle_pct: Decimal,
    /// Gross IWM-beta dollars as a multiple of equity.
    pub max_beta_exposure: Decimal,
    pub max_orders_per_minute: u32,
    /// Loss from start-of-day equity, as a fraction, that halts entries for the day.
    pub daily_loss_limit: Decimal,
    pub stale_after_secs: u64,
    /// What the venue adds to qty × price: every cap is checked on the cost with these in.
    pub costs: Costs,
}

impl RiskLimits {
    /// The same limits, sized with the costs of the venue the orders go to.
    pub fn with_costs(self, costs: Costs) -> Self {
        RiskLimits { costs, ..self }
    }
}

impl From<&RiskConfig> for RiskLimits {
    fn from(c: &RiskConfig) -> Self {
        // A NaN in config becomes a zero cap: the gate fails closed rather than open.
        let dec = |x: f64| Decimal::from_f64(x).unwrap_or(Decimal::ZERO);
        RiskLimits {
            max_order_notional: c.max_order_notional,
            max_position_pct: dec(c.max_position),
            max_vehicle_pct: dec(c.max_vehicle_fraction.min(c.max_position)),
            max_beta_exposure: dec(c.max_beta_exposure),
            max_orders_per_minute: c.max_orders_per_minute,
            daily_loss_limit: dec(c.daily_loss_limit),
            stale_after_secs: c.stale_after_secs,
            // Until the venue is known (`with_costs`): no costs, as the gate always sized.
            costs: Costs::free(),
        }
    }
}

/// What the gate needs to know about the world at the moment of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskContext {
    /// Injected time (the bar's time in replay): the gate never reads a wall clock.
    pub now: DateTime<Utc>,
    pub equity: Decimal,
    /// Cash at the venue: what buys are paid from, with `margin` beyond it.
    pub cash: Decimal,
    /// Buying power beyond cash: (Reg T multiple − 1) × equity on a margin account, 0 on a cash one.
    pub margin: Decimal,
    /// Shares of `book_symbol` that are the trader's own book (hedge mode): held, never counted against the
    /// agents' caps.
    pub book: Decimal,
    /// The book's symbol (IWM, QQQ or SPY).
    pub book_symbol: Symbol,
    pub start_of_day_equity: Decimal,
    /// How much the trader's own book (hedge mode) moved today: the daily loss limit judges the
    /// agents' losses, not the book they hedge (a halt on a crash day would block the hedge).
    pub book_change_today: Decimal,
    /// Signed quantities held, by symbol.
    pub positions: BySymbol,
    /// Signed quantities of orders sent but not yet filled: they count as exposure already.
    pub pending: BySymbol,
    /// Unfilled quantities of working buys, by symbol: the cash they will take is spoken for.
    pub pending_buys: BySymbol,
    /// Last price per symbol, used to value positions and market orders.
    pub prices: BySymbol,
    /// Time of the newest bar or quote.
    pub last_data: Option<DateTime<Utc>>,
    /// False while the feed reports Stale / Reconnecting / Failed.
    pub feed_ok: bool,
    /// Live account: market hours matter. Paper/sim trade whenever the data moves.
    pub live: bool,
    pub market_open: bool,
}

impl RiskContext {
    /// Beta of a symbol against IWM: +1, −2, −3.
    pub fn beta(symbol: Symbol) -> Decimal {
        Decimal::from(symbol.leverage())
    }

    pub(super) fn held(&self, s: Symbol) -> Decimal {
        self.positions.get(&s).copied().unwrap_or_default()
            + self.pending.get(&s).copied().unwrap_or_default()
    }

    /// What the agents hold or have on order: the trader's book left out.
    pub(super) fn agents_held(&self, s: Symbol) -> Decimal {
        let book = if s == self.book_symbol {
            self.book
        } else {
            Decimal::ZERO
        };
        self.held(s) - book
    }
}

/// An amount per symbol, or none: a map over the handful of symbols as one array indexed by
/// `Symbol::index` (four `BTreeMap`s were built, searched and dropped for every order checked:
/// ≈ 1.5 k instructions of a signal's path). Iterates in `Symbol` order, as the maps did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BySymbol([Option<Decimal>; Symbol::COUNT]);

impl BySymbol {
    pub fn insert(&mut self, s: Symbol, v: Decimal) {
        self.0[s.index()] = Some(v);
    }

    pub fn get(&self, s: &Symbol) -> Option<&Decimal> {
        self.0[s.index()].as_ref()
    }

    /// `*map.entry(s).or_default() += v`.
    pub fn add(&mut self, s: Symbol, v: Decimal) {
        *self.0[s.index()].get_or_insert(Decimal::ZERO) += v;
    }

    pub fn iter(&self) -> impl Iterator<Item = (Symbol, &Decimal)> {
        Symbol::EVERY
            .iter()
            .zip(&self.0)
            .filter_map(|(s, v)| Some((*s, v.as_ref()?)))
    }
}

impl std::ops::Index<&Symbol> for BySymbol {
    type Output = Decimal;
    fn index(&self, s: &Symbol) -> &Decimal {
        self.get(s).expect("no amount for the symbol")
    }
}

impl FromIterator<(Symbol, Decimal)> for BySymbol {
    fn from_iter<I: IntoIterator<Item = (Symbol, Decimal)>>(iter: I) -> Self {
        let mut m = BySymbol::default();
        for (s, v) in iter {
            m.insert(s, v);
        }
        m
    }
}
