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

mod inputs;
mod reason;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::broker::BrokerEvent;
use crate::model::seen::Read;
use crate::model::{ClientOrderId, OrderRequest, OrderType, Side, Symbol};

pub use inputs::{BySymbol, RiskContext, RiskLimits};
pub use reason::{pct, RefusalReason};

/// An order that passed every gate. Only `RiskGate::check` builds one (private field), so a
/// function taking `RiskApproved` cannot be handed an unchecked order.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskApproved(OrderRequest);

impl RiskApproved {
    pub fn order(&self) -> &OrderRequest {
        &self.0
    }
    pub fn into_order(self) -> OrderRequest {
        self.0
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
            Some(reason) => Err(RiskRefused { order, reason }),
            None => {
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
                Ok(RiskApproved(order))
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
        probe.entry_refusal(order, ctx)
    }

    fn refusal(
        &mut self,
        order: &OrderRequest,
        id: Read<'_>,
        ctx: &RiskContext,
    ) -> Option<RefusalReason> {
        if order.qty <= Decimal::ZERO {
            return Some(RefusalReason::InvalidQuantity { qty: order.qty });
        }
        if let Some(r) = self.duplicate(order, id) {
            return Some(r);
        }
        let window_start = ctx.now - Duration::seconds(60);
        while self.recent.front().is_some_and(|t| *t <= window_start) {
            self.recent.pop_front();
        }
        let in_last_minute = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
        if in_last_minute >= self.limits.max_orders_per_minute {
            return Some(RefusalReason::OrderRateLimit {
                in_last_minute,
                max: self.limits.max_orders_per_minute,
            });
        }
        if is_exit(order, ctx) {
            return None;
        }
        // The kill switch blocks new risk, never a way out of it.
        if self.killed {
            return Some(RefusalReason::KillSwitch);
        }
        self.entry_refusal(order, ctx)
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

    /// Gates that apply only to orders that add or open exposure.
    fn entry_refusal(&mut self, order: &OrderRequest, ctx: &RiskContext) -> Option<RefusalReason> {
        if ctx.live && !ctx.market_open {
            return Some(RefusalReason::MarketClosed);
        }
        let age = ctx.last_data.map(|t| (ctx.now - t).num_seconds());
        let too_old = age.is_none_or(|a| a > self.limits.stale_after_secs as i64);
        if !ctx.feed_ok || too_old {
            return Some(RefusalReason::StaleData {
                last_data: ctx.last_data,
                age_secs: age,
                max_secs: self.limits.stale_after_secs,
                feed_ok: ctx.feed_ok,
            });
        }
        let loss = ctx.start_of_day_equity - ctx.equity + ctx.book_change_today;
        let limit_hit = ctx.start_of_day_equity > Decimal::ZERO
            && loss >= ctx.start_of_day_equity * self.limits.daily_loss_limit;
        // The day matters only to a halt, new or latched (`ny_day` remembers the last one).
        let day =
            (limit_hit || self.halted_day.is_some()).then(|| crate::model::ny_day::ny_day(ctx.now));
        if limit_hit {
            // Latched: a bounce later in the day does not re-open entries.
            self.halted_day = day;
        }
        if let Some(day) = day.filter(|d| self.halted_day == Some(*d)) {
            return Some(RefusalReason::DailyLossLimit {
                loss,
                start_equity: ctx.start_of_day_equity,
                limit_pct: self.limits.daily_loss_limit,
                day,
            });
        }
        let Some(price) = order_price(order, ctx) else {
            return Some(RefusalReason::NoPrice {
                symbol: order.symbol,
            });
        };
        let costs = &self.limits.costs;
        let slipped = costs.slipped(Side::Buy, price);
        let notional = order.qty * slipped + costs.commission(order.qty, slipped);
        if notional > self.limits.max_order_notional {
            return Some(RefusalReason::MaxOrderNotional {
                notional,
                max: self.limits.max_order_notional,
            });
        }
        let after = ctx.agents_held(order.symbol) + order.side.sign() * order.qty;
        // What the position is worth after the order, plus what buying it costs beyond that.
        let value = (after * price).abs() + (notional - order.qty * price);
        // The book's symbol is capped like IWM: only the book's own purchase ever buys QQQ/SPY.
        let max_pct = if order.symbol == Symbol::Iwm || order.symbol == ctx.book_symbol {
            self.limits.max_position_pct
        } else {
            self.limits.max_vehicle_pct
        };
        if value > ctx.equity * max_pct {
            return Some(RefusalReason::MaxPositionPct {
                symbol: order.symbol,
                value,
                equity: ctx.equity,
                max_pct,
            });
        }
        if order.side == Side::Buy {
            let mut have = ctx.cash + ctx.margin.max(Decimal::ZERO);
            for (s, q) in ctx.pending_buys.iter() {
                let Some(p) = ctx.prices.get(&s) else {
                    return Some(RefusalReason::NoPrice { symbol: s });
                };
                have -= costs.buy_cost(*q, *p);
            }
            if notional > have {
                return Some(RefusalReason::InsufficientBuyingPower {
                    need: notional,
                    have,
                });
            }
        }
        let mut gross_beta = Decimal::ZERO;
        for s in Symbol::ALL {
            let (qty, p) = if s == order.symbol {
                (after, price)
            } else {
                let q = ctx.agents_held(s);
                if q.is_zero() {
                    continue;
                }
                match ctx.prices.get(&s) {
                    Some(p) => (q, *p),
                    None => return Some(RefusalReason::NoPrice { symbol: s }),
                }
            };
            gross_beta += (RiskContext::beta(s) * qty * p).abs();
        }
        if gross_beta > ctx.equity * self.limits.max_beta_exposure {
            return Some(RefusalReason::MaxGrossBeta {
                gross_beta,
                equity: ctx.equity,
                max_multiple: self.limits.max_beta_exposure,
            });
        }
        None
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

/// Price used to value an order: the limit or stop if it is worse for us, else the last price.
fn order_price(order: &OrderRequest, ctx: &RiskContext) -> Option<Decimal> {
    let last = ctx.prices.get(&order.symbol).copied();
    let worst = |p: Decimal| match (order.side, last) {
        (Side::Buy, Some(l)) => p.max(l),
        (Side::Sell, Some(l)) => p.min(l),
        (_, None) => p,
    };
    match order.order_type {
        OrderType::Market | OrderType::MarketOnClose => last,
        OrderType::Limit { limit_price } => Some(worst(limit_price)),
        OrderType::Stop { stop_price } => Some(worst(stop_price)),
    }
    .filter(|p| *p > Decimal::ZERO)
}
