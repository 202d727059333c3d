//! The override scorecard: what each agent proposal would have made, beside what the trader's answer made.
//!
//! Every entry signal is tracked hypothetically from the next bar's open of its symbol until its
//! stop (the signal's vehicle stop, checked against each bar's low / high) or the same agent's next
//! exit signal on that symbol (closed at the following open), whichever comes first. Tracking starts
//! when the signal is proposed, not when it is answered, so a slow answer does not move the entry.
//! The trader's outcome is the proposal's result scaled by the size the trader chose: the full
//! result when acknowledged, zero when overridden or left to expire, proportional when edited.
//! Pure and clock-free: the session feeds it bars, signals and answers.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::broker::paper::price;
use crate::model::money::to_f64;
use crate::model::{Agent, Answer, Bar, Side, Signal, Symbol};

mod track;

pub use track::{Choice, Phase, Track};

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
///
/// A bar touches only what it changes: the tracks waiting for its open, the ones closing at it,
/// and the stops it reaches (kept in heaps ordered by stop). Open tracks are marked lazily at
/// their symbol's last close when read, so a thousand open proposals cost nothing per bar.
#[derive(Debug, Clone)]
pub struct Scorecard {
    /// Kept tracks, oldest first; an open track's `mark` is filled in by [`Scorecard::tracks`].
    tracks: Vec<Track>,
    cap: usize,
    /// Answered tracks folded out of `tracks`.
    folded: Totals,
    /// `tracks.len()` at which the next fold runs: far enough past the last one that folding
    /// stays O(1) amortized even when many open tracks survive it.
    next_fold: usize,
    /// Last close of each symbol: the mark of its open tracks, converted when read.
    last_close: [Option<f64>; Symbol::COUNT],
    /// Indices into `tracks`, per symbol. Entries go stale when a track moves on (exits, stops)
    /// and are skipped on use; every fold rebuilds them.
    pending: [Vec<usize>; Symbol::COUNT],
    closing: [Vec<usize>; Symbol::COUNT],
    /// Pending or open tracks per agent and symbol: what an exit signal closes.
    owned: [[Vec<usize>; Symbol::COUNT]; 2],
    /// Open long tracks by stop, highest first: a bar's low reaches them from the top.
    long_stops: [BinaryHeap<(Decimal, usize)>; Symbol::COUNT],
    /// Open short tracks by stop, lowest first.
    short_stops: [BinaryHeap<Reverse<(Decimal, usize)>>; Symbol::COUNT],
    /// Signal id → index into `tracks`: half the answers are to exits, which have no track,
    /// and a scan would only learn that at the far end.
    by_id: HashMap<u64, usize>,
}

impl Default for Scorecard {
    fn default() -> Self {
        Scorecard::with_capacity(usize::MAX)
    }
}

fn agent_index(a: Agent) -> usize {
    match a {
        Agent::Bear => 0,
        Agent::Bull => 1,
    }
}

impl Scorecard {
    pub fn with_capacity(cap: usize) -> Self {
        let cap = cap.max(1);
        Scorecard {
            tracks: Vec::new(),
            cap,
            folded: Totals::default(),
            next_fold: cap.saturating_add((cap / 4).max(1)),
            last_close: [None; Symbol::COUNT],
            pending: Default::default(),
            closing: Default::default(),
            owned: Default::default(),
            long_stops: Default::default(),
            short_stops: Default::default(),
            by_id: HashMap::new(),
        }
    }

    /// A new signal: entries start a track; exits close the same agent's open tracks on that symbol.
    pub fn on_signal(&mut self, s: &Signal) {
        let sym = s.symbol.index();
        if s.kind.is_exit() {
            for i in std::mem::take(&mut self.owned[agent_index(s.agent)][sym]) {
                let t = &mut self.tracks[i];
                if matches!(t.phase, Phase::Pending | Phase::Open) {
                    t.phase = Phase::Closing;
                    t.closing_after = Some(s.time);
                    self.closing[sym].push(i);
                }
            }
            return;
        }
        if self.tracks.len() >= self.next_fold {
            self.fold_oldest();
        }
        let i = self.tracks.len();
        self.by_id.insert(s.id, i);
        self.pending[sym].push(i);
        self.owned[agent_index(s.agent)][sym].push(i);
        self.tracks.push(Track::proposed(s));
    }

    /// Fold the closed tracks among all but the newest `cap` into the totals; open ones stay,
    /// in order, and the indices are rebuilt for the tracks that are left.
    fn fold_oldest(&mut self) {
        let old = self.tracks.len().saturating_sub(self.cap);
        let mut kept = Vec::with_capacity(self.tracks.len());
        for (i, t) in std::mem::take(&mut self.tracks).into_iter().enumerate() {
            if i >= old || !t.is_closed() {
                kept.push(t);
            } else if t.choice.is_some() {
                add(&mut self.folded, &t);
            }
        }
        self.tracks = kept;
        self.next_fold = self.tracks.len().saturating_add((self.cap / 4).max(1));
        self.pending = Default::default();
        self.closing = Default::default();
        self.owned = Default::default();
        self.long_stops = Default::default();
        self.short_stops = Default::default();
        self.by_id.clear();
        for i in 0..self.tracks.len() {
            let t = self.tracks[i];
            self.by_id.insert(t.signal_id, i);
            let sym = t.symbol.index();
            match t.phase {
                Phase::Pending => self.pending[sym].push(i),
                Phase::Closing => self.closing[sym].push(i),
                Phase::Open => self.watch_stop(i),
                Phase::StoppedOut | Phase::Exited => continue,
            }
            if matches!(t.phase, Phase::Pending | Phase::Open) {
                self.owned[agent_index(t.agent)][sym].push(i);
            }
        }
    }

    fn watch_stop(&mut self, i: usize) {
        let t = &self.tracks[i];
        let sym = t.symbol.index();
        match (t.stop, t.side) {
            (Some(stop), Side::Buy) => self.long_stops[sym].push((stop, i)),
            (Some(stop), Side::Sell) => self.short_stops[sym].push(Reverse((stop, i))),
            (None, _) => {}
        }
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
        if let Some(t) = self.find(signal_id) {
            t.choice = Some(choice);
        }
    }

    /// The acknowledged order of `signal_id` never traded.
    pub fn on_refused(&mut self, signal_id: u64) {
        if let Some(t) = self.find(signal_id) {
            t.choice = Some(Choice::Refused);
        }
    }

    fn find(&mut self, signal_id: u64) -> Option<&mut Track> {
        let i = *self.by_id.get(&signal_id)?;
        self.tracks.get_mut(i)
    }

    /// A closed bar of `symbol`: enter pending tracks at its open, close exiting ones there,
    /// stop out at the stop (or the open, when the bar gaps through it), mark the rest.
    pub fn on_bar(&mut self, symbol: Symbol, bar: &Bar) {
        let sym = symbol.index();
        // Prices are converted only when a track needs them: most bars move nothing.
        self.last_close[sym] = Some(bar.close);
        let entering = !self.closing[sym].is_empty() || !self.pending[sym].is_empty();
        // Far from the nearest stop (by more than the 4-place rounding of a price) nothing can
        // be hit, and the exact decimal comparison below is not worth making.
        let reach = 1e-3;
        let long_near =
            (self.long_stops[sym].peek()).is_some_and(|&(stop, _)| to_f64(stop) >= bar.low - reach);
        let short_near = (self.short_stops[sym].peek())
            .is_some_and(|&Reverse((stop, _))| to_f64(stop) <= bar.high + reach);
        if !(entering || long_near || short_near) {
            return;
        }
        let open = price(bar.open);
        if entering {
            // Only a bar after the signal's own moves it: a restart feeds each symbol's history
            // after the IWM bars that bring the journaled signals back, and a bar from before a
            // signal entered it at a price of months earlier.
            let mut early = Vec::new();
            for i in std::mem::take(&mut self.closing[sym]) {
                let t = &mut self.tracks[i];
                if t.phase == Phase::Closing {
                    if t.closing_after.is_some_and(|at| bar.time <= at) {
                        early.push(i);
                        continue;
                    }
                    // An exit before the entry bar came means the position never existed.
                    t.entry.get_or_insert(open);
                    t.mark = Some(open);
                    t.phase = Phase::Exited;
                }
            }
            self.closing[sym] = early;
            let mut early = Vec::new();
            for i in std::mem::take(&mut self.pending[sym]) {
                let t = &mut self.tracks[i];
                if t.phase == Phase::Pending {
                    if bar.time <= t.time {
                        early.push(i);
                        continue;
                    }
                    t.entry = Some(open);
                    t.phase = Phase::Open;
                    self.watch_stop(i);
                }
            }
            self.pending[sym] = early;
        }
        if !self.long_stops[sym].is_empty() {
            let low = price(bar.low);
            while let Some(&(stop, i)) = self.long_stops[sym].peek() {
                if stop < low {
                    break;
                }
                self.long_stops[sym].pop();
                self.stop_out(i, open.min(stop));
            }
        }
        if !self.short_stops[sym].is_empty() {
            let high = price(bar.high);
            while let Some(&Reverse((stop, i))) = self.short_stops[sym].peek() {
                if stop > high {
                    break;
                }
                self.short_stops[sym].pop();
                self.stop_out(i, open.max(stop));
            }
        }
    }

    fn stop_out(&mut self, i: usize, px: Decimal) {
        let t = &mut self.tracks[i];
        // A track already closing exits at the next open instead.
        if t.phase == Phase::Open {
            t.mark = Some(px);
            t.phase = Phase::StoppedOut;
        }
    }

    /// `t` with its mark: the last close of its symbol while it is open.
    fn marked(&self, t: &Track) -> Track {
        let mut t = *t;
        if matches!(t.phase, Phase::Open | Phase::Closing) && t.entry.is_some() {
            t.mark = self.last_close[t.symbol.index()].map(price);
        }
        t
    }

    /// The kept tracks, oldest first: every open one (marked at the last close) and the newest
    /// closed ones.
    pub fn tracks(&self) -> impl DoubleEndedIterator<Item = Track> + ExactSizeIterator + '_ {
        self.tracks.iter().map(|t| self.marked(t))
    }

    /// Agent vs trader over every answered proposal (open ones at their mark), folded ones too.
    pub fn totals(&self) -> Totals {
        let mut t = self.folded;
        for tr in self.tracks().filter(|t| t.choice.is_some()) {
            add(&mut t, &tr);
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
mod tests;
