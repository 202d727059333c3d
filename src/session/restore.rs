//! Crash recovery inside the session: put back what the journal says the previous process knew
//! (signals waiting for an answer, positions, working orders, ids, the kill switch). What happens
//! with it once the history has warmed the engine is in `resumed.rs`.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{Notice, Session};
use crate::broker::BrokerEvent;
use crate::engine::EngineEvent;
use crate::journal::Recovered;
use crate::model::{Bar, ClientOrderId, Fill, SignalState, Symbol, Timeframe};
use crate::risk::RiskRestore;
use crate::store::{OrderEntry, Severity, SignalEntry};

/// Recovery work that waits for the right moment.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Orders of a previous process nobody knows the venue's answer to: until each is settled
    /// (looked up by client order id), no new order may go out.
    pub(super) unsettled: BTreeSet<ClientOrderId>,
    /// Journaled fills for the engine, so the agents know what is held. Given once the IWM
    /// history has warmed the indicators (see `hand_over_holdings`).
    pub(super) engine_fills: Vec<(Fill, Option<crate::model::AgentBook>)>,
    /// Restored signals that auto mode acknowledges at the first live bar (when prices are known).
    pub(super) auto_ack: Vec<u64>,
    /// Restored signals a trader is asked again at the first live bar (the replay pauses for
    /// them), their time to answer counted from there.
    pub(super) ask_again: Vec<u64>,
    /// The journal's next signal id, applied at the first live bar: the history the engine warms
    /// on proposes (unnumbered to the trader) signals of its own, and counting them on top of
    /// the journal's ids made the numbers jump (#83 → #164) at a restart.
    pub(super) id_floor: Option<u64>,
    /// Journaled signals (with their answers, and whether the gate refused them) the override
    /// scorecard takes again, each after the history bar it was proposed on: the scorecard
    /// follows each track through the bars after its signal, as it did live.
    pub(super) scorecard:
        std::collections::VecDeque<(crate::model::Signal, Option<crate::model::Answer>, bool)>,
    /// A resumed session already journaled its history burst.
    pub(super) history_journaled: bool,
    /// What the journal says is held (fills, stops) still has to reach the engine.
    pub(super) holdings: bool,
    /// What the agents remembered, handed back with the holdings.
    pub(super) memory: Option<crate::engine::AgentMemory>,
    /// The day's starting equity is still to be set (at the first live bar).
    pub(super) day_start: bool,
    /// The signals a previous process's working orders answer (their fills count in the records).
    pub(super) order_signals: std::collections::BTreeMap<u64, crate::model::Signal>,
}

impl Pending {
    /// Restored holdings still wait for the end of the IWM history.
    pub(super) fn holdings_pending(&self) -> bool {
        self.holdings
    }
}

/// What a restore brought back, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub positions: usize,
    pub working_orders: usize,
    pub pending_signals: usize,
    pub unsettled: usize,
}

impl Session {
    /// Continue signal numbering after a restart: ids stay unique across sessions.
    pub fn set_next_signal_id(&mut self, id: u64) {
        self.engine.set_next_signal_id(id);
    }

    /// What survives any restart, even onto a fresh venue: ids and the kill switch (a kill
    /// switch stays on until a trader releases it).
    pub fn restore_globals(&mut self, rec: &Recovered) {
        self.recovery.id_floor = Some(rec.next_signal_id);
        self.gate.restore(&RiskRestore {
            kill_switch: rec.kill_switch,
            halted_day: rec.halted_day,
            ..Default::default()
        });
    }

    /// Everything the previous process of this venue knew. `cash`: the simulator's cash when
    /// it is resumed (a real venue reports its own). `resumed`: the same journal session goes
    /// on, its history already recorded.
    pub fn restore(&mut self, rec: &Recovered, cash: Option<Decimal>, resumed: bool) -> Restored {
        self.restore_globals(rec);
        self.gate.restore(&rec.risk_restore());
        self.store.positions = rec.positions.iter().cloned().collect();
        if let Some(cash) = cash {
            self.store.cash = cash;
            self.store.equity = self.store.marked_equity();
        }
        for w in &rec.working_orders {
            if w.needs_settlement() {
                self.recovery
                    .unsettled
                    .insert(w.order.client_order_id.clone());
            }
            self.store.orders.push(OrderEntry {
                request: w.order.clone(),
                status: w.status,
                broker_order_id: None,
                filled_qty: w.filled_qty,
                fills: Vec::new(),
                note: Some(format!("recovered from session {}", w.session)),
            });
        }
        // Snoozed, proposed, or acknowledged but never sent: the trader is asked again.
        let expires_at = self.store.bar_index + u64::from(self.cfg.signals.timeout_bars);
        // The signal history (`j`) and the scorecard (`o`) as they were: answered signals go in
        // with their answers, in id order with the waiting ones.
        let mut history: Vec<_> = rec.answered.iter().collect();
        history.extend(rec.open_signals.iter().chain(&rec.acknowledged_unsent));
        history.sort_by_key(|(s, _)| s.id);
        for (signal, state) in history {
            let answered = rec.answered.iter().any(|(s, _)| s.id == signal.id);
            let refused = rec.refused.contains(&signal.id);
            self.recovery.scorecard.push_back((
                signal.clone(),
                answered.then(|| answer_of(*state)).flatten(),
                refused,
            ));
            if answered {
                self.store.push_signal(SignalEntry {
                    signal: signal.clone(),
                    state: *state,
                    expires_at: 0,
                    unfilled: refused.then(|| "refused by the risk gate".to_string()),
                    at_close: None,
                });
            }
        }
        let waiting = rec.open_signals.iter().chain(&rec.acknowledged_unsent);
        for (signal, _) in waiting {
            if self.store.mode == crate::config::Mode::Auto {
                self.recovery.auto_ack.push(signal.id);
            } else {
                self.recovery.ask_again.push(signal.id);
            }
            self.store.push_signal(SignalEntry {
                signal: signal.clone(),
                state: SignalState::Proposed,
                // An exit stands until answered, after a restart too.
                expires_at: if signal.kind.is_exit() {
                    u64::MAX
                } else {
                    expires_at
                },
                unfilled: None,
                // A close decision stays one: it trades at its day's close or expires with it.
                at_close: rec.close_decisions.get(&signal.id).copied(),
            });
        }
        // A restart on the day of a close decision must not decide that day a second time.
        self.decided_close = rec
            .close_decisions
            .values()
            .map(|at| super::close::market_day(*at))
            .max()
            .max(self.decided_close);
        self.recovery.engine_fills = rec.fills.clone();
        // The trades the previous process closed count in each kind's record, as they did there.
        // (The embedded history's trades before the replay's start are seeded later, once.)
        for (fill, book) in &rec.fills {
            let signal = rec.fill_signals.get(&fill.client_order_id);
            self.store.lots.on_fill(fill, *book, signal, None);
        }
        self.recovery.order_signals = rec.working_signals.clone();
        self.recovery.history_journaled = resumed;
        // Given now: the venue's positions may be adopted before the first live bar.
        self.engine
            .process(EngineEvent::Restored(Box::new(rec.stops)));
        self.stops_journaled = rec.stops;
        self.recovery.memory = rec.memory;
        self.recovery.holdings = true;
        Restored {
            positions: rec.positions.len(),
            working_orders: rec.working_orders.len(),
            pending_signals: rec.open_signals.len() + rec.acknowledged_unsent.len(),
            unsettled: self.recovery.unsettled.len(),
        }
    }

    /// Broker events that concern recovered orders, handled (and journaled) before anything else.
    pub fn restore_broker_events(&mut self, events: Vec<BrokerEvent>) -> Vec<Notice> {
        let mut out = Vec::new();
        for ev in events {
            self.on_broker(ev, &mut out);
        }
        out
    }

    /// A line on the status bar (warn level, so it stays visible for a while).
    pub fn status(&mut self, text: impl Into<String>) -> Notice {
        let message = text.into();
        self.store.push_log(Severity::Warn, message.clone());
        Notice::Info { message }
    }

    /// History (warm-up) bars: journaled by identity once, taken by the engine as bars nobody
    /// trades. `more` while further pieces of the symbol's history follow; after the last, live
    /// bars start, and after IWM's the holdings go to the engine.
    pub(super) fn on_history(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bars: Vec<Bar>,
        more: bool,
        out: &mut Vec<Notice>,
    ) {
        if !self.recovery.history_journaled {
            self.journal("history bars", |j| {
                j.record_history(symbol, timeframe, &bars)
            });
        }
        for bar in bars {
            self.on_bar(symbol, bar, false, out);
            self.rescore(symbol, &bar);
        }
        if more {
            return;
        }
        let s = &mut self.store.series[symbol.index()];
        s.live_from = s.bars().total();
        if symbol == Symbol::Iwm {
            self.hand_over_holdings(out);
        }
    }

    /// A history bar the journaled signals went through: the scorecard sees it as it did live
    /// (the bar, then the signals proposed on it).
    fn rescore(&mut self, symbol: Symbol, bar: &Bar) {
        if self.recovery.scorecard.is_empty() && self.store.scorecard.tracks().len() == 0 {
            return;
        }
        self.store.scorecard.on_bar(symbol, bar);
        if symbol != Symbol::Iwm {
            return;
        }
        while let Some((s, _, _)) = self.recovery.scorecard.front() {
            if s.time > bar.time {
                break;
            }
            let Some((s, answer, refused)) = self.recovery.scorecard.pop_front() else {
                break;
            };
            self.store.scorecard.on_signal(&s);
            if let Some(a) = answer {
                self.store.scorecard.on_answer(s.id, a);
            }
            if refused {
                self.store.scorecard.on_refused(s.id);
            }
        }
    }
}

/// The answer a journaled state stands for, as the scorecard counts it.
fn answer_of(state: SignalState) -> Option<crate::model::Answer> {
    use crate::model::Answer;
    match state {
        SignalState::Acknowledged => Some(Answer::Acknowledge),
        SignalState::Edited { qty } => Some(Answer::Edit { qty }),
        SignalState::Overridden { reason } => Some(Answer::Override { reason }),
        SignalState::Expired => Some(Answer::Expire),
        _ => None,
    }
}
