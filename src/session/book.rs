//! The trader's book in hedge mode: the long IWM position the Bear hedges. A replay or backtest
//! on the built-in simulator starts by buying it, as a trader who holds the book and hedges it in
//! the same margin account would; it belongs to no agent, so no agent sells it, the caps leave it
//! out and flatten (`f`) keeps it.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerKind;
use crate::config::AgentsMode;
use crate::model::{AgentBook, Bar, Side, Symbol};
use crate::store::Severity;

impl Session {
    /// The IWM shares that are the trader's book (0 in book mode, or before it is bought).
    pub fn book_shares(&self) -> Decimal {
        self.engine.book_shares()
    }

    /// The agents' (net, gross) IWM-beta dollars and the dollars they hedge or trade against,
    /// as the engine sizes with them.
    pub fn agents_exposure(&self) -> (f64, f64, f64) {
        let (net, gross) = self.engine.beta_dollars();
        (net, gross, self.engine.hedged_dollars().0)
    }

    /// The book at the last IWM price.
    pub(super) fn book_value(&self) -> Decimal {
        let px = self.store.last_price(Symbol::Iwm).unwrap_or_default();
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

    /// At the first live IWM bar on the simulator in hedge mode, with no IWM held or on order
    /// (a resumed session already holds it): buy `book.value` of IWM, at most the equity, at
    /// the next open.
    pub(super) fn buy_book(&mut self, bar: &Bar, out: &mut Vec<Notice>) {
        let st = &self.store;
        let due = self.cfg.agents.mode == AgentsMode::Hedge
            && st.broker == BrokerKind::Sim
            && st.bar_index == 1
            && st
                .positions
                .get(&Symbol::Iwm)
                .is_none_or(|p| p.qty.is_zero())
            && !st.working_orders().any(|o| o.request.symbol == Symbol::Iwm);
        if !due {
            return;
        }
        let p = &self.cfg.paper;
        let value = self.cfg.book.value.min(st.equity);
        let px = crate::model::price::price(bar.close);
        let slip = Decimal::from_f64(p.slippage_bps / 10_000.0).unwrap_or_default();
        // Costs in, so the book fits the equity it is bought with.
        let per_share = px * (Decimal::ONE + slip) + p.commission_per_share;
        let qty = ((value - p.commission_min) / per_share).floor();
        if qty <= Decimal::ZERO {
            return;
        }
        self.store.push_log(
            Severity::Info,
            format!("hedge mode: buying the book, {qty} IWM (book.value {value})"),
        );
        let mut order = self.new_order(Symbol::Iwm, Side::Buy, qty, None);
        order.book = Some(AgentBook::TraderBook);
        self.send(order, out);
    }
}
