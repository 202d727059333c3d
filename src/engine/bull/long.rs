//! The Bull's full long (book mode): taken on a reclaim of the Bear's broken level or a trend
//! re-entry, handed to the Bear at its next tier 1, with an optional trailing stop.

use super::{proposal, Bull, BullPos};
use crate::engine::context::{Ctx, Proposal, Sizing};
use crate::engine::ledger::Book;
use crate::engine::why::Why;
use crate::model::{Side, SignalKind};

impl Bull {
    /// The full long's initial stop below `close`; none (−∞) when `bull.stop_atr` is 0.
    pub(super) fn initial_stop(&self, close: f64, atr: f64) -> f64 {
        if self.p.stop_mult > 0.0 {
            close - self.p.stop_mult * atr
        } else {
            f64::NEG_INFINITY
        }
    }

    /// Re-engagement on a reclaim bar with enough other evidence: a full long IWM.
    pub fn check_reengage(&mut self, c: &Ctx, reclaim: bool) -> Option<(Proposal, Why)> {
        if !reclaim || self.pos.is_some() {
            return None;
        }
        let (b, _) = self.last_break?;
        let ev = self.evidence(c.seq);
        let others = ev[0] as usize + ev[1] as usize;
        if others < self.p.min_evidence.max(1) {
            return None;
        }
        let close = c.close();
        let why = Why::Reclaim {
            close,
            level: b.level.price,
            reclaim_atr: self.p.reclaim_atr,
            atr: c.atr,
            bars_after: c.seq - b.bar,
        };
        let mut reasons = Vec::with_capacity(8);
        reasons.push(why.clone());
        for (which, _) in ev.iter().enumerate().take(2).filter(|(_, seen)| **seen) {
            reasons.push(Why::EvidenceWithin {
                which,
                bars: self.p.evidence_bars,
            });
        }
        let confidence = (0.45 + 0.15 * (others + 1) as f64).min(1.0);
        let p = self.go_long(c, SignalKind::BullEntry, confidence, reasons);
        Some((p, why))
    }

    /// Book mode, both agents flat: IWM closes above a rising SMA50 (higher than `rise_bars`
    /// ago) at a `high_bars`-bar closing high → the full long.
    pub fn check_trend(&mut self, c: &Ctx) -> Option<Proposal> {
        if self.pos.is_some() || !self.closes.is_full() || !self.smas.is_full() {
            return None;
        }
        let close = c.close();
        let sma = c.ind.sma_fast?;
        let sma_then = self.smas.nth(self.p.rise_bars);
        let high = self
            .closes
            .values()
            .iter()
            .copied()
            .fold(f64::MIN, f64::max);
        if !(close > sma && sma > sma_then && close >= high) {
            return None;
        }
        let reasons = vec![Why::TrendReentry {
            close,
            sma,
            sma_then,
            rise_bars: self.p.rise_bars as u64,
            high_bars: self.p.high_bars as u64,
        }];
        Some(self.go_long(c, SignalKind::BullTrend, 0.6, reasons))
    }

    /// The Bear's tier 1 fired: the full long leaves with it (one signal pair the trader sees).
    pub fn hand_off(&mut self) -> Option<Proposal> {
        let pos = self.pos.as_mut().filter(|p| !p.exiting)?;
        pos.exiting = true;
        let stop = pos.stop.is_finite().then_some(pos.stop);
        Some(proposal(
            SignalKind::BullHandoff,
            Side::Sell,
            stop,
            0.9,
            vec![Why::Handoff],
            Sizing::Exit(Book::Bull),
        ))
    }

    /// The full long at this close; a hedge still held joins it.
    fn go_long(&mut self, c: &Ctx, kind: SignalKind, conf: f64, mut reasons: Vec<Why>) -> Proposal {
        let close = c.close();
        let stop = self.initial_stop(close, c.atr);
        if stop.is_finite() {
            reasons.push(Why::BullEntryStop {
                stop,
                close,
                mult: self.p.stop_mult,
                atr: c.atr,
            });
        }
        if let Some(h) = self.hedge.take() {
            reasons.push(Why::HedgeJoins { entry: h.entry });
        }
        self.pos = Some(BullPos {
            entry: close,
            stop,
            highest: close,
            since: c.time(),
            exiting: false,
        });
        proposal(
            kind,
            Side::Buy,
            stop.is_finite().then_some(stop),
            conf,
            reasons,
            Sizing::BullBeta,
        )
    }

    /// The main position's trailing stop.
    #[inline]
    pub fn check_stop(&mut self, c: &Ctx) -> Option<Proposal> {
        // No long, or its exit is out: answered without the call.
        if self.pos.is_none_or(|p| p.exiting) {
            return None;
        }
        self.stop_rules(c)
    }

    fn stop_rules(&mut self, c: &Ctx) -> Option<Proposal> {
        let pos = self.pos.as_mut().filter(|p| !p.exiting)?;
        let close = c.close();
        if close < pos.stop {
            let reasons = vec![Why::BullStopHit {
                close,
                stop: pos.stop,
                highest: pos.highest,
                mult: self.p.stop_mult,
            }];
            let stop = pos.stop;
            pos.exiting = true;
            return Some(proposal(
                SignalKind::BullStop,
                Side::Sell,
                Some(stop),
                0.9,
                reasons,
                Sizing::Exit(Book::Bull),
            ));
        }
        pos.highest = pos.highest.max(close);
        if self.p.stop_mult > 0.0 {
            pos.stop = pos.stop.max(pos.highest - self.p.stop_mult * c.atr);
        }
        None
    }
}
