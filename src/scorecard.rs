//! The override scorecard: what each agent proposal would have made, beside what the trader's answer made.
//!
//! Every entry signal is tracked hypothetically from the next bar's open of its symbol until its
//! stop (the signal's vehicle stop, checked against each bar's low / high) or the same agent's next
//! exit signal on that symbol (closed at the following open), whichever comes first. Tracking starts
//! when the signal is proposed, not when it is answered, so a slow answer does not move the entry.
//! The trader's outcome is the proposal's result scaled by the size the trader chose: the full
//! result when acknowledged, zero when overridden or left to expire, proportional when edited.
//! Pure and clock-free: the session feeds it bars, signals and answers.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::broker::paper::price;
use crate::model::{Agent, Answer, Bar, Side, Signal, SignalKind, Symbol};

/// What the trader did with a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum Choice {
    Acknowledged,
    Overridden {
        reason: char,
    },
    Edited {
        qty: Decimal,
    },
    Expired,
    /// Acknowledged, but the order never traded (refused by the risk gate, rejected or canceled
    /// by the venue): the trader's outcome is nothing, whatever size was asked for.
    Refused,
}

/// Where the hypothetical position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for the next bar's open.
    Pending,
    /// Entered; marked at the last close.
    Open,
    /// The agent's exit signal came: closes at the next open.
    Closing,
    StoppedOut,
    Exited,
}

/// One tracked proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Track {
    pub signal_id: u64,
    pub time: chrono::DateTime<chrono::Utc>,
    pub agent: Agent,
    pub kind: SignalKind,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    pub stop: Option<Decimal>,
    pub choice: Option<Choice>,
    pub phase: Phase,
    pub entry: Option<Decimal>,
    /// Exit price once closed, else the last close (the mark).
    pub mark: Option<Decimal>,
}

impl Track {
    /// What the agent's proposal made (realized, or marked while open).
    pub fn agent_pnl(&self) -> Decimal {
        match (self.entry, self.mark) {
            (Some(e), Some(m)) => (m - e) * self.qty * self.side.sign(),
            _ => Decimal::ZERO,
        }
    }

    /// What the trader's answer made: the same move at the size the trader chose.
    pub fn trader_pnl(&self) -> Decimal {
        let agent = self.agent_pnl();
        match self.choice {
            Some(Choice::Acknowledged) => agent,
            Some(Choice::Edited { qty }) if !self.qty.is_zero() => agent * qty / self.qty,
            _ => Decimal::ZERO,
        }
    }

    /// Overridden, edited or expired: the answers where trader and agent differ.
    pub fn differs(&self) -> bool {
        matches!(
            self.choice,
            Some(
                Choice::Overridden { .. }
                    | Choice::Edited { .. }
                    | Choice::Expired
                    | Choice::Refused
            )
        )
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::StoppedOut | Phase::Exited)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Answered proposals counted.
    pub answered: usize,
    /// Of which the trader overrode, edited or let expire.
    pub differing: usize,
    pub agent: Decimal,
    pub trader: Decimal,
}

#[derive(Debug, Clone, Default)]
pub struct Scorecard {
    tracks: Vec<Track>,
}

impl Scorecard {
    /// A new signal: entries start a track; exits close the same agent's open tracks on that symbol.
    pub fn on_signal(&mut self, s: &Signal) {
        if s.kind.is_exit() {
            for t in self.tracks.iter_mut().filter(|t| {
                t.agent == s.agent
                    && t.symbol == s.symbol
                    && matches!(t.phase, Phase::Pending | Phase::Open)
            }) {
                t.phase = Phase::Closing;
            }
            return;
        }
        self.tracks.push(Track {
            signal_id: s.id,
            time: s.time,
            agent: s.agent,
            kind: s.kind,
            symbol: s.symbol,
            side: s.side,
            qty: s.qty,
            stop: s.stop_price,
            choice: None,
            phase: Phase::Pending,
            entry: None,
            mark: None,
        });
    }

    /// The trader's answer. Snoozes are not answers; exits have no track and are ignored.
    pub fn on_answer(&mut self, signal_id: u64, answer: Answer) {
        let choice = match answer {
            Answer::Acknowledge => Choice::Acknowledged,
            Answer::Override { reason } => Choice::Overridden { reason },
            Answer::Edit { qty } => Choice::Edited { qty },
            Answer::Expire => Choice::Expired,
            Answer::Snooze => return,
        };
        if let Some(t) = self.tracks.iter_mut().find(|t| t.signal_id == signal_id) {
            t.choice = Some(choice);
        }
    }

    /// The acknowledged order of `signal_id` never traded.
    pub fn on_refused(&mut self, signal_id: u64) {
        if let Some(t) = self.tracks.iter_mut().find(|t| t.signal_id == signal_id) {
            t.choice = Some(Choice::Refused);
        }
    }

    /// A closed bar of `symbol`: enter pending tracks at its open, close exiting ones there,
    /// stop out at the stop (or the open, when the bar gaps through it), mark the rest.
    pub fn on_bar(&mut self, symbol: Symbol, bar: &Bar) {
        let (open, high, low, close) = (
            price(bar.open),
            price(bar.high),
            price(bar.low),
            price(bar.close),
        );
        for t in self.tracks.iter_mut().filter(|t| t.symbol == symbol) {
            match t.phase {
                Phase::StoppedOut | Phase::Exited => continue,
                Phase::Closing => {
                    // An exit before the entry bar came means the position never existed.
                    t.entry.get_or_insert(open);
                    t.mark = Some(open);
                    t.phase = Phase::Exited;
                    continue;
                }
                Phase::Pending => {
                    t.entry = Some(open);
                    t.phase = Phase::Open;
                }
                Phase::Open => {}
            }
            let hit = t.stop.and_then(|stop| match t.side {
                Side::Buy if low <= stop => Some(open.min(stop)),
                Side::Sell if high >= stop => Some(open.max(stop)),
                _ => None,
            });
            match hit {
                Some(px) => {
                    t.mark = Some(px);
                    t.phase = Phase::StoppedOut;
                }
                None => t.mark = Some(close),
            }
        }
    }

    /// Every tracked proposal, oldest first.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Agent vs trader over every answered proposal (open ones at their mark).
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for tr in self.tracks.iter().filter(|t| t.choice.is_some()) {
            t.answered += 1;
            t.differing += usize::from(tr.differs());
            t.agent += tr.agent_pnl();
            t.trader += tr.trader_pnl();
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn bar(day: u32, o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 4, day, 4, 0, 0).unwrap(),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1e6,
        }
    }

    fn signal(
        id: u64,
        agent: Agent,
        kind: SignalKind,
        qty: Decimal,
        stop: Option<Decimal>,
    ) -> Signal {
        Signal {
            id,
            time: Utc.with_ymd_and_hms(2025, 4, 1, 4, 0, 0).unwrap(),
            agent,
            kind,
            symbol: Symbol::Twm,
            side: if kind.is_exit() {
                Side::Sell
            } else {
                Side::Buy
            },
            qty,
            reference_price: dec!(30),
            stop_price: stop,
            iwm_stop: None,
            confidence: 0.7,
            reasons: Vec::new(),
        }
    }

    fn entry(id: u64, qty: Decimal, stop: Decimal) -> Signal {
        signal(
            id,
            Agent::Bear,
            SignalKind::BearEntry { tier: 1 },
            qty,
            Some(stop),
        )
    }

    #[test]
    fn enters_at_next_open_and_stops_out_at_the_stop() {
        let mut sc = Scorecard::default();
        sc.on_signal(&entry(1, dec!(100), dec!(28)));
        sc.on_answer(1, Answer::Override { reason: 'n' });
        sc.on_bar(Symbol::Iwm, &bar(2, 200.0, 201.0, 199.0, 200.0)); // other symbol: ignored
        sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.5, 31.0));
        let t = &sc.tracks()[0];
        assert_eq!(
            (t.phase, t.entry, t.mark),
            (Phase::Open, Some(dec!(30)), Some(dec!(31)))
        );
        assert_eq!(t.agent_pnl(), dec!(100));
        sc.on_bar(Symbol::Twm, &bar(3, 29.0, 29.2, 27.5, 27.8));
        let t = &sc.tracks()[0];
        assert_eq!(t.phase, Phase::StoppedOut);
        assert_eq!(t.mark, Some(dec!(28)));
        assert_eq!(t.agent_pnl(), dec!(-200));
        assert_eq!(t.trader_pnl(), Decimal::ZERO, "an override made nothing");
        // Closed: later bars change nothing.
        sc.on_bar(Symbol::Twm, &bar(4, 40.0, 41.0, 39.0, 40.0));
        assert_eq!(sc.tracks()[0].agent_pnl(), dec!(-200));
        let tot = sc.totals();
        assert_eq!(
            (tot.answered, tot.differing, tot.agent, tot.trader),
            (1, 1, dec!(-200), dec!(0))
        );
    }

    #[test]
    fn a_gap_through_the_stop_fills_at_the_open() {
        let mut sc = Scorecard::default();
        sc.on_signal(&entry(1, dec!(10), dec!(28)));
        sc.on_bar(Symbol::Twm, &bar(2, 30.0, 30.0, 30.0, 30.0));
        sc.on_bar(Symbol::Twm, &bar(3, 26.0, 27.0, 25.0, 26.5));
        assert_eq!(sc.tracks()[0].mark, Some(dec!(26)));
        assert_eq!(sc.tracks()[0].agent_pnl(), dec!(-40));
    }

    #[test]
    fn the_same_agents_exit_closes_at_the_following_open() {
        let mut sc = Scorecard::default();
        sc.on_signal(&entry(1, dec!(100), dec!(20)));
        sc.on_answer(1, Answer::Edit { qty: dec!(25) });
        sc.on_bar(Symbol::Twm, &bar(2, 30.0, 33.0, 29.0, 32.0));
        // Another agent's exit, or an exit on another symbol, leaves the track alone.
        let mut other = signal(2, Agent::Bull, SignalKind::BullStop, dec!(0), None);
        sc.on_signal(&other);
        other.agent = Agent::Bear;
        other.symbol = Symbol::Srty;
        sc.on_signal(&other);
        assert_eq!(sc.tracks()[0].phase, Phase::Open);
        sc.on_signal(&signal(
            3,
            Agent::Bear,
            SignalKind::BearStop,
            dec!(100),
            None,
        ));
        sc.on_bar(Symbol::Twm, &bar(3, 34.0, 35.0, 33.0, 34.5));
        let t = &sc.tracks()[0];
        assert_eq!((t.phase, t.mark), (Phase::Exited, Some(dec!(34))));
        assert_eq!(t.agent_pnl(), dec!(400));
        assert_eq!(
            t.trader_pnl(),
            dec!(100),
            "a quarter of the size makes a quarter"
        );
        assert_eq!(sc.tracks().len(), 1, "exits are not tracked as proposals");
    }

    #[test]
    fn unanswered_and_snoozed_are_not_counted_and_acknowledged_match() {
        let mut sc = Scorecard::default();
        sc.on_signal(&entry(1, dec!(10), dec!(1)));
        sc.on_signal(&entry(2, dec!(10), dec!(1)));
        sc.on_signal(&entry(3, dec!(10), dec!(1)));
        sc.on_answer(1, Answer::Snooze);
        sc.on_answer(2, Answer::Acknowledge);
        sc.on_answer(3, Answer::Expire);
        sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.0, 31.0));
        assert_eq!(sc.tracks()[0].choice, None);
        assert_eq!(sc.tracks()[1].trader_pnl(), sc.tracks()[1].agent_pnl());
        assert!(!sc.tracks()[1].differs());
        let tot = sc.totals();
        assert_eq!((tot.answered, tot.differing), (2, 1));
        assert_eq!((tot.agent, tot.trader), (dec!(20), dec!(10)));
    }

    #[test]
    fn a_proposal_without_a_stop_runs_until_its_exit() {
        let mut sc = Scorecard::default();
        sc.on_signal(&signal(
            1,
            Agent::Bull,
            SignalKind::BullHedge,
            dec!(5),
            None,
        ));
        for d in 2..6 {
            sc.on_bar(Symbol::Twm, &bar(d, 10.0, 12.0, 1.0, 11.0));
        }
        assert_eq!(sc.tracks()[0].phase, Phase::Open);
        assert_eq!(sc.tracks()[0].agent_pnl(), dec!(5));
    }
}
