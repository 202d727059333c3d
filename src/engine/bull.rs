//! The Bull agent: a small counter-trend IWM hedge on oversold bounces while the Bear is in, the
//! reversal evidence it counts, and (book mode) its full long: on a reclaim of the broken support
//! or a trend re-entry, left at the Bear's next tier 1 (the hand-off) or an optional trailing stop.

use chrono::{DateTime, Utc};

use super::context::{AdoptAt, Ctx, Proposal, Sizing};
use super::indicators::Ring;
use super::ledger::Book;
use super::levels::Break;
use super::why::Why;
use crate::config::Config;
use crate::model::{Agent, Side, SignalKind, StandingStop, Symbol};

#[derive(Debug, Clone)]
struct Params {
    hedge_fraction: f64,
    oversold: f64,
    hedge_stop_atr: f64,
    hedge_time: u64,
    evidence_bars: u64,
    dryup_ratio: f64,
    reclaim_memory: u64,
    reclaim_atr: f64,
    min_evidence: usize,
    /// Trailing stop of the full long in ATRs; 0 = none.
    stop_mult: f64,
    rise_bars: usize,
    high_bars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hedge {
    pub entry: f64,
    pub bar: u64,
    pub target: Option<f64>,
    pub stop: f64,
    /// Its exit waits for a fill; an exit that does not trade re-arms it.
    pub exiting: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BullPos {
    pub entry: f64,
    pub stop: f64,
    pub highest: f64,
    pub since: DateTime<Utc>,
    /// Its stop's exit waits for a fill; an exit that does not trade re-arms the stop.
    pub exiting: bool,
}

/// The pieces of reversal evidence, in the order `BullView.evidence` shows them.
pub const EVIDENCE: [&str; 3] = [
    "RSI oversold",
    "volume dry-up on a new low",
    "close back above the broken support",
];

#[derive(Debug, Clone)]
pub struct Bull {
    p: Params,
    rsi: Ring<f64>,
    /// Last bar each piece of evidence was seen.
    seen: [Option<u64>; 3],
    last_break: Option<(Break, bool)>,
    hedge: Option<Hedge>,
    pos: Option<BullPos>,
    /// Recent closes (closing high) and SMA50 values (is it rising?), for the trend re-entry.
    closes: Ring<f64>,
    smas: Ring<f64>,
}

mod long;

impl Bull {
    pub fn new(cfg: &Config) -> Self {
        let b = &cfg.bull;
        Bull {
            p: Params {
                hedge_fraction: b.hedge_fraction,
                oversold: b.oversold_rsi,
                hedge_stop_atr: b.hedge_stop_atr,
                hedge_time: b.hedge_time_bars as u64,
                evidence_bars: b.evidence_bars.max(1) as u64,
                dryup_ratio: b.dryup_ratio,
                reclaim_memory: b.reclaim_memory_bars as u64,
                reclaim_atr: b.reclaim_atr,
                min_evidence: b.reclaim_min_evidence,
                stop_mult: b.stop_atr,
                rise_bars: b.trend_rise_bars,
                high_bars: b.trend_high_bars.max(1),
            },
            rsi: Ring::new(b.hedge_rsi_bars.max(1)),
            seen: [None; 3],
            last_break: None,
            hedge: None,
            pos: None,
            closes: Ring::new(b.trend_high_bars.max(1)),
            smas: Ring::new(b.trend_rise_bars + 1),
        }
    }

    pub fn hedge(&self) -> Option<&Hedge> {
        self.hedge.as_ref()
    }

    pub fn pos(&self) -> Option<&BullPos> {
        self.pos.as_ref()
    }

    pub(super) fn hedge_mut(&mut self) -> Option<&mut Hedge> {
        self.hedge.as_mut()
    }

    pub(super) fn pos_mut(&mut self) -> Option<&mut BullPos> {
        self.pos.as_mut()
    }

    pub(super) fn drop_hedge(&mut self) {
        self.hedge = None;
    }

    pub(super) fn drop_pos(&mut self) {
        self.pos = None;
    }

    /// Take charge of IWM shares held without a position of the Bull's own (bought by hand, or
    /// held before a restart): a journaled stop goes on with its trail, else the standard entry
    /// stop from this bar.
    pub(super) fn adopt(&mut self, c: &AdoptAt, known: Option<StandingStop>) {
        let (stop, highest, entry) = match known {
            Some(StandingStop::Bull {
                stop,
                highest,
                entry,
            }) => (stop, highest, entry),
            _ => (self.initial_stop(c.close, c.atr), c.close, c.close),
        };
        self.pos = Some(BullPos {
            entry,
            stop,
            highest,
            since: c.time,
            exiting: false,
        });
    }

    /// A hedge held without the Bull's own record of it (after a restart): a journaled one keeps
    /// its stop, target and the bars it was already held.
    pub(super) fn adopt_hedge(&mut self, c: &AdoptAt, known: Option<StandingStop>) {
        self.hedge = Some(match known {
            Some(StandingStop::Hedge {
                stop,
                target,
                entry,
                bars_held,
            }) => Hedge {
                entry,
                bar: c.seq.saturating_sub(bars_held),
                target,
                stop,
                exiting: false,
            },
            _ => Hedge {
                entry: c.close,
                bar: c.seq,
                target: None,
                stop: c.close - self.p.hedge_stop_atr * c.atr,
                exiting: false,
            },
        });
    }

    /// The hedge's and the position's stops as the journal keeps them; `seq` is the last bar.
    pub fn standing(&self, seq: u64) -> [Option<StandingStop>; 2] {
        [
            self.hedge.map(|h| StandingStop::Hedge {
                stop: h.stop,
                target: h.target,
                entry: h.entry,
                bars_held: seq.saturating_sub(h.bar),
            }),
            self.pos.map(|p| StandingStop::Bull {
                stop: p.stop,
                highest: p.highest,
                entry: p.entry,
            }),
        ]
    }

    /// Is each piece of evidence present in the window ending at `seq`?
    /// The Bear's break it watches for a reclaim (see `AgentMemory`).
    pub fn last_break(&self) -> Option<(Break, bool)> {
        self.last_break
    }

    pub(super) fn set_last_break(&mut self, b: Option<(Break, bool)>) {
        self.last_break = b;
    }

    pub fn evidence(&self, seq: u64) -> [bool; 3] {
        self.seen
            .map(|s| s.is_some_and(|b| seq < b + self.p.evidence_bars))
    }

    /// The Bear broke this support (its tier-1 level): the one a reclaim must take back.
    pub fn on_bear_break(&mut self, brk: Break) {
        self.last_break = Some((brk, false));
    }

    /// Record this bar's evidence; true when it reclaims the most recently broken support.
    pub fn observe(&mut self, c: &Ctx) -> bool {
        let i = c.ind;
        self.closes.push(c.close());
        if let Some(s) = i.sma_fast {
            self.smas.push(s);
        }
        if let Some(r) = i.rsi {
            self.rsi.push(r);
            if r < self.p.oversold {
                self.seen[0] = Some(c.seq);
            }
        }
        if i.new_low
            && i.volume_sma
                .is_some_and(|v| c.bar.volume < self.p.dryup_ratio * v)
        {
            self.seen[1] = Some(c.seq);
        }
        let Some((b, reclaimed)) = self.last_break.as_mut() else {
            return false;
        };
        let fresh = !*reclaimed && c.seq <= b.bar + self.p.reclaim_memory;
        if fresh && c.close() > b.level.price + self.p.reclaim_atr * c.atr {
            *reclaimed = true;
            self.seen[2] = Some(c.seq);
            return true;
        }
        false
    }

    /// The hedge's exit: its target, stop or time stop, or the Bear's position going out (a
    /// hedge left without the position it hedges is a naked long). `bear_in`: the Bear holds
    /// shares and no exit of its own is out.
    #[inline]
    pub fn check_hedge_exit(&mut self, c: &Ctx, bear_in: bool) -> Option<Proposal> {
        // No hedge, or its exit is out: answered without the call (its frame costs more).
        if self.hedge.is_none_or(|h| h.exiting) {
            return None;
        }
        self.hedge_exit_rules(c, bear_in)
    }

    fn hedge_exit_rules(&mut self, c: &Ctx, bear_in: bool) -> Option<Proposal> {
        let h = self.hedge.filter(|h| !h.exiting)?;
        let close = c.close();
        let held = c.seq - h.bar;
        let why = match h.target {
            _ if !bear_in => Why::HedgedGone,
            Some(target) if close >= target => Why::TargetReached { close, target },
            _ if close <= h.stop => Why::HedgeStopHit {
                close,
                stop: h.stop,
            },
            _ if held >= self.p.hedge_time => Why::TimeStop { held },
            _ => return None,
        };
        if let Some(h) = self.hedge.as_mut() {
            h.exiting = true;
        }
        let reasons = vec![why];
        Some(proposal(
            SignalKind::BullHedgeExit,
            Side::Sell,
            Some(h.stop),
            0.9,
            reasons,
            Sizing::Exit(Book::Hedge),
        ))
    }

    /// The counter-trend hedge: Bear in, RSI oversold on one of the last bars, a bullish bar.
    #[inline]
    pub fn check_hedge(&mut self, c: &Ctx, bear_level: Option<f64>) -> Option<Proposal> {
        // No Bear position to hedge, or a hedge or long already on (most bars): answered without
        // the call.
        if bear_level.is_none() || self.hedge.is_some() || self.pos.is_some() {
            return None;
        }
        self.hedge_rules(c, bear_level)
    }

    fn hedge_rules(&mut self, c: &Ctx, bear_level: Option<f64>) -> Option<Proposal> {
        let level = bear_level?;
        if self.hedge.is_some() || self.pos.is_some() {
            return None;
        }
        let b = c.bar;
        let prev_high = c.prev_high?;
        let min_rsi = self.rsi.values().iter().copied().fold(f64::MAX, f64::min);
        if !(min_rsi < self.p.oversold && b.close > b.open && b.close > prev_high) {
            return None;
        }
        let close = b.close;
        let stop = close - self.p.hedge_stop_atr * c.atr;
        // Target: the nearer of the broken level and the EMA that lies above the entry.
        let target = [Some(level), c.ind.ema]
            .into_iter()
            .flatten()
            .filter(|t| *t > close)
            .min_by(f64::total_cmp);
        let mut reasons = Vec::with_capacity(6);
        reasons.extend([
            Why::HedgeRsi {
                min_rsi,
                oversold: self.p.oversold,
                bars: self.rsi.cap(),
            },
            Why::BullishBar {
                close,
                open: b.open,
                prev_high,
            },
            Why::HedgeStop {
                stop,
                stop_atr: self.p.hedge_stop_atr,
                atr: c.atr,
                time_bars: self.p.hedge_time,
            },
        ]);
        if let Some(target) = target {
            reasons.push(Why::HedgeTarget { target, level });
        }
        self.hedge = Some(Hedge {
            entry: close,
            bar: c.seq,
            target,
            stop,
            exiting: false,
        });
        let ev = self.evidence(c.seq).iter().filter(|x| **x).count();
        let confidence = (0.3 + 0.1 * ev as f64).min(1.0);
        Some(proposal(
            SignalKind::BullHedge,
            Side::Buy,
            Some(stop),
            confidence,
            reasons,
            Sizing::HedgeOfBear {
                fraction: self.p.hedge_fraction,
            },
        ))
    }
}

fn proposal(
    kind: SignalKind,
    side: Side,
    stop: Option<f64>,
    confidence: f64,
    reasons: Vec<Why>,
    sizing: Sizing,
) -> Proposal {
    Proposal {
        agent: Agent::Bull,
        kind,
        symbol: Symbol::Iwm,
        side,
        stop_iwm: stop,
        confidence,
        reasons,
        sizing,
    }
}
