//! What a replay feeds, in order: each symbol's history (warm-up) in chunks, then one step per
//! timestamp with the bars of every symbol that has one. The bars are pulled from their sources
//! as the replay goes, so a file is read as it is fed and memory stays flat however long it is.

use std::collections::VecDeque;
use std::iter::Peekable;

use chrono::{DateTime, Utc};

use crate::data::{BarReader, LoadWarning};
use crate::model::{Bar, Symbol, Timeframe};

/// One timestamp of a replay: the bars of every symbol that has one.
pub type Step = (DateTime<Utc>, Vec<(Symbol, Bar)>);

/// A symbol's bars in ascending time, with the rows skipped on the way.
pub type Bars = Box<dyn Iterator<Item = Result<Bar, LoadWarning>> + Send>;

/// Where a source's bars come from. Bars already in memory (the embedded data, a test's series)
/// are looked at in place: a boxed iterator behind `Peekable` moved every bar through two
/// `Option<Result<..>>` layers, most of a daily replay's plan.
enum Feed {
    Memory(std::vec::IntoIter<Bar>),
    Stream(Peekable<Bars>),
}

impl Feed {
    fn peek(&mut self) -> Option<Result<&Bar, &LoadWarning>> {
        match self {
            Feed::Memory(bars) => bars.as_slice().first().map(Ok),
            Feed::Stream(bars) => bars.peek().map(Result::as_ref),
        }
    }

    /// The next bar or skipped row, if `take` wants it.
    fn next_if(
        &mut self,
        take: impl FnOnce(Result<&Bar, &LoadWarning>) -> bool,
    ) -> Option<Result<Bar, LoadWarning>> {
        match self {
            Feed::Memory(bars) => {
                let b = bars.as_slice().first()?;
                take(Ok(b)).then(|| bars.next().map(Ok)).flatten()
            }
            Feed::Stream(bars) => bars.next_if(|i| take(i.as_ref())),
        }
    }
}

/// Bars of each symbol, each series ascending.
pub type SeriesSet = Vec<(Symbol, Vec<Bar>)>;

/// History bars to a `History` event at most: the warm-up of a long file goes in pieces.
pub const HISTORY_CHUNK: usize = 8_192;

/// What a replay feeds next.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// History of a symbol; `more` when another piece of it follows.
    History {
        symbol: Symbol,
        bars: Vec<Bar>,
        more: bool,
    },
    Step(Step),
    Skipped(LoadWarning),
}

struct Source {
    symbol: Symbol,
    bars: Feed,
    /// Bars at or before this time are history too (those a crashed session already fed, or
    /// those a journal recorded as history).
    history_through: Option<DateTime<Utc>>,
    /// Whether the first `History` of the symbol went out (one goes out even when empty).
    history_sent: bool,
}

/// Bars of several symbols merged into one time-ordered stream of same-time groups.
pub struct ReplayPlan {
    pub timeframe: Timeframe,
    /// Bars before it are history.
    start: DateTime<Utc>,
    sources: Vec<Source>,
    /// The symbol whose history goes out next; past the last, the live steps.
    history_of: usize,
    /// Sources in the order a step's bars go out: the vehicles before IWM (when IWM's close
    /// fires a signal, the engine already knows the vehicle's price of the same bar), each in
    /// symbol order. A stable sort of the sources once, not of every step's bars.
    step_order: Vec<usize>,
    /// Parts read but not handed out yet: rows skipped on the way to a chunk or step, then it.
    pending: VecDeque<Part>,
}

impl ReplayPlan {
    /// A plan over bars in memory: those before `start` are history.
    pub fn new(
        timeframe: Timeframe,
        series: Vec<(Symbol, Vec<Bar>)>,
        start: DateTime<Utc>,
    ) -> Self {
        let sources = series
            .into_iter()
            .map(|(s, bars)| (s, Feed::Memory(bars.into_iter())))
            .collect();
        Self::streams(timeframe, sources, start)
    }

    /// A plan over files read as the replay goes.
    pub fn files(
        timeframe: Timeframe,
        readers: Vec<(Symbol, BarReader)>,
        start: DateTime<Utc>,
    ) -> Self {
        let sources = readers
            .into_iter()
            .map(|(s, r)| (s, Feed::Stream((Box::new(r) as Bars).peekable())))
            .collect();
        Self::streams(timeframe, sources, start)
    }

    fn streams(timeframe: Timeframe, series: Vec<(Symbol, Feed)>, start: DateTime<Utc>) -> Self {
        let mut step_order: Vec<usize> = (0..series.len()).collect();
        step_order.sort_by_key(|i| {
            let s = series[*i].0;
            (s == Symbol::Iwm, s)
        });
        let sources = series
            .into_iter()
            .map(|(symbol, bars)| Source {
                symbol,
                bars,
                history_through: None,
                history_sent: false,
            })
            .collect();
        ReplayPlan {
            timeframe,
            start,
            sources,
            history_of: 0,
            step_order,
            pending: VecDeque::new(),
        }
    }

    /// A plan from bars already split into history and live (e.g. as a journal recorded them).
    pub fn from_parts(
        timeframe: Timeframe,
        history: Vec<(Symbol, Vec<Bar>)>,
        live: Vec<(Symbol, Bar)>,
    ) -> Self {
        let mut series: Vec<(Symbol, Vec<Bar>)> = history;
        let mut through = Vec::new();
        for (s, bars) in &series {
            through.push((*s, bars.last().map(|b| b.time)));
        }
        for (s, b) in live {
            match series.iter_mut().find(|(h, _)| *h == s) {
                Some((_, bars)) => bars.push(b),
                None => series.push((s, vec![b])),
            }
        }
        for (_, bars) in &mut series {
            // Stable: bars of the same time keep the order they were recorded in.
            bars.sort_by_key(|b| b.time);
        }
        let mut plan = ReplayPlan::new(timeframe, series, DateTime::<Utc>::MIN_UTC);
        for (s, t) in through {
            if let Some(src) = plan.sources.iter_mut().find(|x| x.symbol == s) {
                src.history_through = t;
            }
        }
        plan
    }

    /// Resume after a crash: every live bar of a symbol up to its cutoff (the last one the
    /// session journaled) becomes history, so it warms the engine but is never traded again.
    pub fn resume_after(mut self, cutoffs: &[(Symbol, DateTime<Utc>)]) -> Self {
        for (s, t) in cutoffs {
            if let Some(src) = self.sources.iter_mut().find(|x| x.symbol == *s) {
                src.history_through = src.history_through.max(Some(*t));
            }
        }
        self
    }

    /// Everything at once, for a backtest or a test: history per symbol, the steps, and the
    /// rows skipped.
    pub fn collect(self) -> (SeriesSet, Vec<Step>, Vec<LoadWarning>) {
        let (mut history, mut steps, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        for part in self {
            match part {
                Part::History {
                    symbol: s, bars, ..
                } => match history
                    .iter_mut()
                    .find(|(h, _): &&mut (Symbol, Vec<Bar>)| *h == s)
                {
                    Some((_, all)) => all.extend(bars),
                    None => history.push((s, bars)),
                },
                Part::Step(step) => steps.push(step),
                Part::Skipped(w) => skipped.push(w),
            }
        }
        (history, steps, skipped)
    }

    fn next_history(&mut self) -> Option<Part> {
        while let Some(src) = self.sources.get_mut(self.history_of) {
            let (start, through) = (self.start, src.history_through);
            let is_history = |b: &Bar| b.time < start || through.is_some_and(|t| b.time <= t);
            let mut chunk = Vec::new();
            while chunk.len() < HISTORY_CHUNK {
                match src.bars.next_if(|i| i.map_or(true, is_history)) {
                    Some(Ok(b)) => chunk.push(b),
                    Some(Err(w)) => self.pending.push_back(Part::Skipped(w)),
                    None => break,
                }
            }
            if !chunk.is_empty() || !src.history_sent {
                src.history_sent = true;
                let more = chunk.len() == HISTORY_CHUNK
                    && src.bars.peek().is_some_and(|i| i.map_or(true, is_history));
                return Some(Part::History {
                    symbol: src.symbol,
                    bars: chunk,
                    more,
                });
            }
            self.history_of += 1;
        }
        None
    }

    fn next_step(&mut self) -> Option<Step> {
        let mut t: Option<DateTime<Utc>> = None;
        for src in &mut self.sources {
            while let Some(w) = src.bars.next_if(|i| i.is_err()) {
                self.pending.extend(w.err().map(Part::Skipped));
            }
            if let Some(Ok(b)) = src.bars.peek() {
                t = Some(t.map_or(b.time, |t| t.min(b.time)));
            }
        }
        let t = t?;
        let mut group = Vec::with_capacity(self.sources.len());
        for i in &self.step_order {
            let src = &mut self.sources[*i];
            while let Some(Ok(b)) = src.bars.next_if(|i| i.is_ok_and(|b| b.time == t)) {
                group.push((src.symbol, b));
            }
        }
        Some((t, group))
    }
}

impl Iterator for ReplayPlan {
    type Item = Part;

    fn next(&mut self) -> Option<Part> {
        if let Some(p) = self.pending.pop_front() {
            return Some(p);
        }
        let part = match self.next_history() {
            Some(h) => Some(h),
            None => self.next_step().map(Part::Step),
        };
        if self.pending.is_empty() {
            return part;
        }
        // Rows skipped on the way come before what was read after them.
        self.pending.extend(part);
        self.pending.pop_front()
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
