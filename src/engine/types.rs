//! The engine's public vocabulary: events in, outputs out, and the view the dashboard reads.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::draft::SignalDraft;
use crate::model::{AgentBook, Bar, Fill, ShortEvidence, Stops, Symbol};

/// Everything the engine reacts to.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A closed bar. IWM bars drive every rule; TWM/SRTY bars only mark vehicle prices.
    Bar { symbol: Symbol, bar: Bar },
    /// A fill from the broker, with the agent book its order carried (None: flatten and other
    /// orders no agent proposed) and the signal it answered. The positions book follows fills.
    Fill {
        fill: Fill,
        book: Option<AgentBook>,
        signal_id: Option<u64>,
    },
    /// A proposal that will trade no more shares: overridden, expired, sized to nothing, refused
    /// by the risk gate, rejected or canceled by the venue. An entry with nothing held stands its
    /// agent down; an exit re-arms the stop it came from.
    Unfilled { signal_id: u64 },
    /// What the venue says is held: the agents' books follow it (shares the venue does not
    /// hold leave the books; shares it holds that no book has are adopted).
    Held { positions: Vec<(Symbol, Decimal)> },
    /// A previous process's journaled fills, applied at once: the agents take charge of what is
    /// held net, not of each position the fills opened and closed on the way.
    Journaled {
        fills: Vec<(Fill, Option<AgentBook>)>,
    },
    /// The stops a previous process journaled: an agent taking charge of shares held before a
    /// restart goes on with the stop it had, trail included. `[None; 3]` drops what is left.
    Restored(Box<Stops>),
    /// Account equity from the broker, for sizing.
    Account { equity: Decimal },
    /// Latest short-interest / positioning evidence.
    Evidence(ShortEvidence),
    /// `levels.index_levels` converted to IWM dollars at the latest IWM/RUT ratio.
    IndexLevels(Vec<f64>),
    /// Data health: while stale, no signal is proposed.
    DataStale(bool),
    /// Trader paused the agents (no new signals) or resumed them.
    Paused(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum EngineOutput {
    /// The indicator values of the IWM bar just processed.
    Indicators(IndicatorRow),
    Signal(SignalDraft),
}

/// One IWM bar's indicator values (None while warming up).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IndicatorRow {
    pub time: DateTime<Utc>,
    pub close: f64,
    pub rsi: Option<f64>,
    pub atr: Option<f64>,
    pub sma_fast: Option<f64>,
    pub sma_mid: Option<f64>,
    pub sma_slow: Option<f64>,
    pub ema: Option<f64>,
    pub volume_sma: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelSource {
    Configured,
    Pivot,
    PointOfControl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelState {
    Intact,
    Broken,
    Reclaimed,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub price: f64,
    pub source: LevelSource,
    pub strength: u32,
    pub state: LevelState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BearView {
    pub engaged: bool,
    /// Its exit waits for a fill (a stop or scale-out was proposed, nothing sold yet).
    pub exiting: bool,
    pub tiers: u8,
    pub max_tiers: u8,
    pub since: Option<DateTime<Utc>>,
    pub broken_level: Option<f64>,
    pub entry_iwm: Option<f64>,
    pub stop_iwm: Option<f64>,
    /// The stop's distance above the close, in ATRs.
    pub stop_atr: Option<f64>,
    /// Every tier exits at an IWM close at or below this.
    pub target_iwm: Option<f64>,
    /// Each held tier's beta against the hedged dollars (the book's, or equity), bottom first.
    pub tier_betas: Vec<f64>,
    pub confidence: f64,
    /// The vehicle (TWM or SRTY) and the stop translated into its price.
    pub vehicle: Option<Symbol>,
    pub stop_vehicle: Option<f64>,
    /// Shares of the vehicle the Bear really holds (from attributed fills).
    pub held: Decimal,
    /// Bars (trading days on daily bars) since the first tier.
    pub days_held: u32,
    /// Estimated volatility decay of the vehicle, (L² − L)/2 · σ² per bar, σ = IWM return
    /// volatility; and that rate times `days_held`.
    pub decay_per_day: Option<f64>,
    pub decay_total: Option<f64>,
    /// Break magnitude of the last tier, in ATRs.
    pub magnitude: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BullView {
    pub hedge_active: bool,
    pub engaged: bool,
    pub since: Option<DateTime<Utc>>,
    pub stop_iwm: Option<f64>,
    /// Each piece of reversal evidence and whether it is present in the window.
    pub evidence: Vec<(String, bool)>,
    /// The hedge's target and stop, in IWM dollars, while it is on.
    pub hedge_target: Option<f64>,
    pub hedge_stop: Option<f64>,
    /// IWM shares really held by the hedge and by the main position.
    pub hedge_held: Decimal,
    pub held: Decimal,
}

/// What the dashboard reads from the engine.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineView {
    pub levels: Vec<Level>,
    pub active_support: Option<Level>,
    pub active_resistance: Option<Level>,
    pub bear: BearView,
    pub bull: BullView,
    /// Median ATR% over the volatility lookback, for the ATR pane.
    pub atr_pct_median: Option<f64>,
    /// Net and gross IWM-beta exposure as multiples of equity.
    pub net_beta: f64,
    pub gross_beta: f64,
    /// Equity the sizing uses (last `Account` event, else the paper starting cash).
    pub equity: Decimal,
    /// The point of control of the volume profile.
    pub poc: Option<f64>,
    pub stale: bool,
    pub paused: bool,
}

impl EngineView {
    /// The broken levels that matter at `close`: the nearest above (the next one a rebound
    /// meets) and the nearest below (the next one a fall reaches), leaving out a broken level
    /// that is now the active support or resistance (it is shown as that). The chart and the
    /// Agents pane show these same two.
    pub fn nearest_broken(&self, close: Option<f64>) -> [Option<&Level>; 2] {
        let active = [self.active_support, self.active_resistance].map(|l| l.map(|l| l.price));
        let Some(c) = close else {
            return [None, None];
        };
        let broken = self
            .levels
            .iter()
            .filter(|l| l.state == LevelState::Broken && !active.contains(&Some(l.price)));
        let above = broken
            .clone()
            .filter(|l| l.price > c)
            .min_by(|a, b| a.price.total_cmp(&b.price));
        let below = broken
            .filter(|l| l.price <= c)
            .max_by(|a, b| a.price.total_cmp(&b.price));
        [above, below]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(price: f64, state: LevelState) -> Level {
        Level {
            price,
            source: LevelSource::Pivot,
            strength: 2,
            state,
        }
    }

    #[test]
    fn the_nearest_broken_levels_leave_out_the_active_ones() {
        let b = LevelState::Broken;
        let v = EngineView {
            levels: [190.0, 195.0, 201.0, 204.0, 210.0]
                .map(|p| level(p, b))
                .to_vec(),
            // 201 broke and is now the resistance: it is shown as that, 204 is the next above.
            active_resistance: Some(level(201.0, b)),
            ..Default::default()
        };
        let [above, below] = v.nearest_broken(Some(199.0)).map(|l| l.map(|l| l.price));
        assert_eq!((above, below), (Some(204.0), Some(195.0)));
        assert_eq!(v.nearest_broken(None), [None, None]);
    }
}
