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

/// Tracks are kept oldest first: the newest `cap` closed ones and every open one. Older closed
/// ones are folded into running totals, so a long run costs what is open, not the history.
#[derive(Debug, Clone)]
pub struct Scorecard {
    tracks: Vec<Track>,
    /// Indices into `tracks` of the tracks not closed yet: the only ones a bar or an exit moves.
    open: Vec<usize>,
    cap: usize,
    /// Answered tracks folded out of `tracks`.
    folded: Totals,
}

impl Default for Scorecard {
    fn default() -> Self {
        Scorecard::with_capacity(usize::MAX)
    }
}

impl Scorecard {
    pub fn with_capacity(cap: usize) -> Self {
        Scorecard {
            tracks: Vec::new(),
            open: Vec::new(),
            cap: cap.max(1),
            folded: Totals::default(),
        }
    }

    /// A new signal: entries start a track; exits close the same agent's open tracks on that symbol.
    pub fn on_signal(&mut self, s: &Signal) {
        if s.kind.is_exit() {
            for &i in &self.open {
                let t = &mut self.tracks[i];
                if t.agent == s.agent
                    && t.symbol == s.symbol
                    && matches!(t.phase, Phase::Pending | Phase::Open)
                {
                    t.phase = Phase::Closing;
                }
            }
            return;
        }
        if self.tracks.len() >= self.cap.saturating_add((self.cap / 4).max(1)) {
            self.fold_oldest();
        }
        self.open.push(self.tracks.len());
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

    /// Fold the closed tracks among all but the newest `cap` into the totals (in batches, so
    /// a signal costs O(1) amortized); open ones stay, in order.
    fn fold_oldest(&mut self) {
        let old = self.tracks.len() - self.cap;
        let mut kept = Vec::with_capacity(self.tracks.len());
        for (i, t) in std::mem::take(&mut self.tracks).into_iter().enumerate() {
            if i >= old || !t.is_closed() {
                kept.push(t);
            } else if t.choice.is_some() {
                add(&mut self.folded, &t);
            }
        }
        self.tracks = kept;
        self.open = (0..self.tracks.len())
            .filter(|&i| !self.tracks[i].is_closed())
            .collect();
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
        // Answers come soon after their signal: from the newest end this is a step or two.
        if let Some(t) = self
            .tracks
            .iter_mut()
            .rev()
            .find(|t| t.signal_id == signal_id)
        {
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
        let tracks = &mut self.tracks;
        if !self.open.iter().any(|&i| tracks[i].symbol == symbol) {
            return;
        }
        let (open, high, low, close) = (
            price(bar.open),
            price(bar.high),
            price(bar.low),
            price(bar.close),
        );
        for &i in &self.open {
            let t = &mut tracks[i];
            if t.symbol != symbol {
                continue;
            }
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
        self.open.retain(|&i| !tracks[i].is_closed());
    }

    /// The kept tracks, oldest first: every open one and the newest closed ones.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Agent vs trader over every answered proposal (open ones at their mark), folded ones too.
    pub fn totals(&self) -> Totals {
        let mut t = self.folded;
        for tr in self.tracks.iter().filter(|t| t.choice.is_some()) {
            add(&mut t, tr);
        }
        t
    }
}

fn add(t: &mut Totals, tr: &Track) {
    t.answered += 1;
    t.differing += usize::from(tr.differs());
    t.agent += tr.agent_pnl();
    t.trader += tr.trader_pnl();
}

#[cfg(test)]
#[path = "scorecard_tests.rs"]
mod tests;
