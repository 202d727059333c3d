//! What the venue says: acceptances, rejections, fills, cancels, unknown states and positions.

use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerEvent;
use crate::engine::EngineEvent;
use crate::model::{OrderStatus, Position, Symbol};
use crate::store::Severity;

impl Session {
    pub(super) fn on_broker(&mut self, ev: BrokerEvent, out: &mut Vec<Notice>) {
        self.broker_events += 1;
        // A fill the venue re-sends after a reconnect is already journaled: apply it once.
        if self.journal.is_some()
            && self.journal("broker event", |j| j.record_broker_event(&ev)) == Some(None)
        {
            return;
        }
        self.gate.on_broker_event(&ev);
        self.settle(&ev);
        match ev {
            BrokerEvent::Accepted {
                client_order_id,
                broker_order_id,
            } => {
                if let Some(o) = self.store.order_mut(&client_order_id) {
                    if matches!(o.status, OrderStatus::PendingNew | OrderStatus::Unknown) {
                        o.status = OrderStatus::Accepted;
                    }
                    o.broker_order_id = broker_order_id;
                }
                // A backtest's loop reads the order and its fills, not its acceptance.
                if !self.backtest {
                    out.push(Notice::OrderStatus {
                        client_order_id,
                        status: OrderStatus::Accepted,
                        detail: None,
                    });
                }
            }
            BrokerEvent::Rejected {
                client_order_id,
                reason,
            } => {
                self.set_status(
                    &client_order_id,
                    OrderStatus::Rejected,
                    Some(reason.clone()),
                    out,
                );
                self.store.push_log(
                    Severity::Warn,
                    format!("order {client_order_id} rejected: {reason}"),
                );
                self.order_done_unfilled(&client_order_id, &reason, out);
            }
            BrokerEvent::Canceled { client_order_id } => {
                self.set_status(&client_order_id, OrderStatus::Canceled, None, out);
                self.store
                    .push_log(Severity::Info, format!("order {client_order_id} canceled"));
                self.order_done_unfilled(&client_order_id, "canceled", out);
            }
            BrokerEvent::Unknown {
                client_order_id,
                error,
            } => {
                self.set_status(
                    &client_order_id,
                    OrderStatus::Unknown,
                    Some(error.clone()),
                    out,
                );
                self.store.push_log(
                    Severity::Warn,
                    format!("order {client_order_id}: state unknown ({error}); settling by client order id, not resending"),
                );
            }
            BrokerEvent::Filled(fill) => self.on_fill(fill, out),
            BrokerEvent::Account { cash, equity } => {
                self.store.cash = cash;
                self.store.equity = equity;
                self.process_engine(EngineEvent::Account { equity }, out);
            }
            BrokerEvent::Positions { positions } => self.reconcile(positions, out),
            BrokerEvent::Interest { amount, days, .. } => {
                // The equity and the agents' copy of it come with the `Account` event that
                // follows (marking them here too was a tenth of a daily backtest's loop).
                self.store.cash -= amount;
                // Daily on a margin debit: the journal and the log file keep it, the Events
                // pane would drown in it.
                if !self.backtest {
                    tracing::info!(
                        target: crate::process::logging::FILE_ONLY,
                        "margin interest {} for {days} day(s) on the debit balance",
                        crate::model::money::usd_cents(amount)
                    );
                }
            }
            BrokerEvent::Error { message } => {
                self.store
                    .push_log(Severity::Error, format!("broker: {message}"));
                out.push(Notice::Warning {
                    source: "broker".into(),
                    message,
                });
            }
        }
    }

    fn set_status(
        &mut self,
        id: &crate::model::ClientOrderId,
        status: OrderStatus,
        detail: Option<String>,
        out: &mut Vec<Notice>,
    ) {
        if let Some(o) = self.store.order_mut(id) {
            o.status = status;
            o.note = detail.clone();
        }
        out.push(Notice::OrderStatus {
            client_order_id: id.clone(),
            status,
            detail,
        });
    }

    /// An order ended with shares left unfilled: its signal will trade no more. An entry's agent
    /// follows what was really filled; an exit is asked again, because it stands until the
    /// position is closed.
    fn order_done_unfilled(
        &mut self,
        id: &crate::model::ClientOrderId,
        why: &str,
        out: &mut Vec<Notice>,
    ) {
        let Some(o) = self.store.order_mut(id) else {
            return;
        };
        let (signal_id, left) = (o.request.signal_id, o.request.qty - o.filled_qty);
        if let (Some(signal_id), true) = (signal_id, left > Decimal::ZERO) {
            self.signal_unfilled(signal_id, why, out);
        }
    }

    fn on_fill(&mut self, mut fill: crate::model::Fill, out: &mut Vec<Notice>) {
        let mut signal_id = None;
        let mut book = None;
        let keep_fills = !self.backtest;
        if let Some(o) = self.store.order_mut(&fill.client_order_id) {
            if o.fills.contains(&fill) {
                return; // the same fill reported twice (poll + stream, or a reconnect) counts once
            }
            // Fills are idempotent by order: a venue that re-reports (a restart that settles an
            // order from zero, a snapshot that already held it) never takes an order past its size.
            let room = o.request.qty - o.filled_qty;
            if room <= Decimal::ZERO {
                let id = fill.client_order_id.clone();
                self.store.push_log(
                    Severity::Warn,
                    format!(
                        "order {id}: fill of {} ignored, the order is already filled",
                        fill.qty
                    ),
                );
                return;
            }
            fill.qty = fill.qty.min(room);
            // A backtest's orders keep no fills: no chart marks them, and its paper venue never
            // reports one twice (an order fills whole, at once, and `room` ignores any more).
            if keep_fills {
                o.fills.push(fill.clone());
            }
            o.filled_qty += fill.qty;
            o.status = if o.filled_qty >= o.request.qty {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            signal_id = o.request.signal_id;
            book = o.request.book;
        }
        self.store.cash += fill.cash_delta();
        let atr = self.store.indicators.last().and_then(|r| r.atr);
        let signal = signal_id.and_then(|id| {
            let here = self.store.signals.get(id).map(|e| &e.signal);
            here.or_else(|| self.recovery.order_signals.get(&id))
        });
        self.store.lots.on_fill(&fill, book, signal, atr);
        let now = fill.time;
        self.store
            .positions
            .get_or_insert_with(fill.symbol, || Position::flat(fill.symbol, now))
            .apply(&fill);
        self.store
            .positions
            .retain(|p| !p.qty.is_zero() || !p.realized.is_zero());
        self.store.equity = self.store.marked_equity();
        self.info_log(|| {
            format!(
                // To the cent, as every price on screen (the journal keeps the exact one).
                "fill {} {} {} @ {} (commission {})",
                fill.side,
                fill.qty,
                fill.symbol,
                fill.price.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero
                ),
                crate::model::money::usd_cents(fill.commission)
            )
        });
        out.push(Notice::Fill { fill: fill.clone() });
        let equity = self.store.equity;
        self.process_engine(
            EngineEvent::Fill {
                fill,
                book,
                signal_id,
            },
            out,
        );
        self.process_engine(EngineEvent::Account { equity }, out);
        if self.journal.is_some() {
            super::guard::crash_hook("after_fill");
        }
    }

    /// The venue's positions win: they are what is really held, and the agents' books follow.
    fn reconcile(&mut self, positions: Vec<Position>, out: &mut Vec<Notice>) {
        let before: Vec<(Symbol, Decimal)> = self
            .store
            .positions
            .values()
            .map(|p| (p.symbol, p.qty))
            .collect();
        self.store.positions = positions.into_iter().collect();
        self.store.equity = self.store.marked_equity();
        let after: Vec<(Symbol, Decimal)> = self
            .store
            .positions
            .values()
            .map(|p| (p.symbol, p.qty))
            .collect();
        if before != after {
            self.store.push_log(
                Severity::Info,
                format!("positions reconciled with the broker: {after:?}"),
            );
        }
        self.process_engine(EngineEvent::Held { positions: after }, out);
    }
}
