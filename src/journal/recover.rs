//! Crash recovery: fold the journal back into what the app must know before it does anything.
//!
//! Scope. Positions and working orders live at a venue and outlive a process, so they are
//! folded over every session that used the latest session's venue (all PAPER sessions, or all
//! LIVE ones): a crash in session N, then another in N+1 before settling, still leaves N's
//! order visible. The SIM venue dies with its process, so for SIM only the latest session is
//! folded. Ids (next signal id, next order number) and the kill switch are global: ids must
//! never repeat, and a kill switch stays on across restarts and venues until released. A
//! daily-loss halt is not: it belongs to the account that lost, so it is read from the scope
//! only (another venue's, or an old replay's, halted day must not halt this session).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::entry::{broker_kind, Entry};
use super::{order_seq, Journal, Result, SessionSummary};
use crate::broker::BrokerKind;
use crate::model::{
    AgentBook, ClientOrderId, Fill, OrderRequest, OrderStatus, Position, Signal, SignalState,
    Stops, Symbol,
};
use crate::risk::{RefusalReason, RiskRestore};

/// An intent with no terminal venue event.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingOrder {
    pub order: OrderRequest,
    /// `Unknown`: no venue response at all, or an explicit unknown. The caller must look it up
    /// at the venue by client order id before sending anything else.
    pub status: OrderStatus,
    pub filled_qty: Decimal,
    pub session: String,
}

impl WorkingOrder {
    pub fn needs_settlement(&self) -> bool {
        self.status == OrderStatus::Unknown
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovered {
    /// The session that was running last (crashed if `!ended`).
    pub last_session: Option<SessionSummary>,
    /// Sessions folded for signals, positions and working orders (see module doc).
    pub scope: Vec<String>,
    /// Proposed or snoozed signals, by id.
    pub open_signals: Vec<(Signal, SignalState)>,
    /// Acknowledged (or edited) before the crash with no intent journaled: never sent.
    pub acknowledged_unsent: Vec<(Signal, SignalState)>,
    /// Every other signal in scope with its answer, by id: the history (`j`) and the
    /// override scorecard (`o`) a restarted process shows again.
    pub answered: Vec<(Signal, SignalState)>,
    /// Answered signals whose order the gate refused (the scorecard counts them as refused).
    pub refused: std::collections::BTreeSet<u64>,
    /// Signals decided on the forming bar, by id: when each was decided (see `session::close`).
    pub close_decisions: BTreeMap<u64, DateTime<Utc>>,
    /// Non-flat positions rebuilt from journaled fills.
    pub positions: Vec<Position>,
    pub working_orders: Vec<WorkingOrder>,
    /// Signals that already have an order that was not rejected.
    pub ordered_signals: BTreeMap<u64, ClientOrderId>,
    pub next_signal_id: u64,
    pub next_order_seq: u64,
    pub kill_switch: bool,
    /// Day of the latest daily-loss refusal in scope: entries stay halted if it is today.
    pub halted_day: Option<NaiveDate>,
    /// Every journaled fill in scope, oldest first, with the agent book its order carried: a
    /// resumed session hands them to the engine so the agents know what is held.
    pub fills: Vec<(Fill, Option<AgentBook>)>,
    /// Σ fill cash deltas in scope: the simulator's cash is its starting cash plus this.
    pub fills_cash: Decimal,
    /// The agents' standing stops as last journaled in scope (Bear, hedge, Bull).
    pub stops: Stops,
    /// The signal each filled order answered, by client order id: the record of each kind
    /// (closed trades, `store::lots`) is rebuilt from these fills.
    pub fill_signals: BTreeMap<ClientOrderId, Signal>,
    /// The signals working orders answered, by signal id.
    pub working_signals: BTreeMap<u64, Signal>,
    /// What the agents remembered as last journaled in scope.
    pub memory: Option<crate::engine::AgentMemory>,
}

impl Recovered {
    /// Orders the caller must settle with the venue before doing anything else.
    pub fn unsettled(&self) -> impl Iterator<Item = &WorkingOrder> {
        self.working_orders.iter().filter(|w| w.needs_settlement())
    }

    /// What the risk gate must remember across the restart.
    pub fn risk_restore(&self) -> RiskRestore {
        RiskRestore {
            kill_switch: self.kill_switch,
            halted_day: self.halted_day,
            working: self
                .working_orders
                .iter()
                .map(|w| {
                    let o = &w.order;
                    (o.client_order_id.clone(), o.signal_id, o.qty - w.filled_qty)
                })
                .collect(),
            ordered_signals: self.ordered_signals.clone(),
        }
    }
}

struct Track {
    order: OrderRequest,
    session: String,
    filled: Decimal,
    status: OrderStatus,
}

/// Kinds recovery reads: everything except bars, which are the bulk of a journal.
const KINDS: &str =
    "'session_start','session_end','signal','answer','order_intent','broker_accepted',\
'broker_rejected','broker_canceled','broker_unknown','fill','risk_refusal','kill_switch','stops','agent_memory','broker_interest'";

impl Journal {
    /// Rebuild state after a crash or a clean stop. Read-only: call it before `start_session`.
    pub fn recover(&self) -> Result<Recovered> {
        self.recover_for(None)
    }

    /// Like `recover`, for the latest session on `venue` (`None`: whatever ran last). An
    /// Alpaca start must settle Alpaca's orders even if a simulator session ran in between.
    pub fn recover_for(&self, venue: Option<BrokerKind>) -> Result<Recovered> {
        let sessions = self.sessions()?;
        let mut out = Recovered {
            next_order_seq: self.next_order_seq,
            ..Default::default()
        };
        let on_venue = |s: &&SessionSummary| venue.is_none() || broker_kind(&s.broker) == venue;
        let Some(last) = sessions.iter().rev().find(on_venue).cloned() else {
            out.next_signal_id = 1;
            // Ids and the kill switch are global even when this venue has no session yet.
            if !sessions.is_empty() {
                let all = self.recover_for(None)?;
                out.next_signal_id = all.next_signal_id;
                out.kill_switch = all.kill_switch;
            }
            return Ok(out);
        };
        let venue = broker_kind(&last.broker);
        out.scope = sessions
            .iter()
            .filter(|s| match venue {
                Some(BrokerKind::Sim) | None => s.id == last.id,
                Some(v) => broker_kind(&s.broker) == Some(v),
            })
            .map(|s| s.id.clone())
            .collect();
        out.last_session = Some(last);

        let max_signal: Option<i64> = self
            .conn
            .query_row("SELECT MAX(signal_id) FROM events", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        out.next_signal_id = max_signal.map_or(1, |m| m as u64 + 1);

        let mut signals: BTreeMap<u64, (Signal, SignalState)> = BTreeMap::new();
        let mut orders: BTreeMap<ClientOrderId, Track> = BTreeMap::new();
        let mut positions: BTreeMap<Symbol, Position> = BTreeMap::new();
        // Acknowledged signals the gate refused were answered in full: nothing to resend.
        let mut refused: std::collections::BTreeSet<u64> = Default::default();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT session, kind, payload FROM events WHERE kind IN ({KINDS}) ORDER BY seq"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        for row in rows {
            let (session, kind, payload) = row.map_err(|e| self.sql(e))?;
            let entry = Entry::from_columns(&kind, &payload)?;
            // A global fact first: it ignores the venue scope.
            if let Entry::KillSwitch { engaged, .. } = &entry {
                out.kill_switch = *engaged;
            }
            if !out.scope.contains(&session) {
                continue;
            }
            match &entry {
                // A refused signal was answered, whatever the reason: never sent after a restart.
                Entry::RiskRefusal { order, reason, .. } => {
                    refused.extend(order.signal_id);
                    if let RefusalReason::DailyLossLimit { day, .. } = reason {
                        out.halted_day = Some(*day);
                    }
                }
                Entry::Signal {
                    signal,
                    at_close: Some(at),
                    ..
                } => {
                    out.close_decisions.insert(signal.id, *at);
                }
                Entry::AgentMemory { memory } => out.memory = Some(*memory),
                Entry::Stops { stops } => {
                    out.stops = [None; 3];
                    for s in stops {
                        out.stops[s.slot()] = Some(*s);
                    }
                }
                Entry::Fill(f) => {
                    // The order's book; an intent journaled before orders carried one falls
                    // back to its signal's kind.
                    let order = orders.get(&f.client_order_id).map(|t| &t.order);
                    let book = order.and_then(|o| {
                        o.book.or_else(|| {
                            let (s, _) = signals.get(&o.signal_id?)?;
                            Some(AgentBook::of(s.kind))
                        })
                    });
                    out.fills_cash += f.cash_delta();
                    out.fills.push((f.clone(), book));
                    if let Some((s, _)) = order.and_then(|o| signals.get(&o.signal_id?)) {
                        out.fill_signals
                            .insert(f.client_order_id.clone(), s.clone());
                    }
                }
                Entry::BrokerInterest { amount, .. } => out.fills_cash -= *amount,
                _ => {}
            }
            apply(entry, session, &mut signals, &mut orders, &mut positions);
        }

        // The signals working orders answer: their fills, in the next process, close into the
        // record of the signal's kind.
        for t in orders.values().filter(|t| t.status.is_working()) {
            if let Some((s, _)) = t.order.signal_id.and_then(|id| signals.get(&id)) {
                out.working_signals.insert(s.id, s.clone());
            }
        }
        for (signal, state) in signals.into_values() {
            if state.is_open() {
                out.open_signals.push((signal, state));
            } else if matches!(
                state,
                SignalState::Acknowledged | SignalState::Edited { .. }
            ) && !refused.contains(&signal.id)
                && !orders
                    .values()
                    .any(|t| t.order.signal_id == Some(signal.id))
            {
                out.acknowledged_unsent.push((signal, state));
            } else {
                out.answered.push((signal, state));
            }
        }
        out.refused = refused;
        for t in orders.values() {
            let rejected_unfilled = t.status == OrderStatus::Rejected && t.filled.is_zero();
            if let (Some(s), false) = (t.order.signal_id, rejected_unfilled) {
                out.ordered_signals
                    .insert(s, t.order.client_order_id.clone());
            }
        }
        let mut working: Vec<_> = orders
            .into_values()
            .filter(|t| t.status.is_working())
            .collect();
        working.sort_by_key(|t| order_seq(t.order.client_order_id.as_str()));
        out.working_orders = working
            .into_iter()
            .map(|t| WorkingOrder {
                order: t.order,
                status: t.status,
                filled_qty: t.filled,
                session: t.session,
            })
            .collect();
        out.positions = positions
            .into_values()
            .filter(|p| !p.qty.is_zero())
            .collect();
        Ok(out)
    }
}

fn apply(
    entry: Entry,
    session: String,
    signals: &mut BTreeMap<u64, (Signal, SignalState)>,
    orders: &mut BTreeMap<ClientOrderId, Track>,
    positions: &mut BTreeMap<Symbol, Position>,
) {
    // Terminal states never go back to working, whatever arrives late.
    let set = |orders: &mut BTreeMap<ClientOrderId, Track>, id: &ClientOrderId, s: OrderStatus| {
        if let Some(t) = orders.get_mut(id) {
            if t.status.is_working() {
                t.status = s;
            }
        }
    };
    match entry {
        Entry::Signal { signal, state, .. } => {
            signals.insert(signal.id, (signal, state));
        }
        Entry::Answer {
            signal_id, state, ..
        } => {
            if let Some(s) = signals.get_mut(&signal_id) {
                s.1 = state;
            }
        }
        Entry::OrderIntent(order) => {
            let track = Track {
                order,
                session,
                filled: Decimal::ZERO,
                // No venue response yet: after a crash nobody knows whether it was sent.
                status: OrderStatus::Unknown,
            };
            orders.insert(track.order.client_order_id.clone(), track);
        }
        Entry::BrokerAccepted {
            client_order_id, ..
        } => {
            let partly = orders
                .get(&client_order_id)
                .is_some_and(|t| !t.filled.is_zero());
            let s = if partly {
                OrderStatus::PartiallyFilled
            } else {
                OrderStatus::Accepted
            };
            set(orders, &client_order_id, s);
        }
        Entry::BrokerUnknown {
            client_order_id, ..
        } => set(orders, &client_order_id, OrderStatus::Unknown),
        Entry::BrokerRejected {
            client_order_id, ..
        } => set(orders, &client_order_id, OrderStatus::Rejected),
        Entry::BrokerCanceled { client_order_id } => {
            set(orders, &client_order_id, OrderStatus::Canceled)
        }
        Entry::Fill(fill) => {
            positions
                .entry(fill.symbol)
                .or_insert_with(|| Position::flat(fill.symbol, fill.time))
                .apply(&fill);
            if let Some(t) = orders.get_mut(&fill.client_order_id) {
                t.filled += fill.qty;
                let s = if t.filled >= t.order.qty {
                    OrderStatus::Filled
                } else {
                    OrderStatus::PartiallyFilled
                };
                set(orders, &fill.client_order_id, s);
            }
        }
        _ => {}
    }
}
