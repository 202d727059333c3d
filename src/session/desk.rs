//! The trading desk: the trader's answers to signals, and the orders they become.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Notice, Session};
use crate::engine::EngineEvent;
use crate::model::{Answer, OrderRequest, OrderType, Side, SignalState};
use crate::store::Severity;

/// A trader's (or auto mode's) decision. `id: None` means the selected signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Acknowledge {
        id: Option<u64>,
        qty: Option<Decimal>,
    },
    Override {
        id: Option<u64>,
        reason: char,
    },
    Snooze {
        id: Option<u64>,
    },
    Select {
        id: u64,
    },
    SelectNext,
    SelectPrev,
    /// Sell every position at market.
    Flatten,
    /// Pause or resume the agents (no new signals while paused).
    TogglePauseAgents,
    /// Engage or release the kill switch: cancel working orders, block every new order.
    ToggleKill,
    CycleMode,
}

/// The one-key override reasons a trader picks from.
pub const OVERRIDE_REASONS: [(char, &str); 5] = [
    ('n', "news"),
    ('l', "levels disagree"),
    ('s', "size"),
    ('t', "timing"),
    ('o', "other"),
];

pub fn override_reason_text(c: char) -> &'static str {
    OVERRIDE_REASONS
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, t)| *t)
        .unwrap_or("other")
}

impl Session {
    pub(super) fn act(&mut self, action: Action, out: &mut Vec<Notice>) {
        match action {
            Action::Acknowledge { id, qty } => {
                if let Some(id) = self.open_signal(id) {
                    self.acknowledge(id, qty, out);
                }
            }
            Action::Override { id, reason } => {
                if let Some(id) = self.open_signal(id) {
                    self.answer(
                        id,
                        Answer::Override { reason },
                        SignalState::Overridden { reason },
                        out,
                    );
                    if self.is_exit(id) {
                        self.info(
                            &format!(
                                "exit #{id} overridden: the position keeps its stop, and the \
                                 exit is proposed again on the next close beyond it"
                            ),
                            out,
                        );
                    }
                    self.process_engine(EngineEvent::Unfilled { signal_id: id }, out);
                }
            }
            Action::Snooze { id } => {
                if let Some(id) = self.open_signal(id).filter(|id| self.is_exit(*id)) {
                    self.info(
                        &format!("exit #{id} cannot be snoozed: an exit stands until answered"),
                        out,
                    );
                } else if let Some(id) = self.open_signal(id) {
                    let until_bar =
                        self.store.bar_index + u64::from(self.cfg.signals.snooze_bars.max(1));
                    self.answer(id, Answer::Snooze, SignalState::Snoozed { until_bar }, out);
                }
            }
            Action::Select { id } => self.store.signals.select(id),
            Action::SelectNext => self.store.signals.step(1),
            Action::SelectPrev => self.store.signals.step(-1),
            Action::Flatten => self.flatten(out),
            Action::TogglePauseAgents => {
                self.store.agents_paused = !self.store.agents_paused;
                let paused = self.store.agents_paused;
                self.process_engine(EngineEvent::Paused(paused), out);
                self.info(
                    if paused {
                        "agents paused: no new signals"
                    } else {
                        "agents resumed"
                    },
                    out,
                );
            }
            Action::ToggleKill => self.toggle_kill(out),
            Action::CycleMode => {
                self.store.mode = self.store.mode.next();
                let m = self.store.mode.label();
                self.info(&format!("mode {m}"), out);
            }
        }
    }

    fn info(&mut self, message: &str, out: &mut Vec<Notice>) {
        self.store.push_log(Severity::Info, message);
        out.push(Notice::Info {
            message: message.to_string(),
        });
    }

    /// The signal an action refers to, if it is still waiting for an answer.
    fn open_signal(&self, id: Option<u64>) -> Option<u64> {
        let id = id.or_else(|| self.store.signals.selected_id())?;
        self.store
            .signals
            .get(id)
            .filter(|e| e.state.is_open())
            .map(|e| e.signal.id)
    }

    pub(super) fn answer(
        &mut self,
        id: u64,
        answer: Answer,
        state: SignalState,
        out: &mut Vec<Notice>,
    ) {
        if let Some(e) = self.store.signals.get_mut(id) {
            e.state = state;
        }
        self.journal("answer", |j| j.record_answer(id, state));
        if !self.backtest {
            self.store.scorecard.on_answer(id, answer); // scorecard (ui)
        }
        self.info_log(|| {
            let text = match answer {
                Answer::Acknowledge => "acknowledged".to_string(),
                Answer::Override { reason } => {
                    format!("overridden (reason: {})", override_reason_text(reason))
                }
                Answer::Edit { qty } => format!("acknowledged with size edited to {qty}"),
                Answer::Snooze => "snoozed".to_string(),
                Answer::Expire => "expired unanswered".to_string(),
            };
            format!("signal #{id} {text}")
        });
        // A backtest's loop reads orders and fills, not answers (nor signals: see `propose`), and
        // the selection is the Decide pane's: a backtest answers every signal by its id.
        if !self.backtest {
            out.push(Notice::Answer {
                signal_id: id,
                answer,
            });
            self.store.signals.fix_selection();
        }
    }

    pub(super) fn is_exit(&self, id: u64) -> bool {
        self.store
            .signals
            .get(id)
            .is_some_and(|e| e.signal.kind.is_exit())
    }

    /// Shares of `symbol` the agents hold (the trader's book left out: an exit never sells it)
    /// and not already on their way out in a working sell.
    pub(super) fn sellable(&self, symbol: crate::model::Symbol) -> Decimal {
        let book = if symbol == self.book_symbol() {
            self.book_shares()
        } else {
            Decimal::ZERO
        };
        let held = self
            .store
            .positions
            .get(&symbol)
            .map_or(Decimal::ZERO, |p| p.qty)
            - book;
        let selling: Decimal = self
            .store
            .working_orders()
            .filter(|o| o.request.symbol == symbol && o.request.side == Side::Sell)
            .map(|o| o.request.qty - o.filled_qty)
            .sum();
        (held - selling).max(Decimal::ZERO)
    }

    fn acknowledge(&mut self, id: u64, qty: Option<Decimal>, out: &mut Vec<Notice>) {
        let Some(entry) = self.store.signals.get(id) else {
            return;
        };
        // The few fields an order needs, not a copy of the signal and its reasons.
        let s = &entry.signal;
        let (kind, symbol, side, proposed) = (s.kind, s.symbol, s.side, s.qty);
        let at_close = entry.at_close;
        let asked = qty.unwrap_or(proposed).trunc();
        // An exit never sells more than is held: a mistyped size must not turn a stop into a
        // refused order (and a position without its exit).
        let qty = if kind.is_exit() {
            let held = self.sellable(symbol);
            if asked > held {
                self.store.push_log(
                    Severity::Warn,
                    format!("exit #{id}: size {asked} capped at the {held} held"),
                );
            }
            asked.min(held)
        } else {
            asked
        };
        // The trader can still change this answer: a refused entry keeps waiting, with why.
        if self.store.mode == crate::config::Mode::Manual && !kind.is_exit() {
            // Not `new_order`: a probe must not use up an order id.
            let probe = OrderRequest {
                client_order_id: crate::model::ClientOrderId::from("probe"),
                symbol,
                side,
                qty,
                order_type: OrderType::Market,
                signal_id: Some(id),
                book: Some(crate::model::AgentBook::of(kind)),
                created: self.store.now.unwrap_or_default(),
            };
            if let Some(why) = self.gate.preview(&probe, &self.risk_context()) {
                let text = format!("order refused: {why}; signal #{id} still waits for an answer");
                self.store.push_log(Severity::Warn, text.clone());
                out.push(Notice::Info { message: text });
                return;
            }
        }
        let (answer, state) = match qty {
            q if q != proposed => (Answer::Edit { qty: q }, SignalState::Edited { qty: q }),
            _ => (Answer::Acknowledge, SignalState::Acknowledged),
        };
        self.answer(id, answer, state, out);
        if qty <= Decimal::ZERO {
            self.store.push_log(
                Severity::Warn,
                format!("signal #{id}: nothing to trade (size 0)"),
            );
            self.process_engine(EngineEvent::Unfilled { signal_id: id }, out);
            return;
        }
        let mut order = self.new_order(symbol, side, qty, Some(id));
        order.book = Some(crate::model::AgentBook::of(kind));
        if let Some(at) = at_close {
            // Decided before the close: it trades in today's closing auction. Dated by the
            // decision, not the bar clock, which still reads yesterday's bar.
            order.order_type = OrderType::MarketOnClose;
            order.created = at;
        }
        self.send(order, out);
    }

    pub(super) fn new_order(
        &mut self,
        symbol: crate::model::Symbol,
        side: Side,
        qty: Decimal,
        signal_id: Option<u64>,
    ) -> OrderRequest {
        OrderRequest {
            client_order_id: self.next_client_order_id(),
            symbol,
            side,
            qty,
            order_type: OrderType::Market,
            signal_id,
            book: None,
            // Live, the order is sent now; the bar clock reads the newest bar's start (midnight
            // for a daily bar), hours before it.
            created: if self.wall_clock {
                chrono::Utc::now()
            } else {
                self.store.now.unwrap_or_default()
            },
        }
    }

    fn flatten(&mut self, out: &mut Vec<Notice>) {
        let held: Vec<_> = self
            .store
            .positions
            .values()
            .filter(|p| p.qty > Decimal::ZERO)
            .map(|p| (p.symbol, p.qty))
            .collect();
        // The trader's book (hedge mode) is not the agents' to sell.
        let book = self.book_shares();
        let held: Vec<_> = held
            .into_iter()
            .map(|(s, q)| (s, if s == self.book_symbol() { q - book } else { q }))
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect();
        if held.is_empty() {
            self.info("flatten: nothing held", out);
            return;
        }
        for (symbol, qty) in held {
            let already: Decimal = self
                .store
                .working_orders()
                .filter(|o| o.request.symbol == symbol && o.request.side == Side::Sell)
                .map(|o| o.request.qty - o.filled_qty)
                .sum();
            let qty = qty - already;
            if qty > Decimal::ZERO {
                let order = self.new_order(symbol, Side::Sell, qty, None);
                self.send(order, out);
            }
        }
    }

    fn toggle_kill(&mut self, out: &mut Vec<Notice>) {
        if self.gate.is_killed() {
            self.gate.release();
            self.journal("kill switch", |j| j.record_kill_switch(false, &[]));
            self.store.status = None;
            self.info("kill switch released: orders allowed again", out);
            return;
        }
        let mut working = self.gate.engage();
        for o in self.store.working_orders() {
            if !working.contains(&o.request.client_order_id) {
                working.push(o.request.client_order_id.clone());
            }
        }
        self.journal("kill switch", |j| j.record_kill_switch(true, &working));
        self.store.push_log(
            Severity::Error,
            format!(
                "KILL SWITCH: canceling {} working order(s), blocking new risk (exits and \
                 flatten still go)",
                working.len()
            ),
        );
        out.push(Notice::Info {
            message: "kill switch engaged".into(),
        });
        for id in working {
            for ev in self.broker.cancel(&id) {
                self.on_broker(ev, out);
            }
        }
    }
}
