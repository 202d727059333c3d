//! The agents' trades as lots: each entry signal's fills make one lot, sold by the book its exit
//! carries (as the engine's ledger sells them), closed when none is left. A closed lot has a P&L
//! and an R (its P&L over the risk planned at entry: shares × the distance to the signal's stop,
//! or 2 ATR of IWM where a position has no stop). The record of each signal kind (count, wins,
//! average R, since) is what the trader sees beside a new signal of that kind; a backtest reports
//! it per kind and can write every closed lot.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::money::to_f64;
pub use crate::model::record::{wilson, Record, Records, TradeKind};
use crate::model::{Agent, AgentBook, Fill, Side, Signal, Symbol};

/// One entry's shares, from its first fill to its last sale.
#[derive(Debug, Clone, Serialize)]
pub struct Lot {
    pub agent: Agent,
    pub kind: TradeKind,
    pub symbol: Symbol,
    pub signal_id: u64,
    pub entry_time: DateTime<Utc>,
    pub shares: Decimal,
    /// Cash paid, commission included.
    pub cost: Decimal,
    pub open: Decimal,
    /// Cash received so far, commission taken off.
    pub proceeds: Decimal,
    /// Dollars at risk per share at entry (the distance to the stop).
    pub risk_per_share: f64,
    pub exit_time: Option<DateTime<Utc>>,
    /// The exit signal's kind ("stop", "target", …) or "flatten" for a sale nobody proposed.
    pub exit_reason: String,
    book: AgentBook,
}

impl Lot {
    pub fn pnl(&self) -> f64 {
        to_f64(self.proceeds - self.cost)
    }

    /// P&L over the planned risk; None where no risk was planned.
    pub fn r(&self) -> Option<f64> {
        let risk = self.risk_per_share * to_f64(self.shares);
        (risk > 0.0).then(|| self.pnl() / risk)
    }

    pub fn entry_price(&self) -> f64 {
        to_f64(self.cost) / to_f64(self.shares).max(f64::MIN_POSITIVE)
    }

    pub fn exit_price(&self) -> f64 {
        to_f64(self.proceeds) / to_f64(self.shares).max(f64::MIN_POSITIVE)
    }

    /// The Bear tier it was bought as (0 for the Bull's lots).
    pub fn tier(&self) -> u8 {
        match self.book {
            AgentBook::BearTier { tier } => tier,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LotBook {
    open: Vec<Lot>,
    /// Lots closed since the last `take_closed` (a backtest writes them; the dashboard keeps a few).
    closed: Vec<Lot>,
    records: BTreeMap<TradeKind, Record>,
    /// Closed lots kept when nobody takes them.
    keep: usize,
}

impl LotBook {
    pub fn new(keep: usize) -> Self {
        LotBook {
            keep: keep.max(1),
            ..LotBook::default()
        }
    }

    /// The record of a kind as it stands now (every trade of that kind closed so far).
    pub fn record(&self, kind: TradeKind) -> Record {
        self.records.get(&kind).copied().unwrap_or_default()
    }

    /// Trades closed before this session (the embedded history run through the same rules):
    /// the records start from them and grow with the session's own.
    pub fn seed(&mut self, earlier: &Records) {
        for (kind, r) in earlier {
            self.records.entry(*kind).or_default().merge(r);
        }
    }

    pub fn records(&self) -> impl Iterator<Item = (TradeKind, &Record)> {
        self.records.iter().map(|(k, r)| (*k, r))
    }

    pub fn open_lots(&self) -> &[Lot] {
        &self.open
    }

    /// The lots closed since the last call.
    pub fn take_closed(&mut self) -> Vec<Lot> {
        std::mem::take(&mut self.closed)
    }

    /// A fill of an order that carried `book`, answering `signal` (None: nobody proposed it).
    /// `atr`: IWM's ATR now, the risk unit of a position without a stop.
    pub fn on_fill(
        &mut self,
        fill: &Fill,
        book: Option<AgentBook>,
        signal: Option<&Signal>,
        atr: Option<f64>,
    ) {
        match fill.side {
            Side::Buy => self.buy(fill, book, signal, atr),
            Side::Sell => self.sell(fill, book, signal),
        }
    }

    fn buy(&mut self, fill: &Fill, book: Option<AgentBook>, s: Option<&Signal>, atr: Option<f64>) {
        let (Some(book), Some(s)) = (book, s) else {
            return;
        };
        let Some(kind) = TradeKind::of(s.kind) else {
            return;
        };
        let cost = fill.qty * fill.price + fill.commission;
        if let Some(lot) = self.open.iter_mut().find(|l| l.signal_id == s.id) {
            lot.shares += fill.qty;
            lot.open += fill.qty;
            lot.cost += cost;
            return;
        }
        let per_share = match s.stop_price {
            Some(stop) => to_f64((s.reference_price - stop).abs()),
            // No stop (the Bull's full long): 2 ATR of IWM, as the study counts it.
            None => 2.0 * atr.unwrap_or(0.0),
        };
        self.open.push(Lot {
            agent: s.agent,
            kind,
            symbol: fill.symbol,
            signal_id: s.id,
            entry_time: fill.time,
            shares: fill.qty,
            cost,
            open: fill.qty,
            proceeds: Decimal::ZERO,
            risk_per_share: per_share,
            exit_time: None,
            exit_reason: String::new(),
            book,
        });
    }

    /// Sell from the lots the ledger would sell from, in its order.
    fn sell(&mut self, fill: &Fill, book: Option<AgentBook>, s: Option<&Signal>) {
        let reason = s.map_or_else(|| "flatten".to_string(), |s| s.kind.label());
        let bear = |l: &Lot| matches!(l.book, AgentBook::BearTier { .. });
        let mut order: Vec<usize> = (0..self.open.len())
            .filter(|&i| self.open[i].symbol == fill.symbol)
            .collect();
        // Rank: the book's own lots first; the Bear's top tier first; the hedge before the Bull
        // unless the Bull sells.
        let rank = |l: &Lot| -> (u8, u8) {
            let own = match book {
                Some(AgentBook::BearTier { tier }) => u8::from(l.tier() != tier),
                Some(AgentBook::Bull) => u8::from(l.book != AgentBook::Bull),
                _ => 0,
            };
            let within = if bear(l) {
                255 - l.tier()
            } else {
                u8::from(l.book == AgentBook::Bull)
            };
            (own, within)
        };
        order.sort_by_key(|&i| rank(&self.open[i]));
        if let Some(AgentBook::BearTier { tier }) = book {
            order.retain(|&i| self.open[i].tier() == tier);
        }
        let mut left = fill.qty;
        for i in order {
            if left <= Decimal::ZERO {
                break;
            }
            let lot = &mut self.open[i];
            let q = left.min(lot.open);
            lot.open -= q;
            lot.proceeds += q * fill.price - fill.commission * q / fill.qty;
            lot.exit_time = Some(fill.time);
            lot.exit_reason.clone_from(&reason);
            left -= q;
        }
        // The closed lots move out in their order, the open ones stay in theirs: in place, where
        // a partition built two new lists on every sale.
        let mut i = 0;
        while i < self.open.len() {
            if self.open[i].open > Decimal::ZERO {
                i += 1;
                continue;
            }
            let lot = self.open.remove(i);
            self.records
                .entry(lot.kind)
                .or_default()
                .add_trade(lot.pnl(), lot.r(), lot.entry_time);
            self.closed.push(lot);
        }
        if self.closed.len() > 2 * self.keep {
            let cut = self.closed.len() - self.keep;
            self.closed.drain(..cut);
        }
    }
}

#[cfg(test)]
#[path = "lots_tests.rs"]
mod tests;
