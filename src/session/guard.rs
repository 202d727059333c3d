//! The session's two guards on the way to the broker: the risk gate (every order) and the journal
//! (every decision, with order intents committed before they are sent).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerKind;
use crate::feed::FeedHealth;
use crate::journal::{Journal, JournalError};
use crate::model::{ClientOrderId, OrderRequest, Side};
use crate::risk::RiskContext;
use crate::store::Severity;

impl Session {
    /// Record through the journal if there is one. A failed write is shown, never swallowed,
    /// and remembered (`journal_failure`): a headless run stops on it; an order whose intent
    /// failed is never sent (see `send`).
    pub(super) fn journal<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Option<T> {
        let j = self.journal.as_mut()?;
        match f(j) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!("journal: {what}: {e}");
                if e.is_storage() && self.journal_failed.is_none() {
                    self.journal_failed = Some(format!("{what}: {e}"));
                }
                self.store.push_log(
                    Severity::Error,
                    format!("journal write failed ({what}): {e}"),
                );
                None
            }
        }
    }

    /// A client order id unique across sessions (the journal's counter) or, without a journal,
    /// across this process.
    pub(super) fn next_client_order_id(&mut self) -> ClientOrderId {
        if self.journal.is_some() {
            if let Some(id) = self.journal("order id", |j| j.next_client_order_id()) {
                return id;
            }
        }
        self.order_seq += 1;
        ClientOrderId::new(&self.tag, self.order_seq)
    }

    /// What the gate needs to know now. Replay and backtest use the bar clock; live feeds the wall clock.
    pub(super) fn risk_context(&self) -> RiskContext {
        let st = &self.store;
        let now = if self.wall_clock {
            chrono::Utc::now()
        } else {
            st.now.unwrap_or_default()
        };
        let positions: BTreeMap<_, _> = st.positions.values().map(|p| (p.symbol, p.qty)).collect();
        let mut pending: BTreeMap<_, Decimal> = BTreeMap::new();
        let mut pending_buys: BTreeMap<_, Decimal> = BTreeMap::new();
        for o in st.working_orders() {
            let left = o.request.qty - o.filled_qty;
            let signed = if o.request.side == Side::Buy {
                *pending_buys.entry(o.request.symbol).or_default() += left;
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            *pending.entry(o.request.symbol).or_default() += signed * left;
        }
        // While a bar forms (live hours), its price is what an order fills near today (a market
        // order at once, a close order at the close), not yesterday's close.
        let prices = crate::model::Symbol::ALL
            .iter()
            .filter_map(|s| {
                let forming = st.live.forming(*s, st.series(*s).last());
                let px = forming.map(|b| crate::model::price::price(b.close));
                px.or_else(|| st.last_price(*s)).map(|p| (*s, p))
            })
            .collect();
        RiskContext {
            now,
            equity: st.equity,
            cash: st.cash,
            start_of_day_equity: st.day_start_equity,
            positions,
            pending,
            pending_buys,
            prices,
            last_data: st.now,
            feed_ok: !st.bars_unhealthy(),
            live: st.broker == BrokerKind::Live,
            market_open: !st.health.values().any(|h| *h == FeedHealth::Idle),
        }
    }

    /// Every order passes here: risk gate, durable intent, then the broker.
    pub(super) fn send(&mut self, order: OrderRequest, out: &mut Vec<Notice>) {
        if let Some(waiting) = self.unsettled().cloned() {
            let reason = format!(
                "order {waiting} from before the restart is not settled yet (looking it up at \
                 the venue by client order id): no new order until it is"
            );
            self.store
                .push_log(Severity::Warn, format!("order refused: {reason}"));
            out.push(Notice::RiskRefused {
                client_order_id: order.client_order_id,
                signal_id: order.signal_id,
                reason: reason.clone(),
            });
            if let Some(id) = order.signal_id {
                self.signal_unfilled(id, &reason, out);
            }
            return;
        }
        let ctx = self.risk_context();
        let approved = match self.gate.check(&order, &ctx) {
            Ok(a) => a,
            Err(refused) => {
                self.journal("risk refusal", |j| j.record_refusal(&refused));
                let reason = refused.reason.to_string();
                self.store
                    .push_log(Severity::Warn, format!("order refused: {reason}"));
                out.push(Notice::RiskRefused {
                    client_order_id: order.client_order_id,
                    signal_id: order.signal_id,
                    reason: reason.clone(),
                });
                if let Some(id) = order.signal_id {
                    self.signal_unfilled(id, &reason, out);
                }
                return;
            }
        };
        let order = approved.order();
        // The intent must be on disk before the venue can see the order: after a crash, an intent
        // without a response is settled by client order id, never sent twice.
        if self.journal.is_some()
            && self
                .journal("order intent", |j| j.record_intent(order))
                .is_none()
        {
            self.store.push_log(
                Severity::Error,
                format!(
                    "order {} NOT sent: its intent could not be journaled",
                    order.client_order_id
                ),
            );
            return;
        }
        crash_hook("after_intent");
        self.store.orders.push(crate::store::OrderEntry {
            request: order.clone(),
            status: crate::model::OrderStatus::PendingNew,
            broker_order_id: None,
            filled_qty: Decimal::ZERO,
            fills: Vec::new(),
            note: None,
        });
        self.store.push_log(
            Severity::Info,
            format!(
                "order {} {} {} {} sent",
                order.client_order_id, order.side, order.qty, order.symbol
            ),
        );
        out.push(Notice::Order {
            order: order.clone(),
            status: crate::model::OrderStatus::PendingNew,
        });
        for ev in self.broker.submit(order) {
            self.on_broker(ev, out);
        }
    }
}

/// Test hook, not a feature: `DOUBLE_AGENT_CRASH_AT=<point>` aborts the process at that point,
/// so crash tests can stop the real binary deterministically where a kill could only land by
/// luck (`after_intent`: the intent is durable, the order was never sent). Unset, it costs one
/// cached lookup.
fn crash_hook(point: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if AT
        .get_or_init(|| std::env::var("DOUBLE_AGENT_CRASH_AT").ok())
        .as_deref()
        == Some(point)
    {
        std::process::abort();
    }
}
