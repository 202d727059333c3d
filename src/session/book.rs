//! The trader's book in hedge mode: the long IWM, QQQ or SPY position the Bear hedges. A replay or backtest
//! on the built-in simulator starts by buying it, as a trader who holds the book and hedges it in
//! the same margin account would; it belongs to no agent, so no agent sells it, the caps leave it
//! out and flatten (`f`) keeps it.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerKind;
use crate::config::{AgentsMode, BookValue};
use crate::model::{AgentBook, Bar, Side, Symbol};
use crate::store::Severity;

impl Session {
    /// The shares of `book.symbol` that are the trader's book (0 in book mode, or before it is bought).
    pub fn book_shares(&self) -> Decimal {
        self.engine.book_shares()
    }

    /// The agents' (net, gross) IWM-beta dollars and the dollars they hedge or trade against,
    /// as the engine sizes with them.
    pub fn agents_exposure(&self) -> (f64, f64, f64) {
        let (net, gross) = self.engine.beta_dollars();
        (net, gross, self.engine.hedged_dollars().0)
    }

    /// The book's symbol.
    pub fn book_symbol(&self) -> Symbol {
        self.cfg.book.symbol
    }

    /// The book's IWM beta: 1 for IWM, QQQ's or SPY's measured over 250 days.
    pub fn book_beta(&self) -> f64 {
        self.engine.book_beta()
    }

    /// After an IWM bar: the store counts a QQQ/SPY book at the beta the engine measures.
    pub(super) fn mark_book_beta(&mut self) {
        let sym = self.book_symbol();
        if sym != Symbol::Iwm {
            let beta = Decimal::from_f64(self.book_beta()).map(|b| b.round_dp(4));
            self.store.book_beta = beta.map(|b| (sym, b));
        }
    }

    /// The book at its symbol's last close before the newest bar's day.
    pub(super) fn book_value_at_day_start(&self) -> Decimal {
        let px = self.store.close_before_day(self.book_symbol());
        self.book_shares() * px.unwrap_or_default()
    }

    /// The book at its symbol's last price.
    pub(super) fn book_value(&self) -> Decimal {
        let px = self
            .store
            .last_price(self.book_symbol())
            .unwrap_or_default();
        self.book_shares() * px
    }

    /// The book's shares with what its working purchase will add: the caps leave both out.
    pub(super) fn book_with_pending(&self) -> Decimal {
        let pending: Decimal = self
            .store
            .working_orders()
            .filter(|o| o.request.book == Some(AgentBook::TraderBook))
            .map(|o| o.request.qty - o.filled_qty)
            .sum();
        self.book_shares() + pending
    }

    /// At the first live IWM bar on the simulator in hedge mode, with none of the book's symbol
    /// held or on order (a resumed session already holds it): buy `book.value` of it, at most the
    /// equity, at the next open.
    pub(super) fn buy_book(&mut self, bar: &Bar, out: &mut Vec<Notice>) {
        let st = &self.store;
        let sym = self.book_symbol();
        let due = self.cfg.agents.mode == AgentsMode::Hedge
            && st.broker == BrokerKind::Sim
            && st.bar_index == 1
            && st.positions.get(&sym).is_none_or(|p| p.qty.is_zero())
            && !st.working_orders().any(|o| o.request.symbol == sym);
        if !due {
            return;
        }
        // A QQQ/SPY book is priced by its own last bar (IWM's bar comes first in a step).
        let px = if sym == Symbol::Iwm {
            Some(crate::model::price::price(bar.close))
        } else {
            st.last_price(sym)
        };
        let Some(px) = px.filter(|p| *p > Decimal::ZERO) else {
            self.store.push_log(
                Severity::Warn,
                format!("hedge mode: no {sym} price yet, the book is bought at its first bar"),
            );
            return;
        };
        let p = &self.cfg.paper;
        // "venue" never reaches the simulator (`Config::check_simulator`).
        let BookValue::Dollars(value) = self.cfg.book.value else {
            return;
        };
        let value = value.min(st.equity);
        let slip = Decimal::from_f64(p.slippage_bps / 10_000.0).unwrap_or_default();
        // Costs in, so the book fits the equity it is bought with.
        let per_share = px * (Decimal::ONE + slip) + p.commission_per_share;
        let qty = ((value - p.commission_min) / per_share).floor();
        if qty <= Decimal::ZERO {
            return;
        }
        self.store.push_log(
            Severity::Info,
            format!("hedge mode: buying the book, {qty} {sym} (book.value {value})"),
        );
        let mut order = self.new_order(sym, Side::Buy, qty, None);
        order.book = Some(AgentBook::TraderBook);
        self.send(order, out);
    }
}
