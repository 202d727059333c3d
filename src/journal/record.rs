//! The typed recording methods: one per kind of event, each a thin wrapper over `record`.

use super::{entry, insert, sql_err, Entry, Journal, JournalError, Result};
use crate::broker::BrokerEvent;
use crate::model::FeedHealth;
use crate::model::{
    Bar, ClientOrderId, OrderRequest, Position, Signal, SignalState, Symbol, Timeframe,
};
use crate::risk::RiskRefused;

impl Journal {
    /// The order's intent, committed and fsynced. Only after `Ok` may the order be sent;
    /// `Err(DuplicateIntent)` means it was journaled (and maybe sent) already: do not send.
    pub fn record_intent(&mut self, order: &OrderRequest) -> Result<u64> {
        self.record(&Entry::OrderIntent(order.clone()))
    }

    /// A venue's answer. `Ok(None)`: this exact fill was already journaled (a re-send after a
    /// reconnect) and must not be applied to positions again.
    pub fn record_broker_event(&mut self, event: &BrokerEvent) -> Result<Option<u64>> {
        match self.record(&Entry::from_broker_event(event)) {
            Err(JournalError::DuplicateFill(_)) => Ok(None),
            other => other.map(Some),
        }
    }

    /// The agents' standing stops, batched with the bars that moved them: a resumed replay
    /// re-feeds the bars after the last commit, which moves them again the same way.
    pub fn record_stops(&mut self, stops: &crate::model::Stops) -> Result<u64> {
        self.record(&Entry::Stops {
            stops: stops.iter().flatten().copied().collect(),
        })
    }

    pub fn record_memory(&mut self, memory: &crate::engine::AgentMemory) -> Result<u64> {
        self.record(&Entry::AgentMemory { memory: *memory })
    }

    /// The forming bars a close decision was made on, with the signals it proposed.
    pub fn record_close_decision(
        &mut self,
        at: chrono::DateTime<chrono::Utc>,
        forming: Vec<(Symbol, Bar)>,
        signals: Vec<u64>,
    ) -> Result<u64> {
        self.record(&Entry::CloseDecision {
            at,
            forming,
            signals,
        })
    }

    /// A live bar, one the agents may act on (history goes through `record_bars`).
    /// The next bar of an expected replay is counted, not written (see `replayed`).
    pub fn record_bar(&mut self, symbol: Symbol, timeframe: Timeframe, bar: &Bar) -> Result<()> {
        if self.session.is_none() {
            return Err(JournalError::NoSession);
        }
        if self.take_expected(symbol, timeframe, bar) {
            return self.count_replayed();
        }
        self.record(&Entry::Bar {
            symbol,
            timeframe,
            bar: *bar,
            live: true,
        })
        .map(|_| ())
    }

    /// A burst (history, warm-up) in one transaction: all of it or none of it after a crash.
    pub fn record_bars(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bars: &[Bar],
    ) -> Result<()> {
        let session = self.session.clone().ok_or(JournalError::NoSession)?;
        self.flush()?;
        let time = (self.clock)();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| sql_err(&self.path, e))?;
        for bar in bars {
            let entry = Entry::Bar {
                symbol,
                timeframe,
                bar: *bar,
                live: false,
            };
            insert(&tx, &session, time, &entry).map_err(|e| sql_err(&self.path, e))?;
        }
        tx.commit().map_err(|e| sql_err(&self.path, e))
    }

    /// A new signal: `Proposed`, or `Observed` when it is recorded but not offered (observe mode).
    pub fn record_signal(&mut self, signal: &Signal, state: SignalState) -> Result<u64> {
        self.record_proposal(signal, state, None)
    }

    /// `record_signal`, for a signal decided on the forming bar at `at_close` when given.
    pub fn record_proposal(
        &mut self,
        signal: &Signal,
        state: SignalState,
        at_close: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<u64> {
        self.record(&Entry::Signal {
            signal: signal.clone(),
            state,
            at_close,
        })
    }

    /// The trader's answer, given as the state it leads to (`Snoozed` carries `until_bar`,
    /// `Edited` the new qty, `Overridden` the reason code, `Expired` a timeout).
    pub fn record_answer(&mut self, signal_id: u64, state: SignalState) -> Result<u64> {
        let answer = entry::answer_for(state).ok_or(JournalError::NotAnAnswer(state))?;
        self.record(&Entry::Answer {
            signal_id,
            answer,
            state,
        })
    }

    pub fn record_position(&mut self, position: &Position) -> Result<u64> {
        self.record(&Entry::Position(position.clone()))
    }

    pub fn record_feed_health(&mut self, source: &str, health: &FeedHealth) -> Result<u64> {
        self.record(&Entry::from_feed_health(source, health))
    }

    pub fn record_refusal(&mut self, refused: &RiskRefused) -> Result<u64> {
        self.record(&Entry::from_refusal(refused))
    }

    /// Durable. `cancel`: the ids `RiskGate::engage` returned (empty on release).
    pub fn record_kill_switch(&mut self, engaged: bool, cancel: &[ClientOrderId]) -> Result<u64> {
        self.record(&Entry::KillSwitch {
            engaged,
            cancel: cancel.to_vec(),
        })
    }
}
