//! After a restore: the agents take charge of the holdings once the history has warmed them,
//! the signals that were waiting are asked again, and new orders wait until every order whose
//! state at the venue was unknown has been settled.

use super::{Action, Notice, Session};
use crate::broker::BrokerEvent;
use crate::engine::EngineEvent;
use crate::model::{AgentBook, ClientOrderId, Side, SignalState};
use crate::store::Severity;

impl Session {
    /// Once the IWM history has warmed the indicators (or at the first live bar, if no history
    /// came): tell the engine what is held, so the agents take charge of it with the stops they
    /// had. Until then the engine would see history bars as bars the shares were held through.
    pub(super) fn hand_over_holdings(&mut self, out: &mut Vec<Notice>) {
        if !std::mem::take(&mut self.recovery.holdings) {
            return;
        }
        // Before the holdings: the agents adopt them with what they remembered.
        if let Some(m) = self.recovery.memory.take() {
            if self.engine.restore_memory(&m) {
                self.memory_journaled = Some(m);
            }
        }
        let fills = std::mem::take(&mut self.recovery.engine_fills);
        self.process_engine(EngineEvent::Journaled { fills }, out);
        // The journal's fills gave each share its book; what is held is the positions' word
        // (a venue that reported first already counts the journaled fills).
        let positions = self
            .store
            .positions
            .values()
            .map(|p| (p.symbol, p.qty))
            .collect();
        self.process_engine(EngineEvent::Held { positions }, out);
        // A journaled entry still working keeps its agent's stop and tier clock for its fill;
        // the rest is dropped (nothing held takes it).
        let mut keep = [false; 3];
        for o in self.store.working_orders() {
            match (o.request.side, o.request.book) {
                (Side::Buy, Some(AgentBook::BearTier { .. } | AgentBook::BearAll)) => {
                    keep[0] = true
                }
                (Side::Buy, Some(AgentBook::Hedge)) => keep[1] = true,
                (Side::Buy, Some(AgentBook::Bull)) => keep[2] = true,
                _ => {}
            }
        }
        self.engine.retain_restored(keep);
        let equity = self.store.marked_equity();
        self.process_engine(EngineEvent::Account { equity }, out);
        // The day resumes from the day's start as the uninterrupted run set it, worked out at
        // the first live bar (the other symbols' history is not in yet): see `resume_day`.
        self.recovery.day_start = true;
    }

    /// At a live bar: a resumed session's day starts from the closes before the newest bar's
    /// day (not the session's starting cash, which made the book's fall since then look like
    /// the agents' loss; nor the bars of that day already in history, whose moves the daily
    /// loss limit must still count), as the uninterrupted run set it.
    pub(super) fn resume_day(&mut self, new_day: bool) {
        if std::mem::take(&mut self.recovery.day_start) && !new_day {
            self.store.day_start_equity = self.store.marked_at_day_start();
            self.store.day_start_book = self.book_value_at_day_start();
        }
    }

    /// Before the first live bar after a restore: the holdings, if the history did not hand
    /// them over, and the restored signals acknowledged in auto mode (prices are known now).
    #[inline(always)]
    pub(super) fn before_live_bar(&mut self, out: &mut Vec<Notice>) {
        // Checked on every bar; there is work only once, after a restore.
        let r = &self.recovery;
        if r.holdings || r.id_floor.is_some() || !r.auto_ack.is_empty() {
            self.before_first_live_bar(out);
        }
    }

    fn before_first_live_bar(&mut self, out: &mut Vec<Notice>) {
        self.hand_over_holdings(out);
        if let Some(floor) = self.recovery.id_floor.take() {
            let next = self.engine.next_signal_id().max(floor);
            self.set_next_signal_id(next);
        }
        for id in std::mem::take(&mut self.recovery.auto_ack) {
            self.act(
                Action::Acknowledge {
                    id: Some(id),
                    qty: None,
                },
                out,
            );
        }
    }

    /// After the first live IWM bar (the agents' view is up to date with what is held): the
    /// signals restored waiting are asked again, with their full time to answer from here.
    pub(super) fn ask_restored(&mut self, out: &mut Vec<Notice>) {
        // Checked on every IWM bar; there is work only once, after a restore.
        if self.recovery.ask_again.is_empty() {
            return;
        }
        let timeout = u64::from(self.cfg.signals.timeout_bars);
        for id in std::mem::take(&mut self.recovery.ask_again) {
            let now = self.store.bar_index;
            let Some(e) = self
                .store
                .signals
                .get_mut(id)
                .filter(|e| e.state == SignalState::Proposed)
            else {
                continue;
            };
            if e.expires_at != u64::MAX {
                e.expires_at = now + timeout;
            }
            let why = format!("signal #{id} restored: it waited when the last session stopped");
            // Info: the status line keeps saying the session was resumed after an unclean stop.
            self.store.push_log(Severity::Info, why.clone());
            out.push(Notice::Asked { signal_id: id, why });
        }
    }

    /// Any answer but "unknown" settles a recovered order.
    pub(super) fn settle(&mut self, ev: &BrokerEvent) {
        let id = match ev {
            BrokerEvent::Accepted {
                client_order_id, ..
            }
            | BrokerEvent::Rejected {
                client_order_id, ..
            }
            | BrokerEvent::Canceled { client_order_id } => client_order_id,
            BrokerEvent::Filled(f) => &f.client_order_id,
            _ => return,
        };
        if self.recovery.unsettled.remove(id) && self.recovery.unsettled.is_empty() {
            self.store
                .push_log(Severity::Info, "recovered orders settled: trading resumes");
        }
    }

    /// The order a new order must wait for, if any.
    pub(super) fn unsettled(&self) -> Option<&ClientOrderId> {
        self.recovery.unsettled.iter().next()
    }

    /// Journal the positions held at a clean stop (audit: they must equal Σ fills).
    pub(super) fn journal_final_positions(&mut self) {
        let held: Vec<_> = self.store.positions.values().cloned().collect();
        for p in held {
            self.journal("final position", |j| j.record_position(&p));
        }
    }
}
