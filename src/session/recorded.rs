//! `replay --session`: the trader's recorded answers given again to the same signals, so a
//! replay in manual mode trades what the session traded instead of letting every signal expire.

use super::{Action, Notice, Session};
use crate::model::{Signal, SignalState};

/// A recorded signal (by what it is, not its id: a replay numbers its signals anew) and the
/// answer it got.
#[derive(Debug, Clone)]
pub struct RecordedAnswer {
    pub signal: Signal,
    pub state: SignalState,
}

impl RecordedAnswer {
    fn matches(&self, s: &Signal) -> bool {
        let r = &self.signal;
        (r.time, r.agent, r.kind, r.symbol) == (s.time, s.agent, s.kind, s.symbol)
    }
}

impl Session {
    /// Answers to give again, as each signal comes (acknowledged, edited, overridden; an
    /// expiry or a snooze is left to the replay's own clock).
    pub fn replay_answers(&mut self, answers: Vec<RecordedAnswer>) {
        self.recorded = answers
            .into_iter()
            .filter(|a| {
                matches!(
                    a.state,
                    SignalState::Acknowledged
                        | SignalState::Edited { .. }
                        | SignalState::Overridden { .. }
                )
            })
            .collect();
    }

    /// The signal `id` just proposed: answer it as the recorded session did, if it was.
    pub(super) fn answer_as_recorded(&mut self, id: u64, out: &mut Vec<Notice>) {
        let Some(signal) = self.store.signals.get(id).map(|e| e.signal.clone()) else {
            return;
        };
        let Some(i) = self.recorded.iter().position(|a| a.matches(&signal)) else {
            return;
        };
        let action = match self.recorded.swap_remove(i).state {
            SignalState::Acknowledged => Action::Acknowledge {
                id: Some(id),
                qty: None,
            },
            SignalState::Edited { qty } => Action::Acknowledge {
                id: Some(id),
                qty: Some(qty),
            },
            SignalState::Overridden { reason } => Action::Override {
                id: Some(id),
                reason,
            },
            _ => return,
        };
        self.store.push_log(
            crate::store::Severity::Info,
            format!("signal #{id}: answered as in the recorded session"),
        );
        self.act(action, out);
    }
}
