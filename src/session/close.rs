//! "If it closes here": with `signals.decide_before_close_minutes` set, the agents decide on the
//! forming daily bar that many minutes before the close, and what the trader acknowledges goes
//! out as a market-on-close order, filled at today's close instead of tomorrow's open.
//!
//! The decision runs on a copy of the engine fed the forming bars as if they had closed: the
//! engine itself only ever sees closed bars, so the closed bar stays the record (indicators,
//! levels, stops). The copy's signals are numbered from the engine's counter, which then skips
//! past them, so no id is ever used twice. When the close order fills, the fill carries its
//! agent book like any other: by the time the closed bar reaches the engine the agent already
//! holds what it decided, and the same rule on the closed bar does not buy it a second time.
//! A proposal still waiting at the close expires with it.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Notice, Session};
use crate::engine::{EngineEvent, EngineOutput};
use crate::model::{Answer, SignalKind, SignalState, Symbol, Timeframe};
use crate::store::Severity;

/// The exchange's trading day of a time (daily bars are stamped at their day's start, ET).
pub(super) use crate::alpaca::session::ny_date as market_day;

/// Vehicles and the book first, as a replay orders a step: IWM's rules read their prices.
const STEP_ORDER: [Symbol; 5] = [
    Symbol::Twm,
    Symbol::Srty,
    Symbol::Qqq,
    Symbol::Spy,
    Symbol::Iwm,
];

impl Session {
    /// What the agents would signal if the forming bars closed where they are now: the rules run
    /// on a copy of the engine (nothing is numbered, sent or journaled). `None` without a forming
    /// IWM bar newer than the last closed one.
    pub fn if_it_closed_here(&self) -> Option<Vec<SignalKind>> {
        let st = &self.store;
        let newer = |sym: Symbol| st.live.forming(sym, st.series(sym).last()).copied();
        newer(Symbol::Iwm)?;
        let mut copy = self.engine.clone();
        let mut outputs = Vec::new();
        for symbol in STEP_ORDER {
            if let Some(bar) = newer(symbol) {
                copy.process_into(EngineEvent::Bar { symbol, bar }, &mut outputs);
            }
        }
        Some(
            outputs
                .into_iter()
                .filter_map(|o| match o {
                    EngineOutput::Signal(d) => Some(d.kind),
                    EngineOutput::Indicators(_) => None,
                })
                .collect(),
        )
    }

    /// The market clock says the close is `decide_before_close_minutes` away.
    pub(super) fn decide_at_close(
        &mut self,
        at: DateTime<Utc>,
        close: DateTime<Utc>,
        out: &mut Vec<Notice>,
    ) {
        if self.cfg.signals.decide_before_close_minutes == 0
            || self.store.timeframe != Timeframe::Day1
        {
            return;
        }
        let day = market_day(close);
        if self.decided_close.is_some_and(|d| d >= day) {
            return;
        }
        self.decided_close = Some(day);
        let forming = |s: &Self, sym: Symbol| {
            s.store
                .live
                .forming(sym, s.store.series(sym).last())
                .copied()
                .filter(|b| market_day(b.time) == day)
        };
        if forming(self, Symbol::Iwm).is_none() {
            let why = format!(
                "close decision for {day}: no forming IWM bar yet; the agents decide on the closed bar"
            );
            self.store.push_log(Severity::Warn, why.clone());
            out.push(Notice::Warning {
                source: "close".into(),
                message: why,
            });
            return;
        }
        let mut copy = self.engine.clone();
        let mut outputs = Vec::new();
        let mut decided_on = Vec::new();
        for symbol in STEP_ORDER {
            if let Some(bar) = forming(self, symbol) {
                copy.process_into(EngineEvent::Bar { symbol, bar }, &mut outputs);
                decided_on.push((symbol, bar));
            }
        }
        self.engine.set_next_signal_id(copy.next_signal_id());
        let drafts: Vec<_> = outputs
            .into_iter()
            .filter_map(|o| match o {
                EngineOutput::Signal(d) => Some(d),
                EngineOutput::Indicators(_) => None,
            })
            .collect();
        let ids: Vec<u64> = drafts.iter().map(|d| d.id).collect();
        self.engine.carry_decisions(&copy, &ids);
        // The forming bars are never journaled as bars (the closed bar is the record): this is
        // the one place that says what the decision saw.
        let signals = ids.clone();
        self.journal("close decision", |j| {
            j.record_close_decision(at, decided_on, signals)
        });
        self.store.push_log(
            Severity::Info,
            format!(
                "close decision for {day} on the forming bar: {} signal(s), orders at the close",
                drafts.len()
            ),
        );
        for d in drafts {
            self.propose(d.into_signal(), Some(at), out);
        }
    }

    /// Close proposals nobody answered expire with the close: `day` has closed.
    pub(super) fn expire_close_proposals(&mut self, day: NaiveDate, out: &mut Vec<Notice>) {
        let stale: Vec<u64> = self
            .store
            .signals
            .open()
            .filter(|e| e.state == SignalState::Proposed)
            .filter(|e| e.at_close.is_some_and(|at| market_day(at) <= day))
            .map(|e| e.signal.id)
            .collect();
        for id in stale {
            self.answer(id, Answer::Expire, SignalState::Expired, out);
            self.process_engine(EngineEvent::Unfilled { signal_id: id }, out);
        }
    }
}
