//! What the Alpaca broker has told the app about each order, so that repeated snapshots of the
//! same order (polls, lookups, reconciles) turn into each `BrokerEvent` exactly once.
//!
//! Alpaca reports cumulative `filled_qty` and `filled_avg_price`; a fill event is the delta
//! against what was already reported, priced so that the reported fills average to Alpaca's.

use std::collections::HashMap;

use chrono::Utc;
use rust_decimal::Decimal;

use crate::alpaca::wire::Order;
use crate::broker::BrokerEvent;
use crate::model::{ClientOrderId, Fill, OrderRequest, Side, Symbol};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// POST in flight (or being settled after an ambiguous answer) by the submit task.
    Submitting,
    /// The submit task gave up settling it: the poller looks it up by client_order_id.
    Unsettled,
    /// The venue has it and it can still fill.
    Working,
    /// Filled, canceled, expired or rejected: nothing more will be reported.
    Done,
}

#[derive(Debug, Clone)]
struct Tracked {
    broker_id: Option<String>,
    reported_qty: Decimal,
    reported_notional: Decimal,
    phase: Phase,
    accepted_sent: bool,
    /// `reported_notional` matches `reported_qty` (not so for fills journaled by a previous
    /// process, whose prices this book never saw: new fills are then priced at the average).
    notional_known: bool,
}

#[derive(Debug, Default)]
pub struct Book {
    orders: HashMap<ClientOrderId, Tracked>,
}

/// Statuses after which an order never fills again.
fn terminal(status: &str) -> bool {
    matches!(
        status,
        "filled" | "canceled" | "expired" | "replaced" | "rejected"
    )
}

impl Book {
    /// An order we are about to POST: every fill of it will be reported from zero.
    pub fn track_submit(&mut self, req: &OrderRequest) {
        self.orders
            .entry(req.client_order_id.clone())
            .or_insert(Tracked {
                broker_id: None,
                reported_qty: Decimal::ZERO,
                reported_notional: Decimal::ZERO,
                phase: Phase::Submitting,
                accepted_sent: false,
                notional_known: true,
            });
    }

    /// An order a previous process sent (or may have sent) with no known answer: the poller
    /// looks it up by client order id, and its fills are reported from `journaled`, what the
    /// journal already holds of it (a fill is idempotent by order: never counted twice).
    pub fn track_unsettled(&mut self, req: &OrderRequest, journaled: Decimal) {
        self.track_submit(req);
        if let Some(t) = self.orders.get_mut(&req.client_order_id) {
            t.reported_qty = t.reported_qty.max(journaled);
            t.notional_known = journaled.is_zero();
        }
        self.set_phase(&req.client_order_id, Phase::Unsettled);
    }

    pub fn phase(&self, coid: &ClientOrderId) -> Option<Phase> {
        self.orders.get(coid).map(|t| t.phase)
    }

    pub fn set_phase(&mut self, coid: &ClientOrderId, phase: Phase) {
        if let Some(t) = self.orders.get_mut(coid) {
            if t.phase != Phase::Done {
                t.phase = phase;
            }
        }
    }

    pub fn broker_id(&self, coid: &ClientOrderId) -> Option<String> {
        self.orders.get(coid).and_then(|t| t.broker_id.clone())
    }

    /// Orders the poller must look at: `(client id, broker id, phase)`, not yet done.
    pub fn pending(&self) -> Vec<(ClientOrderId, Option<String>, Phase)> {
        self.orders
            .iter()
            .filter(|(_, t)| t.phase != Phase::Done)
            .map(|(c, t)| (c.clone(), t.broker_id.clone(), t.phase))
            .collect()
    }

    /// Give up on an order (the venue refused it or never got it).
    pub fn reject(&mut self, coid: &ClientOrderId, reason: String) -> Vec<BrokerEvent> {
        match self.orders.get_mut(coid) {
            Some(t) if t.phase == Phase::Done => Vec::new(),
            Some(t) => {
                t.phase = Phase::Done;
                vec![BrokerEvent::Rejected {
                    client_order_id: coid.clone(),
                    reason,
                }]
            }
            None => Vec::new(),
        }
    }

    /// Fold one snapshot of an order into the book; return what is new about it.
    /// An order we did not submit in this run (found by reconcile) is taken with its current
    /// fills as already known: they are in the positions the reconcile reported.
    pub fn apply(&mut self, o: &Order) -> Vec<BrokerEvent> {
        let (Ok(symbol), Some(side)) = (o.symbol.parse::<Symbol>(), parse_side(&o.side)) else {
            tracing::debug!(symbol = %o.symbol, "ignoring an order for a symbol we do not trade");
            return Vec::new();
        };
        let coid = ClientOrderId::from(o.client_order_id.as_str());
        let filled = o.filled_qty.unwrap_or_default();
        let notional = o.filled_avg_price.unwrap_or_default() * filled;
        let t = self.orders.entry(coid.clone()).or_insert_with(|| Tracked {
            broker_id: None,
            reported_qty: filled,
            reported_notional: notional,
            phase: Phase::Working,
            accepted_sent: false,
            notional_known: true,
        });
        let mut out = Vec::new();
        if t.phase == Phase::Done {
            return out;
        }
        t.broker_id = Some(o.id.clone());
        if !t.accepted_sent && o.status != "rejected" {
            t.accepted_sent = true;
            out.push(BrokerEvent::Accepted {
                client_order_id: coid.clone(),
                broker_order_id: Some(o.id.as_str().into()),
            });
        }
        t.phase = Phase::Working;
        let delta = filled - t.reported_qty;
        if delta > Decimal::ZERO {
            if let Some(avg) = o.filled_avg_price {
                let mut price = ((notional - t.reported_notional) / delta).round_dp(6);
                if price <= Decimal::ZERO || !t.notional_known {
                    // Rounding in Alpaca's average can make the derived price silly; use it as is.
                    price = avg;
                }
                t.reported_qty = filled;
                t.reported_notional = notional;
                t.notional_known = true;
                out.push(BrokerEvent::Filled(Fill {
                    client_order_id: coid.clone(),
                    symbol,
                    side,
                    qty: delta,
                    price,
                    // Alpaca charges no commission on US equities.
                    commission: Decimal::ZERO,
                    time: o.filled_at.or(o.updated_at).unwrap_or_else(Utc::now),
                }));
            }
        }
        // A terminal status with a fill still unpriced waits for the next snapshot.
        let unpriced = filled > t.reported_qty;
        if terminal(&o.status) && !unpriced {
            t.phase = Phase::Done;
            match o.status.as_str() {
                "filled" => {}
                "rejected" => out.push(BrokerEvent::Rejected {
                    client_order_id: coid,
                    reason: "rejected by Alpaca".into(),
                }),
                _ => out.push(BrokerEvent::Canceled {
                    client_order_id: coid,
                }),
            }
        }
        out
    }
}

fn parse_side(s: &str) -> Option<Side> {
    match s {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OrderType;
    use rust_decimal_macros::dec;

    fn order(status: &str, filled: &str, avg: Option<&str>) -> Order {
        serde_json::from_value(serde_json::json!({
            "id": "b-1", "client_order_id": "da-t-1", "symbol": "TWM", "side": "buy",
            "status": status, "filled_qty": filled, "filled_avg_price": avg,
        }))
        .unwrap()
    }

    fn req() -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId::from("da-t-1"),
            symbol: Symbol::Twm,
            side: Side::Buy,
            qty: dec!(10),
            order_type: OrderType::Market,
            signal_id: None,
            book: None,
            created: Utc::now(),
        }
    }

    #[test]
    fn a_settled_order_reports_only_what_the_journal_does_not_hold() {
        // The previous process journaled 4 of 10; the venue now says 4, then 10 filled.
        let mut b = Book::default();
        b.track_unsettled(&req(), dec!(4));
        let ev = b.apply(&order("partially_filled", "4", Some("10")));
        assert!(
            ev.iter().all(|e| !matches!(e, BrokerEvent::Filled(_))),
            "{ev:?}"
        );
        let ev = b.apply(&order("filled", "10", Some("10.6")));
        let fills: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                BrokerEvent::Filled(f) => Some((f.qty, f.price)),
                _ => None,
            })
            .collect();
        // the journaled part's price is unknown here: the new part is priced at the average
        assert_eq!(fills, vec![(dec!(6), dec!(10.6))]);
    }

    #[test]
    fn fills_are_reported_once_as_deltas_priced_to_the_average() {
        let mut b = Book::default();
        b.track_submit(&req());
        let ev = b.apply(&order("new", "0", None));
        assert!(matches!(ev.as_slice(), [BrokerEvent::Accepted { .. }]));
        assert!(b.apply(&order("new", "0", None)).is_empty());
        let ev = b.apply(&order("partially_filled", "4", Some("10")));
        let [BrokerEvent::Filled(f)] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        assert_eq!((f.qty, f.price), (dec!(4), dec!(10)));
        assert!(b
            .apply(&order("partially_filled", "4", Some("10")))
            .is_empty());
        // 6 more at 11 → average 10.6 over 10.
        let ev = b.apply(&order("filled", "10", Some("10.6")));
        let [BrokerEvent::Filled(f)] = ev.as_slice() else {
            panic!("{ev:?}")
        };
        assert_eq!((f.qty, f.price), (dec!(6), dec!(11)));
        assert!(b.apply(&order("filled", "10", Some("10.6"))).is_empty());
        assert!(b.pending().is_empty());
    }

    #[test]
    fn reconciled_orders_keep_their_past_fills_and_cancel_once() {
        let mut b = Book::default();
        let ev = b.apply(&order("partially_filled", "3", Some("20")));
        assert!(
            matches!(ev.as_slice(), [BrokerEvent::Accepted { .. }]),
            "{ev:?}"
        );
        let ev = b.apply(&order("canceled", "3", Some("20")));
        assert!(
            matches!(ev.as_slice(), [BrokerEvent::Canceled { .. }]),
            "{ev:?}"
        );
        assert!(b.apply(&order("canceled", "3", Some("20"))).is_empty());
    }

    #[test]
    fn rejected_by_venue_and_foreign_symbols() {
        let mut b = Book::default();
        b.track_submit(&req());
        let ev = b.apply(&order("rejected", "0", None));
        assert!(
            matches!(ev.as_slice(), [BrokerEvent::Rejected { .. }]),
            "{ev:?}"
        );
        let mut o = order("new", "0", None);
        o.symbol = "AAPL".into();
        assert!(b.apply(&o).is_empty());
    }
}
