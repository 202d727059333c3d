//! The risk gate in front of every broker: an order reaches a venue only as a `RiskApproved`.
//!
//! The gate is synchronous and keeps no clock: `RiskContext::now` is the only time it sees, so
//! replay, backtest and live share the same decisions. Exits (orders that only shrink a held
//! position) pass the kill switch, duplicate and rate checks but are exempt from every exposure
//! cap: reducing risk must never be refused because risk is too high.
//!
//! Entries are sized as the venue will charge them: qty × price moved against us by the
//! slippage, plus commission (`broker::Costs`), and a buy the cash left after working buys
//! cannot fund is refused here rather than by the venue.

mod entry;
mod inputs;
mod reason;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::broker::{BrokerEvent, BuyCost};
use crate::model::seen::Read;
use crate::model::{ClientOrderId, OrderRequest};

pub use inputs::{BySymbol, RiskContext, RiskLimits};
pub use reason::{pct, RefusalReason};

/// An order that passed every gate. Only `RiskGate::check` builds one (private fields), so a
/// function taking `RiskApproved` cannot be handed an unchecked order.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskApproved {
    order: OrderRequest,
    /// An entry's cost as the caps judged it, for the venue (`Broker::submit_priced`).
    cost: Option<BuyCost>,
}

impl RiskApproved {
    pub fn order(&self) -> &OrderRequest {
        &self.order
    }
    pub fn into_order(self) -> OrderRequest {
        self.order
    }
    /// The order, and the cost the gate worked out for it (an entry's).
    pub fn into_parts(self) -> (OrderRequest, Option<BuyCost>) {
        (self.order, self.cost)
    }
}

/// An order the gate refused, with the typed reason (journaled, shown to the trader).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("order {} refused: {reason}", order.client_order_id)]
pub struct RiskRefused {
    pub order: OrderRequest,
    pub reason: RefusalReason,
}

/// Gate state that must survive a restart, as rebuilt by `Journal::recover`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskRestore {
    pub kill_switch: bool,
    pub halted_day: Option<NaiveDate>,
    /// Orders still working at the venue (client id, signal id, remaining qty).
    pub working: Vec<(ClientOrderId, Option<u64>, Decimal)>,
    /// Signals that already have an order: acknowledging them again must not send another.
    pub ordered_signals: BTreeMap<u64, ClientOrderId>,
}

#[derive(Debug)]
pub struct RiskGate {
    limits: RiskLimits,
    killed: bool,
    /// Trading day (New York) on which the daily loss limit was hit.
    halted_day: Option<NaiveDate>,
    recent: VecDeque<DateTime<Utc>>,
    /// Every id approved, and the order each signal got: bounded, still refusing every repeat.
    sent_ids: crate::model::seen::SeenIds,
    signal_orders: crate::model::seen::SignalOrders,
    /// Approved and not finished: remaining qty by client id, with the signal it answers.
    working: BTreeMap<ClientOrderId, (Option<u64>, Decimal)>,
}

impl RiskGate {
    pub fn new(limits: RiskLimits) -> Self {
        RiskGate {
            limits,
            killed: false,
            halted_day: None,
            recent: VecDeque::new(),
            sent_ids: Default::default(),
            signal_orders: Default::default(),
            working: BTreeMap::new(),
        }
    }

    /// Exact memory of ids and ordered signals kept to `cap` each (tests fold at small sizes).
    #[cfg(test)]
    pub(crate) fn with_memory_cap(mut self, cap: usize) -> Self {
        self.sent_ids = crate::model::seen::SeenIds::with_cap(cap);
        self.signal_orders = crate::model::seen::SignalOrders::with_cap(cap);
        self
    }

    /// Bring back what a previous process knew: kill switch, halt, working orders, used signals.
    pub fn restore(&mut self, r: &RiskRestore) {
        self.killed = r.kill_switch;
        self.halted_day = r.halted_day;
        for (id, signal, remaining) in &r.working {
            self.sent_ids.insert(id);
            self.working.insert(id.clone(), (*signal, *remaining));
        }
        let working = &self.working;
        let ordered = r.working.iter().filter_map(|(id, s, _)| Some(((*s)?, id)));
        for (s, id) in ordered.chain(r.ordered_signals.iter().map(|(s, id)| (*s, id))) {
            self.sent_ids.insert(id);
            self.signal_orders
                .insert(s, id.clone(), |i| working.contains_key(i));
        }
    }

    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    pub fn is_killed(&self) -> bool {
        self.killed
    }

    pub fn halted_day(&self) -> Option<NaiveDate> {
        self.halted_day
    }

    /// Engage the kill switch. Returns the working orders the caller must now cancel.
    pub fn engage(&mut self) -> Vec<ClientOrderId> {
        self.killed = true;
        self.working.keys().cloned().collect()
    }

    pub fn release(&mut self) {
        self.killed = false;
    }

    /// Client ids approved and not yet finished at the venue.
    pub fn working(&self) -> Vec<ClientOrderId> {
        self.working.keys().cloned().collect()
    }

    /// Keep the working set in step with the venue. A rejected order frees its signal (nothing
    /// executed, so the trader may acknowledge again); a fill or cancel keeps it used.
    pub fn on_broker_event(&mut self, event: &BrokerEvent) {
        match event {
            BrokerEvent::Filled(fill) => {
                if let Some((_, remaining)) = self.working.get_mut(&fill.client_order_id) {
                    *remaining -= fill.qty;
                    if *remaining <= Decimal::ZERO {
                        self.working.remove(&fill.client_order_id);
                    }
                }
            }
            BrokerEvent::Canceled { client_order_id } => {
                self.working.remove(client_order_id);
            }
            BrokerEvent::Rejected {
                client_order_id, ..
            } => {
                if let Some((Some(signal), _)) = self.working.remove(client_order_id) {
                    self.signal_orders.release(signal, client_order_id);
                }
            }
            _ => {}
        }
    }

    /// The one door to the broker. Checks run cheapest and most absolute first. The order moves
    /// into the answer, approved or refused (the caller journals and shows a refusal), instead of
    /// being copied: its id is a heap string. At a few orders a minute the 160-byte Err is
    /// irrelevant, and boxing would only add noise.
    #[allow(clippy::result_large_err)]
    pub fn check(
        &mut self,
        order: OrderRequest,
        ctx: &RiskContext,
    ) -> Result<RiskApproved, RiskRefused> {
        // Read once for the duplicate check and, if it passes, for the record of it.
        let id = Read::of(&order.client_order_id);
        match self.refusal(&order, id, ctx) {
            Err(reason) => Err(RiskRefused { order, reason }),
            Ok(cost) => {
                self.recent.push_back(ctx.now);
                self.sent_ids.insert_read(id);
                self.working
                    .insert(order.client_order_id.clone(), (order.signal_id, order.qty));
                if let Some(s) = order.signal_id {
                    let working = &self.working;
                    self.signal_orders
                        .insert(s, order.client_order_id.clone(), |i| {
                            working.contains_key(i)
                        });
                }
                Ok(RiskApproved { order, cost })
            }
        }
    }

    /// What the gate would say to an entry the trader is about to answer, recording nothing:
    /// the kill switch and the caps are the trader's to change (release it, a smaller size),
    /// so the signal waits instead of being used up. Exits are never previewed: they pass.
    pub fn preview(&self, order: &OrderRequest, ctx: &RiskContext) -> Option<RefusalReason> {
        if is_exit(order, ctx) {
            return None;
        }
        if self.killed {
            return Some(RefusalReason::KillSwitch);
        }
        let mut probe = RiskGate::new(self.limits.clone());
        probe.halted_day = self.halted_day;
        probe.entry_refusal(order, ctx).err()
    }

    /// Why `order` is refused, or, passed, an entry's cost as judged (exits are not costed).
    fn refusal(
        &mut self,
        order: &OrderRequest,
        id: Read<'_>,
        ctx: &RiskContext,
    ) -> Result<Option<BuyCost>, RefusalReason> {
        if order.qty <= Decimal::ZERO {
            return Err(RefusalReason::InvalidQuantity { qty: order.qty });
        }
        if let Some(r) = self.duplicate(order, id) {
            return Err(r);
        }
        let window_start = ctx.now - Duration::seconds(60);
        while self.recent.front().is_some_and(|t| *t <= window_start) {
            self.recent.pop_front();
        }
        let in_last_minute = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
        if in_last_minute >= self.limits.max_orders_per_minute {
            return Err(RefusalReason::OrderRateLimit {
                in_last_minute,
                max: self.limits.max_orders_per_minute,
            });
        }
        if is_exit(order, ctx) {
            return Ok(None);
        }
        // The kill switch blocks new risk, never a way out of it.
        if self.killed {
            return Err(RefusalReason::KillSwitch);
        }
        self.entry_refusal(order, ctx).map(Some)
    }

    fn duplicate(&self, order: &OrderRequest, id: Read<'_>) -> Option<RefusalReason> {
        let existing = if self.sent_ids.contains_read(id) {
            Some(order.client_order_id.clone())
        } else {
            order
                .signal_id
                .and_then(|s| self.signal_orders.get(s))
                .map(|o| match o {
                    crate::model::seen::Ordered::Recent(id) => id,
                    // Its id was folded away; the journal holds it.
                    crate::model::seen::Ordered::Settled => {
                        ClientOrderId::from("an earlier, settled one")
                    }
                })
        };
        existing.map(|existing| RefusalReason::DuplicateOrder {
            client_order_id: order.client_order_id.clone(),
            signal_id: order.signal_id,
            existing,
        })
    }
}

/// An exit shrinks a held position toward zero without flipping it (pending orders included).
pub fn is_exit(order: &OrderRequest, ctx: &RiskContext) -> bool {
    let held = ctx.held(order.symbol);
    let signed = order.side.sign() * order.qty;
    !held.is_zero()
        && held.is_sign_positive() != signed.is_sign_positive()
        && order.qty <= held.abs()
}
