//! The signal queue's clock: signals arrive from the engine, wait for the trader, expire or wake.

use super::{Action, Notice, Session};
use crate::model::{SignalState, Symbol};
use crate::store::{Severity, SignalEntry};

impl Session {
    /// A signal from outside the engine, through the same path (tests and UI snapshots).
    #[doc(hidden)]
    pub fn inject_signal(&mut self, signal: crate::model::Signal) -> Vec<Notice> {
        let mut out = Vec::new();
        self.on_signal(signal, &mut out);
        out
    }

    /// A signal the engine drafted on a live bar. A backtest's carries no reasons: nothing
    /// there reads them (see `SignalDraft::into_bare_signal`).
    pub(super) fn on_draft(&mut self, draft: crate::engine::SignalDraft, out: &mut Vec<Notice>) {
        let signal = if self.backtest {
            draft.into_bare_signal()
        } else {
            draft.into_signal()
        };
        self.on_signal(signal, out);
    }

    pub(super) fn on_signal(&mut self, mut signal: crate::model::Signal, out: &mut Vec<Notice>) {
        // The record of its kind as it stands at this bar, beside it for good (journaled with it).
        // A backtest shows and journals no signal: its report reads the records themselves.
        if signal.record.is_none() && !self.backtest {
            signal.record = crate::store::lots::TradeKind::of(signal.kind)
                .map(|k| Box::new(self.store.lots.record(k).into()));
        }
        self.propose(signal, None, out);
    }

    /// A signal into the queue; `at_close` for one decided on the forming bar (see `close`).
    pub(super) fn propose(
        &mut self,
        signal: crate::model::Signal,
        at_close: Option<chrono::DateTime<chrono::Utc>>,
        out: &mut Vec<Notice>,
    ) {
        // Nothing to trade (an exit with nothing held, a hedge of zero exposure): recorded, not asked.
        let nothing_held = signal.qty.is_zero();
        let state = if self.store.mode == crate::config::Mode::Observe || nothing_held {
            SignalState::Observed
        } else {
            SignalState::Proposed
        };
        self.info_log(|| {
            format!(
                "{} #{} {} {} {} {} @ {}{}{}",
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
                },
                if at_close.is_some() {
                    " on the forming bar, to trade at the close"
                } else {
                    ""
                }
            )
        });
        let id = signal.id;
        // A backtest's loop reads orders and fills: a copy of every signal for it was a tenth
        // of the signal path.
        if !self.backtest {
            self.store.scorecard.on_signal(&signal); // scorecard (ui)
            out.push(Notice::Signal {
                signal: signal.clone(),
            });
        }
        self.journal("signal", |j| j.record_proposal(&signal, state, at_close));
        if self.journal.is_some() {
            super::guard::crash_hook("after_signal");
        }
        let expires_at = self.expiry_of(&signal);
        self.store.push_signal(SignalEntry {
            signal,
            state,
            expires_at,
            unfilled: None,
            at_close,
        });
        // Recorded only: nothing will trade, so the agent does not wait for it.
        if state == SignalState::Observed {
            self.process_engine(crate::engine::EngineEvent::Unfilled { signal_id: id }, out);
        }
        if state == SignalState::Proposed && self.store.mode == crate::config::Mode::Auto {
            self.act(
                Action::Acknowledge {
                    id: Some(id),
                    qty: None,
                },
                out,
            );
        } else if state == SignalState::Proposed {
            self.answer_as_recorded(id, out);
        }
    }

    /// Entries expire after `timeout_bars`; exits stand until answered (never).
    fn expiry_of(&self, signal: &crate::model::Signal) -> u64 {
        if signal.kind.is_exit() {
            u64::MAX
        } else {
            self.store.bar_index + u64::from(self.cfg.signals.timeout_bars)
        }
    }

    /// Expire unanswered signals and wake snoozed ones; both are measured in IWM bars. In auto
    /// mode, signals asked again (a refused exit, a restored signal) are answered here, a bar
    /// later, so a venue that keeps refusing is asked once a bar, not in a loop.
    pub(super) fn age_signals(&mut self, out: &mut Vec<Notice>) {
        let now = self.store.bar_index;
        let mut expired = Vec::new();
        let mut woken = Vec::new();
        let mut waiting = Vec::new();
        for e in self
            .store
            .signals
            .live()
            .iter()
            .filter(|e| e.state.is_open())
        {
            match e.state {
                SignalState::Proposed if now >= e.expires_at => expired.push(e.signal.id),
                SignalState::Proposed => waiting.push(e.signal.id),
                SignalState::Snoozed { until_bar } if now >= until_bar => woken.push(e.signal.id),
                _ => {}
            }
        }
        for id in woken {
            self.wake(id, out);
        }
        for id in expired {
            self.answer(id, crate::model::Answer::Expire, SignalState::Expired, out);
            self.process_engine(crate::engine::EngineEvent::Unfilled { signal_id: id }, out);
        }
        if self.store.mode == crate::config::Mode::Auto {
            for id in waiting {
                self.act(
                    Action::Acknowledge {
                        id: Some(id),
                        qty: None,
                    },
                    out,
                );
            }
        }
        // Every answer of this bar has sent its order by now.
        self.store.settle_signals();
    }

    /// A snooze ran out: asked again at today's price, with its full time to answer.
    fn wake(&mut self, id: u64, out: &mut Vec<Notice>) {
        let Some(e) = self.store.signals.get(id) else {
            return;
        };
        let (symbol, old) = (e.signal.symbol, e.signal.reference_price);
        let px = self.store.last_price(symbol).unwrap_or(old);
        let expires_at = self.store.bar_index + u64::from(self.cfg.signals.timeout_bars);
        let iwm_now = self
            .store
            .last_price(Symbol::Iwm)
            .map(crate::model::money::to_f64);
        // A Bear entry's stop is the Bear's stop now (it trailed while the entry waited): the
        // one the chart draws, the vehicle's from it, and the reason says so.
        let bear = self.engine_view().bear.clone();
        let day = self.store.series(Symbol::Iwm).last().map(|b| b.time);
        let mult = self.cfg.bear.stop_atr;
        if let Some(e) = self.store.signals.get_mut(id) {
            e.state = SignalState::Proposed;
            e.expires_at = expires_at;
            let trailed = bear
                .stop_iwm
                .filter(|_| matches!(e.signal.kind, crate::model::SignalKind::BearEntry { .. }))
                .filter(|s| Some(*s) != e.signal.iwm_stop);
            if let Some(stop) = trailed {
                e.signal.iwm_stop = Some(stop);
                let when = day
                    .map(|d| format!(" on {}", d.format("%m-%d")))
                    .unwrap_or_default();
                let text = format!(
                    "stop IWM {stop:.2}: the Bear's stop{when}, trailed while the entry waited \
                     (lowest close + {mult} × ATR)"
                );
                match e
                    .signal
                    .reasons
                    .iter_mut()
                    .find(|r| r.kind == crate::model::ReasonKind::AtrStop)
                {
                    Some(r) => r.text = crate::model::ReasonText::new(text),
                    None => e.signal.reasons.push(crate::model::Reason::new(
                        crate::model::ReasonKind::AtrStop,
                        text,
                    )),
                }
                if let (Some(iwm), true) = (iwm_now, e.signal.symbol != Symbol::Iwm) {
                    let lev = f64::from(e.signal.symbol.leverage()).abs();
                    let v = crate::engine::sizing::vehicle_stop(
                        crate::model::money::to_f64(px),
                        lev,
                        stop,
                        iwm,
                    );
                    e.signal.stop_price = rust_decimal::Decimal::try_from(v)
                        .ok()
                        .map(|d| d.round_dp(2));
                }
            }
            reprice(&mut e.signal, px, iwm_now);
            // The rule's facts are the proposal bar's: say which day they are and where IWM
            // stands now, so no figure reads as today's (one note, however many snoozes).
            if let (Some(day), Some(iwm)) = (day, iwm_now) {
                let note = format!(
                    "asked again on {} after a snooze, IWM {iwm:.2}: the facts below are {}'s, \
                     when it was proposed",
                    day.format("%m-%d"),
                    e.signal.time.format("%m-%d")
                );
                e.signal
                    .reasons
                    .retain(|r| !r.text.to_string().starts_with("asked again on "));
                e.signal.reasons.insert(
                    0,
                    crate::model::Reason::new(crate::model::ReasonKind::Evidence, note),
                );
            }
        }
        let why = format!(
            "signal #{id} snooze over: asking again at {} (proposed at {})",
            px.round_dp(2),
            old.round_dp(2)
        );
        self.store.push_log(Severity::Info, why.clone());
        out.push(Notice::Asked { signal_id: id, why });
    }

    /// The order of `id` will trade no more shares. An exit is asked again, loudly, while its
    /// position is held: it stands until the position is closed. Anything else is over, and
    /// the agent follows what was really filled.
    /// A backtest keeps no `unfilled` text: nothing there reads it (see `send`).
    pub(super) fn signal_unfilled(
        &mut self,
        id: u64,
        why: impl std::fmt::Display,
        out: &mut Vec<Notice>,
    ) {
        if !self.backtest {
            self.store.scorecard.on_refused(id); // scorecard (ui)
        }
        let exit = self
            .store
            .signals
            .get(id)
            .map(|e| e.signal.symbol)
            .filter(|_| self.is_exit(id));
        match exit {
            Some(symbol) if self.sellable(symbol) > rust_decimal::Decimal::ZERO => {
                if let Some(e) = self.store.signals.get_mut(id) {
                    e.state = SignalState::Proposed;
                    e.expires_at = u64::MAX;
                }
                self.journal("answer", |j| j.record_answer(id, SignalState::Proposed));
                let why =
                    format!("ALARM: exit #{id} did not trade ({why}): it stands, answer it again");
                self.store.push_log(Severity::Error, why.clone());
                out.push(Notice::Asked { signal_id: id, why });
                self.store.signals.fix_selection();
            }
            _ => {
                if let Some(e) = self.store.signals.get_mut(id).filter(|_| !self.backtest) {
                    e.unfilled = Some(why.to_string());
                }
                self.process_engine(crate::engine::EngineEvent::Unfilled { signal_id: id }, out)
            }
        }
    }
}

/// A snoozed entry asked again at today's price `px`: the size keeps the dollars it was sized
/// for (whole shares), the vehicle's stop is the same IWM stop translated from today's prices,
/// and the sizing reason says what changed, so the heading, the reasons, the size and the stop
/// agree. `iwm`: IWM's last close.
fn reprice(signal: &mut crate::model::Signal, px: rust_decimal::Decimal, iwm: Option<f64>) {
    use crate::model::money::to_f64;
    use rust_decimal::Decimal;
    let old = signal.reference_price;
    signal.reference_price = px;
    if old == px || px <= Decimal::ZERO {
        return;
    }
    let was = signal.qty;
    signal.qty = (was * old / px).floor();
    if let (Some(s), Some(iwm), true) = (signal.iwm_stop, iwm, signal.symbol != Symbol::Iwm) {
        let lev = f64::from(signal.symbol.leverage()).abs();
        let stop = crate::engine::sizing::vehicle_stop(to_f64(px), lev, s, iwm);
        signal.stop_price = Decimal::try_from(stop).ok().map(|d| d.round_dp(2));
    }
    let text = format!(
        "{} {} re-priced after the snooze: {} × {} ≈ {} × {} (the same dollars)",
        signal.qty,
        signal.symbol,
        was,
        old.round_dp(2),
        signal.qty,
        px.round_dp(2)
    );
    match signal
        .reasons
        .iter_mut()
        .find(|r| r.kind == crate::model::ReasonKind::Sizing)
    {
        Some(r) => r.text = crate::model::ReasonText::new(text),
        None => signal.reasons.push(crate::model::Reason::new(
            crate::model::ReasonKind::Sizing,
            text,
        )),
    }
}
