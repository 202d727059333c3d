//! The Bear's entries: tier 1 on a remembered support break in a confirmed downtrend, tiers 2..max
//! on failed rebounds, never at a level it was just stopped out of.

use super::{Bear, BearPos};
use crate::engine::context::{Ctx, Proposal, ShortCheck, Sizing};
use crate::engine::why::Why;
use crate::model::{Agent, Side, SignalKind};

impl Bear {
    /// Tier 1 on a remembered break + trend; tiers 2..max on failed rebounds.
    #[inline]
    pub fn check_entry(&mut self, c: &Ctx, ev: &ShortCheck) -> Option<Proposal> {
        // Flat with no break remembered (most bars): answered without the call, whose frame
        // (a `Proposal` to return) costs more than the answer.
        if self.pos.is_none() && self.memory.is_none() {
            return None;
        }
        self.entry_rules(c, ev)
    }

    fn entry_rules(&mut self, c: &Ctx, ev: &ShortCheck) -> Option<Proposal> {
        match self.pos {
            Some(pos) if pos.exiting => None,
            Some(pos) => self.check_tier(c, pos, ev),
            None => self.check_first(c, ev),
        }
    }

    fn check_first(&mut self, c: &Ctx, ev: &ShortCheck) -> Option<Proposal> {
        let m = self.memory?;
        let (trend_why, extra) = trend(c)?;
        let level = m.level.price;
        // The break is used up either way: a blocked level is not bought later in its memory.
        self.memory = None;
        if self.cooling(level, c) {
            return None;
        }
        let close = c.close();
        let magnitude = (level - close) / c.atr;
        let stop = close + self.p.stop_mult * c.atr;
        let target = self.target(close, c.atr);
        let mut reasons = Vec::with_capacity(11);
        reasons.extend([
            Why::Break {
                close: m.close,
                level,
                break_atr: self.p.break_atr,
                atr: m.atr,
                bars_ago: c.seq - m.bar,
                strength: m.level.strength,
                source: m.level.source,
            },
            trend_why,
            Why::BearEntryStop {
                stop,
                close,
                mult: self.p.stop_mult,
                atr: c.atr,
            },
        ]);
        if let Some(target) = target {
            reasons.push(Why::BearTargetAt {
                target,
                entry: close,
                mult: self.p.target_atr,
                atr: c.atr,
            });
        }
        let mut confidence = 0.45 + 0.05 * extra as f64 + 0.05 * magnitude.clamp(0.0, 2.0);
        confidence += ev.apply(&mut reasons);
        let confidence = confidence.clamp(0.0, 1.0);
        self.last_entry_break = Some(m);
        self.pos = Some(BearPos {
            level,
            tiers: 1,
            first_bar: c.seq,
            since: c.time(),
            last_tier_bar: c.seq,
            entry_iwm: close,
            stop,
            target,
            lowest_close: close,
            min_low: c.bar.low,
            confidence,
            magnitude,
            exiting: false,
        });
        Some(self.entry(1, stop, confidence, magnitude, reasons))
    }

    /// No tier 1 within `cooldown_bars` of a stop-out at a level within `cooldown_atr` × ATR.
    fn cooling(&self, level: f64, c: &Ctx) -> bool {
        self.last_stop.is_some_and(|(at, bar)| {
            c.seq < bar + self.p.cooldown_bars && (level - at).abs() <= self.p.cooldown_atr * c.atr
        })
    }

    fn check_tier(&mut self, c: &Ctx, pos: BearPos, ev: &ShortCheck) -> Option<Proposal> {
        let b = c.bar;
        let (level, atr) = (pos.level, c.atr);
        let ready = pos.tiers < self.p.max_tiers
            && c.seq >= pos.last_tier_bar + self.p.tier_gap
            && pos.min_low <= level - self.p.extension_atr * atr
            && b.high >= level - self.p.rebound_atr * atr
            && b.close < level
            && b.close < b.open;
        if !ready {
            return None;
        }
        let tier = pos.tiers + 1;
        let magnitude = (level - b.close) / atr;
        let mut reasons = Vec::with_capacity(9);
        reasons.extend([
            Why::FailedRebound {
                high: b.high,
                level,
                rebound_atr: self.p.rebound_atr,
                atr,
                close: b.close,
                open: b.open,
            },
            Why::Extension {
                min_low: pos.min_low,
                extension_atr: self.p.extension_atr,
                tiers: pos.tiers,
                bars_ago: c.seq - pos.last_tier_bar,
            },
        ]);
        let conf = (pos.confidence + ev.apply(&mut reasons) * 0.5 + 0.05).clamp(0.0, 1.0);
        self.pos = Some(BearPos {
            tiers: tier,
            last_tier_bar: c.seq,
            min_low: b.low,
            confidence: conf,
            magnitude,
            ..pos
        });
        Some(self.entry(tier, pos.stop, conf, magnitude, reasons))
    }

    fn entry(&self, tier: u8, stop: f64, confidence: f64, m: f64, reasons: Vec<Why>) -> Proposal {
        Proposal {
            agent: Agent::Bear,
            kind: SignalKind::BearEntry { tier },
            symbol: self.p.vehicle,
            side: Side::Buy,
            stop_iwm: Some(stop),
            confidence,
            reasons,
            sizing: Sizing::BearBeta { m },
        }
    }
}

/// Trend confirmation: close < SMA50 and one of close < SMA200, SMA50 < SMA200, bearish stack.
/// Returns the facts and how many of the optional conditions hold.
pub fn trend(c: &Ctx) -> Option<(Why, u32)> {
    let i = c.ind;
    let (fast, mid, slow) = (i.sma_fast?, i.sma_mid?, i.sma_slow?);
    let close = c.close();
    if close >= fast {
        return None;
    }
    let below_slow = close < slow;
    let cross = fast < slow;
    let stack = slow > mid && mid > fast;
    let extra = below_slow as u32 + cross as u32 + stack as u32;
    if extra == 0 {
        return None;
    }
    let why = Why::Trend {
        close,
        fast,
        mid,
        slow,
        below_slow,
        cross,
        stack,
    };
    Some((why, extra))
}
