//! The pure decision engine: bars, fills and positioning evidence in; signals out. No I/O, no clock:
//! time arrives inside the events, so live, replay and backtest run the same code.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::Config;
use crate::model::{Bar, Fill, ShortEvidence, Signal, Symbol};

/// Everything the engine reacts to.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A closed bar. IWM bars drive every rule; TWM/SRTY bars only mark vehicle prices.
    Bar { symbol: Symbol, bar: Bar },
    /// A fill from the broker: the agents' real positions.
    Fill(Fill),
    /// Account equity from the broker, for sizing.
    Account { equity: Decimal },
    /// Latest short-interest / positioning evidence.
    Evidence(ShortEvidence),
    /// Data health: while stale, no signal is proposed.
    DataStale(bool),
    /// Trader paused the agents (no new signals) or resumed them.
    Paused(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineOutput {
    /// The indicator values of the IWM bar just processed.
    Indicators(IndicatorRow),
    Signal(Signal),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelSource {
    Configured,
    Pivot,
    PointOfControl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelState {
    Intact,
    Broken,
    Reclaimed,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Level {
    pub price: f64,
    pub source: LevelSource,
    pub strength: u32,
    pub state: LevelState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BearView {
    pub engaged: bool,
    pub tiers: u8,
    pub max_tiers: u8,
    pub since: Option<DateTime<Utc>>,
    pub broken_level: Option<f64>,
    pub entry_iwm: Option<f64>,
    pub stop_iwm: Option<f64>,
    pub confidence: f64,
    /// Estimated leveraged-ETF decay over the days held, in percent: (L² − L)/2 · σ² per day.
    pub decay_pct: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BullView {
    pub hedge_active: bool,
    pub engaged: bool,
    pub since: Option<DateTime<Utc>>,
    pub stop_iwm: Option<f64>,
    /// Each piece of reversal evidence and whether it is present in the window.
    pub evidence: Vec<(String, bool)>,
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
}

/// The engine. (Walking skeleton: passes bars through; the agents arrive with issue 3.)
pub struct Engine {
    view: EngineView,
}

impl Engine {
    pub fn new(_cfg: &Config) -> Self {
        Engine {
            view: EngineView::default(),
        }
    }

    pub fn process(&mut self, event: EngineEvent) -> Vec<EngineOutput> {
        match event {
            EngineEvent::Bar {
                symbol: Symbol::Iwm,
                bar,
            } => vec![EngineOutput::Indicators(IndicatorRow {
                time: bar.time,
                close: bar.close,
                rsi: None,
                atr: None,
                sma_fast: None,
                sma_mid: None,
                sma_slow: None,
                ema: None,
                volume_sma: None,
            })],
            _ => Vec::new(),
        }
    }

    pub fn view(&self) -> &EngineView {
        &self.view
    }
}
