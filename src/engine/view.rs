//! What the engine shows: the view the panes read, built from the engine's state (levels and
//! agents as the last IWM bar left them; exposure, equity and flags as the latest events did).

use rust_decimal::Decimal;

use super::{sizing, BearView, Engine, EngineView};
use crate::model::money::to_f64;
use crate::model::Symbol;

impl Engine {
    /// Net and gross beta of what the agents really hold, as multiples of equity.
    pub(super) fn exposure(&self, v: &mut EngineView) {
        let (net, gross) = self.beta_dollars();
        let eq = self.equity_f64().max(f64::MIN_POSITIVE);
        v.net_beta = net / eq;
        v.gross_beta = gross / eq;
    }

    /// (net, gross) IWM-beta dollars held by the agents.
    pub fn beta_dollars(&self) -> (f64, f64) {
        let v = self.ledger.bear_symbol;
        let mut net = 0.0;
        let mut gross = 0.0;
        for (s, q) in [(v, self.held_f64.0), (Symbol::Iwm, self.held_f64.1)] {
            let value = q * self.price(s).unwrap_or(0.0);
            net += f64::from(s.leverage()) * value;
            gross += f64::from(s.leverage()).abs() * value;
        }
        (net, gross)
    }

    /// The view from the engine's state: levels and agents as the last IWM bar left them,
    /// exposure, equity and flags as the latest events left them.
    pub(super) fn build_view(&self) -> EngineView {
        let mut v = self.view0.clone();
        v.equity = self.equity_dec;
        v.stale = self.stale;
        v.paused = self.paused;
        if let Some(at) = &self.at_bar {
            self.bar_view(&mut v, at);
        }
        self.exposure(&mut v);
        v
    }

    fn bar_view(&self, v: &mut EngineView, at: &ViewAtBar) {
        let (seq, close) = (at.seq, at.close);
        self.levels.levels_into(&mut v.levels);
        v.active_support = self.levels.active_support();
        v.active_resistance = self.levels.active_resistance();
        // The indicator windows only move on IWM bars, so these are as of the last one.
        v.atr_pct_median = self.ind.atr_pct_median(&mut Vec::new());
        v.poc = at.poc;
        let lev = f64::from(self.bear.vehicle().leverage()).abs();
        // Drag against −|L| × IWM's log return: (L² − L)/2 · σ² a day with the signed leverage
        // (L = −2: 3σ² for TWM; reading L as +2 understates it 3×).
        let signed = -lev;
        let decay = self
            .ind
            .return_var()
            .map(|var| (signed * signed - signed) / 2.0 * var);
        let b = &mut v.bear;
        b.held = at.bear_held;
        match self.bear.pos() {
            Some(p) => {
                b.engaged = true;
                b.exiting = p.exiting;
                b.tiers = p.tiers;
                b.since = Some(p.since);
                b.broken_level = Some(p.level);
                b.entry_iwm = Some(p.entry_iwm);
                b.stop_iwm = Some(p.stop);
                b.target_iwm = p.target;
                b.stop_atr = at.atr.filter(|a| *a > 0.0).map(|a| (p.stop - close) / a);
                // Each tier's beta against the dollars it hedges (negative: the vehicle is short).
                let (hedged, _) = self.hedged_dollars();
                let px = at.vehicle_px.unwrap_or(0.0);
                b.tier_betas = self
                    .ledger
                    .bear_tiers
                    .iter()
                    .take_while(|q| !q.is_zero())
                    .map(|q| -lev * to_f64(*q) * px / hedged.max(f64::MIN_POSITIVE))
                    .collect();
                b.confidence = p.confidence;
                b.magnitude = Some(p.magnitude);
                b.days_held = (seq - p.first_bar) as u32;
                b.decay_per_day = decay;
                b.decay_total = decay.map(|d| d * f64::from(b.days_held));
                // From the bar's prices: the vehicle moves ≈ −L × IWM's move to the stop.
                b.stop_vehicle = at
                    .vehicle_px
                    .map(|pv| sizing::vehicle_stop(pv, lev, p.stop, close));
            }
            None => {
                *b = BearView {
                    max_tiers: b.max_tiers,
                    vehicle: b.vehicle,
                    held: b.held,
                    decay_per_day: decay,
                    ..BearView::default()
                };
            }
        }
        let u = &mut v.bull;
        let ev = self.bull.evidence(seq);
        for (slot, present) in u.evidence.iter_mut().zip(ev) {
            slot.1 = present;
        }
        u.hedge_active = self.bull.hedge().is_some();
        u.hedge_target = self.bull.hedge().and_then(|h| h.target);
        u.hedge_stop = self.bull.hedge().map(|h| h.stop);
        u.engaged = self.bull.pos().is_some();
        u.since = self.bull.pos().map(|p| p.since);
        u.stop_iwm = self.bull.pos().map(|p| p.stop).filter(|s| s.is_finite());
        u.hedge_held = at.hedge_held;
        u.held = at.bull_held;
    }
}

/// What the view keeps from the last IWM bar: values that later events (fills, vehicle bars)
/// change in the engine but that the view shows as of that bar.
#[derive(Clone, Copy)]
pub(super) struct ViewAtBar {
    pub(super) seq: u64,
    pub(super) close: f64,
    pub(super) poc: Option<f64>,
    pub(super) vehicle_px: Option<f64>,
    pub(super) atr: Option<f64>,
    pub(super) bear_held: Decimal,
    pub(super) hedge_held: Decimal,
    pub(super) bull_held: Decimal,
}
