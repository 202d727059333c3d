//! The Bear agent: buys the inverse vehicle on a confirmed support break in a downtrend (tier 1),
//! adds on failed rebounds (tiers 2, 3), trails an ATR stop in IWM terms, takes profit at a
//! target, waits out a cool-down after a stop-out at the same level, scales out on a reclaim
//! (book mode).

use chrono::{DateTime, Utc};

mod entry;

pub use entry::trend;

use super::context::{AdoptAt, Ctx, Proposal, Sizing};
use super::ledger::Book;
use super::levels::Break;
use super::why::Why;
use crate::config::Config;
use crate::model::{Agent, BearTiers, Side, SignalKind, StandingStop, Symbol};

#[derive(Debug, Clone)]
struct Params {
    vehicle: Symbol,
    break_atr: f64,
    break_memory: u64,
    max_tiers: u8,
    tier_gap: u64,
    extension_atr: f64,
    rebound_atr: f64,
    stop_mult: f64,
    target_atr: f64,
    cooldown_bars: u64,
    cooldown_atr: f64,
}

/// The Bear's position. It exists only while the positions book holds vehicle shares for the
/// Bear or one of its entries waits for a fill (`Engine::sync_agents` enforces that).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BearPos {
    pub level: f64,
    pub tiers: u8,
    pub first_bar: u64,
    pub since: DateTime<Utc>,
    pub last_tier_bar: u64,
    pub entry_iwm: f64,
    pub stop: f64,
    /// Every tier exits at an IWM close at or below this (None: no target).
    pub target: Option<f64>,
    pub lowest_close: f64,
    /// Lowest low since the last tier, for the "traded 1 ATR below the level" test.
    pub min_low: f64,
    pub confidence: f64,
    pub magnitude: f64,
    /// An exit (stop or scale-out) waits for its fill: no new tier, no second exit. An exit that
    /// does not trade re-arms the stop, which stands until the position is flat.
    pub exiting: bool,
}

#[derive(Debug, Clone)]
pub struct Bear {
    p: Params,
    memory: Option<Break>,
    pos: Option<BearPos>,
    /// The break behind the latest tier 1, handed to the Bull as the level to reclaim.
    last_entry_break: Option<Break>,
    /// The level of the last stop-out and its bar, for the cool-down.
    last_stop: Option<(f64, u64)>,
}

impl Bear {
    pub fn new(cfg: &Config) -> Self {
        let b = &cfg.bear;
        Bear {
            p: Params {
                vehicle: b.vehicle,
                break_atr: b.break_atr,
                break_memory: b.break_memory_bars as u64,
                max_tiers: b.max_tiers.clamp(1, 255) as u8,
                tier_gap: b.tier_gap_bars as u64,
                extension_atr: b.tier_extension_atr,
                rebound_atr: b.tier_rebound_atr,
                stop_mult: b.stop_atr,
                target_atr: b.target_atr,
                cooldown_bars: b.cooldown_bars as u64,
                cooldown_atr: b.cooldown_atr,
            },
            memory: None,
            pos: None,
            last_entry_break: None,
            last_stop: None,
        }
    }

    pub fn pos(&self) -> Option<&BearPos> {
        self.pos.as_ref()
    }

    pub(super) fn pos_mut(&mut self) -> Option<&mut BearPos> {
        self.pos.as_mut()
    }

    /// Nothing held and nothing on its way: the Bear is flat again.
    pub(super) fn stand_down(&mut self) {
        self.pos = None;
    }

    /// Take charge of vehicle shares the Bear holds without a position of its own (bought by
    /// hand, or held before a restart). A stop journaled before a restart goes on with its trail;
    /// otherwise the standard entry stop from this bar, the bar's close as the level to defend.
    pub(super) fn adopt(&mut self, c: &AdoptAt, tiers: u8, known: Option<StandingStop>) {
        let fresh = (
            c.close + self.p.stop_mult * c.atr,
            c.close,
            c.close,
            c.close,
            self.target(c.close, c.atr),
        );
        let (stop, lowest_close, level, entry_iwm, target, clock) = match known {
            Some(StandingStop::Bear {
                stop,
                lowest_close,
                level,
                entry,
                target,
                tiers,
            }) => (stop, lowest_close, level, entry, target, tiers),
            _ => (fresh.0, fresh.1, fresh.2, fresh.3, fresh.4, None),
        };
        // The day the position began is a date, good whatever bars this history counts: a
        // shorter history (a live feed's window) rejects the bar clock, not the day (it read as
        // the restart's day).
        let began = clock.map(|t| t.since).filter(|t| *t <= c.time);
        // A journaled clock from a bar this engine has not reached is not this history's.
        let clock = clock.filter(|t| t.last_tier_bar <= c.seq && t.first_bar <= c.seq);
        self.pos = Some(BearPos {
            level,
            tiers: tiers.max(1),
            first_bar: clock.map_or(c.seq, |t| t.first_bar),
            since: clock.map_or(began.unwrap_or(c.time), |t| t.since),
            last_tier_bar: clock.map_or(c.seq, |t| t.last_tier_bar),
            entry_iwm,
            stop,
            target,
            lowest_close,
            min_low: clock.map_or(c.low, |t| t.min_low),
            confidence: clock.map_or(0.5, |t| t.confidence),
            magnitude: clock.map_or(0.0, |t| t.magnitude),
            exiting: false,
        });
    }

    /// The stop as the journal keeps it (see `StandingStop`).
    pub fn standing(&self) -> Option<StandingStop> {
        self.pos.map(|p| StandingStop::Bear {
            stop: p.stop,
            lowest_close: p.lowest_close,
            level: p.level,
            entry: p.entry_iwm,
            target: p.target,
            tiers: Some(BearTiers {
                first_bar: p.first_bar,
                since: p.since,
                last_tier_bar: p.last_tier_bar,
                min_low: p.min_low,
                confidence: p.confidence,
                magnitude: p.magnitude,
            }),
        })
    }

    /// The profit target of a tier 1 entered at `close` on a bar of this ATR.
    fn target(&self, close: f64, atr: f64) -> Option<f64> {
        (self.p.target_atr > 0.0).then_some(close - self.p.target_atr * atr)
    }

    /// The break behind a tier 1 proposed on this call, taken once.
    pub fn take_entry_break(&mut self) -> Option<Break> {
        self.last_entry_break.take()
    }

    pub fn max_tiers(&self) -> u8 {
        self.p.max_tiers
    }

    pub fn vehicle(&self) -> Symbol {
        self.p.vehicle
    }

    /// The break it remembers and its last stop-out (see `AgentMemory`).
    pub fn memory(&self) -> Option<Break> {
        self.memory
    }

    pub fn last_stop(&self) -> Option<(f64, u64)> {
        self.last_stop
    }

    pub(super) fn set_memory(&mut self, brk: Option<Break>, last_stop: Option<(f64, u64)>) {
        self.memory = brk;
        self.last_stop = last_stop;
    }

    /// The level gave way: remember it for `break_memory_bars` while price stays below.
    pub fn on_break(&mut self, brk: Break) {
        self.memory = Some(brk);
    }

    /// Forget remembered breaks that expired or that price climbed back over.
    pub fn age_memory(&mut self, seq: u64, close: f64) {
        if let Some(m) = self.memory {
            if seq >= m.bar + self.p.break_memory || close >= m.level.price {
                self.memory = None;
            }
        }
    }

    /// The stop, the target, then the trail: a close above the stop set at the previous bar
    /// exits (and starts the level's cool-down); a close at or below the target takes the profit;
    /// otherwise the stop follows the lowest close + `stop_atr` × ATR, never raised.
    #[inline]
    pub fn check_stop(&mut self, c: &Ctx) -> Option<Proposal> {
        // No position, or its exit is out: answered without the call (see `check_entry`).
        if self.pos.is_none_or(|p| p.exiting) {
            return None;
        }
        self.stop_rules(c)
    }

    fn stop_rules(&mut self, c: &Ctx) -> Option<Proposal> {
        let pos = self.pos.as_mut().filter(|p| !p.exiting)?;
        if c.close() > pos.stop {
            let reasons = vec![Why::BearStopHit {
                close: c.close(),
                stop: pos.stop,
                lowest: pos.lowest_close,
                mult: self.p.stop_mult,
            }];
            let stop = pos.stop;
            pos.exiting = true;
            self.last_stop = Some((pos.level, c.seq));
            return Some(self.exit(SignalKind::BearStop, Book::BearAll, stop, 0.9, reasons));
        }
        if let Some(target) = pos.target.filter(|t| c.close() <= *t) {
            let reasons = vec![Why::BearTargetHit {
                close: c.close(),
                target,
            }];
            let stop = pos.stop;
            pos.exiting = true;
            return Some(self.exit(SignalKind::BearTarget, Book::BearAll, stop, 0.9, reasons));
        }
        pos.lowest_close = pos.lowest_close.min(c.close());
        pos.min_low = pos.min_low.min(c.bar.low);
        pos.stop = pos.stop.min(pos.lowest_close + self.p.stop_mult * c.atr);
        None
    }

    /// The Bull reclaimed the level: one scale-out proposal per tier, top tier first.
    pub fn scale_out(&mut self, why: &Why) -> Vec<Proposal> {
        let Some(pos) = self.pos.as_mut().filter(|p| !p.exiting) else {
            return Vec::new();
        };
        pos.exiting = true;
        let pos = *pos;
        (1..=pos.tiers)
            .rev()
            .map(|t| {
                let reasons = vec![why.clone()];
                self.exit(
                    SignalKind::BearScaleOut { tier: t },
                    Book::BearTier { tier: t },
                    pos.stop,
                    0.8,
                    reasons,
                )
            })
            .collect()
    }

    fn exit(
        &self,
        kind: SignalKind,
        book: Book,
        stop: f64,
        conf: f64,
        reasons: Vec<Why>,
    ) -> Proposal {
        Proposal {
            agent: Agent::Bear,
            kind,
            symbol: self.p.vehicle,
            side: Side::Sell,
            stop_iwm: Some(stop),
            confidence: conf,
            reasons,
            sizing: Sizing::Exit(book),
        }
    }
}
