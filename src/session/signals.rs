//! The signal queue's clock: signals arrive from the engine, wait for the trader, expire or wake.

use super::{Action, Notice, Session};
use crate::model::SignalState;
use crate::store::{Severity, SignalEntry};

impl Session {
    /// A signal from outside the engine, through the same path (tests and UI snapshots).
    #[doc(hidden)]
    pub fn inject_signal(&mut self, signal: crate::model::Signal) -> Vec<Notice> {
        let mut out = Vec::new();
        self.on_signal(signal, &mut out);
        out
    }

    pub(super) fn on_signal(&mut self, signal: crate::model::Signal, out: &mut Vec<Notice>) {
        // Nothing to trade (an exit with nothing held, a hedge of zero exposure): recorded, not asked.
        let nothing_held = signal.qty.is_zero();
        let state = if self.store.mode == crate::config::Mode::Observe || nothing_held {
            SignalState::Observed
        } else {
            SignalState::Proposed
        };
        self.store.push_log(
            Severity::Info,
            format!(
                "{} #{} {} {} {} {} @ {}{}",
                signal.agent,
                signal.id,
                signal.kind.label(),
                signal.side,
                signal.qty,
                signal.symbol,
                signal.reference_price.round_dp(2),
                if nothing_held {
                    " (size 0: recorded only)"
                } else {
                    ""
                }
            ),
        );
        let id = signal.id;
        self.store.scorecard.on_signal(&signal); // scorecard (ui)
        out.push(Notice::Signal {
            signal: signal.clone(),
        });
        self.journal("signal", |j| j.record_signal(&signal, state));
        let expires_at = self.store.bar_index + u64::from(self.cfg.signals.timeout_bars);
        self.store.signals.push(SignalEntry {
            signal,
            state,
            expires_at,
        });
        if state == SignalState::Proposed && self.store.mode == crate::config::Mode::Auto {
            self.act(
                Action::Acknowledge {
                    id: Some(id),
                    qty: None,
                },
                out,
            );
        }
    }

    /// Expire unanswered signals and wake snoozed ones; both are measured in IWM bars.
    pub(super) fn age_signals(&mut self, out: &mut Vec<Notice>) {
        let now = self.store.bar_index;
        let timeout = u64::from(self.cfg.signals.timeout_bars);
        let mut expired = Vec::new();
        let mut woken = Vec::new();
        for e in self
            .store
            .signals
            .live()
            .iter()
            .filter(|e| e.state.is_open())
        {
            match e.state {
                SignalState::Proposed if now >= e.expires_at => expired.push(e.signal.id),
                SignalState::Snoozed { until_bar } if now >= until_bar => woken.push(e.signal.id),
                _ => {}
            }
        }
        for id in woken {
            self.store.push_log(
                Severity::Info,
                format!("signal #{id} snooze over: asking again"),
            );
            if let Some(e) = self.store.signals.get_mut(id) {
                e.state = SignalState::Proposed;
                e.expires_at = now + timeout;
            }
        }
        for id in expired {
            self.answer(id, crate::model::Answer::Expire, SignalState::Expired, out);
        }
        self.store.signals.fix_selection();
    }
}
