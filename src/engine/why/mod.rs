//! Why a signal fired, as the numbers the rule compared. The engine only records them; the text
//! a trader reads ("close 213.83 < support 214.79 − 0.25 × ATR 3.62 …") is rendered when the
//! signal is shown or journaled, so a backtest or warm-up that never shows a signal never formats
//! one, and deciding stays free of allocation-heavy string work.

use std::sync::Arc;

use rust_decimal::Decimal;

mod text;

use super::types::LevelSource;
use crate::model::{EvidenceFact, ReasonKind, Symbol};

/// One fact behind a signal. `Display` gives the text, `kind` its family.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// A confirmed close below the active support.
    Break {
        close: f64,
        level: f64,
        break_atr: f64,
        atr: f64,
        bars_ago: u64,
        strength: u32,
        source: LevelSource,
    },
    /// Close under SMA50 plus the optional trend conditions that hold.
    Trend {
        close: f64,
        fast: f64,
        mid: f64,
        slow: f64,
        below_slow: bool,
        cross: bool,
        stack: bool,
    },
    BearEntryStop {
        stop: f64,
        close: f64,
        mult: f64,
        atr: f64,
    },
    /// The profit target set at tier 1 (IWM terms).
    BearTargetAt {
        target: f64,
        entry: f64,
        mult: f64,
        atr: f64,
    },
    BearTargetHit {
        close: f64,
        target: f64,
    },
    /// Book mode: the Bear's tier 1 takes over from the Bull's long.
    Handoff,
    /// Book mode: both agents flat, IWM above a rising SMA at a closing high.
    TrendReentry {
        close: f64,
        sma: f64,
        sma_then: f64,
        rise_bars: u64,
        high_bars: u64,
    },
    BearStopHit {
        close: f64,
        stop: f64,
        lowest: f64,
        mult: f64,
    },
    FailedRebound {
        high: f64,
        level: f64,
        rebound_atr: f64,
        atr: f64,
        close: f64,
        open: f64,
    },
    Extension {
        min_low: f64,
        extension_atr: f64,
        tiers: u8,
        bars_ago: u64,
    },
    /// Close back above the broken support: the Bear scales out, the Bull goes long.
    Reclaim {
        close: f64,
        level: f64,
        reclaim_atr: f64,
        atr: f64,
        bars_after: u64,
    },
    /// Piece `which` of `bull::EVIDENCE` was seen within the last `bars` bars.
    EvidenceWithin {
        which: usize,
        bars: u64,
    },
    BullEntryStop {
        stop: f64,
        close: f64,
        mult: f64,
        atr: f64,
    },
    HedgeJoins {
        entry: f64,
    },
    BullStopHit {
        close: f64,
        stop: f64,
        highest: f64,
        mult: f64,
    },
    HedgeRsi {
        min_rsi: f64,
        oversold: f64,
        bars: usize,
    },
    BullishBar {
        close: f64,
        open: f64,
        prev_high: f64,
    },
    HedgeStop {
        stop: f64,
        stop_atr: f64,
        atr: f64,
        time_bars: u64,
    },
    HedgeTarget {
        target: f64,
        level: f64,
    },
    TargetReached {
        close: f64,
        target: f64,
    },
    HedgeStopHit {
        close: f64,
        stop: f64,
    },
    TimeStop {
        held: u64,
    },
    /// The Bear's position the hedge protects is going out: the hedge goes with it.
    HedgedGone,
    NoShortData,
    /// One slot of the Bear's short-interest check (`fact`: `None` = no data for it), written
    /// with what it did to confidence.
    ShortFact {
        name: &'static str,
        fact: Option<Arc<EvidenceFact>>,
    },
    SellHeld {
        held: Decimal,
        symbol: Symbol,
    },
    NoPrice {
        symbol: Symbol,
    },
    /// A Bear tier sized by beta: `per_tier` of the hedged beta dollars, through the leverage.
    BearBeta {
        raw: f64,
        symbol: Symbol,
        hedged: f64,
        /// "book" (hedge mode) or "equity" (book mode).
        basis: &'static str,
        per_tier: f64,
        /// (scale, break magnitude m) when `bear.break_scale` is on.
        scale: Option<(f64, f64)>,
        /// The volatility scale when `bear.vol_scale` is on.
        vol_adj: Option<f64>,
        lev: f64,
        px: f64,
    },
    /// The Bull's full long (book mode): `beta` × equity of IWM.
    BullBeta {
        raw: f64,
        beta: f64,
        equity: f64,
        px: f64,
    },
    HedgeShares {
        raw: f64,
        fraction: f64,
        beta: f64,
        qty: Decimal,
        vehicle: Symbol,
        lev: f64,
        px: f64,
    },
    CappedGross {
        n: f64,
        max_beta: f64,
        basis: &'static str,
    },
    CappedVehicle {
        n: f64,
        max_fraction: f64,
    },
    CappedPosition {
        n: f64,
        max_position: f64,
    },
}

impl Why {
    pub fn kind(&self) -> ReasonKind {
        use ReasonKind as K;
        match self {
            Why::Break { .. } | Why::Extension { .. } => K::SupportBreak,
            Why::Trend { .. } => K::Trend,
            Why::BearEntryStop { .. }
            | Why::BearStopHit { .. }
            | Why::BullEntryStop { .. }
            | Why::BullStopHit { .. }
            | Why::HedgeStop { .. } => K::AtrStop,
            Why::Handoff | Why::TrendReentry { .. } => K::Trend,
            Why::FailedRebound { .. } | Why::BullishBar { .. } => K::Rebound,
            Why::Reclaim { .. } => K::Reclaim,
            Why::EvidenceWithin { .. } | Why::HedgeJoins { .. } => K::Evidence,
            Why::HedgeRsi { .. } => K::Rsi,
            Why::HedgeTarget { .. }
            | Why::TargetReached { .. }
            | Why::HedgeStopHit { .. }
            | Why::TimeStop { .. }
            | Why::HedgedGone
            | Why::BearTargetAt { .. }
            | Why::BearTargetHit { .. } => K::Target,
            Why::NoShortData | Why::ShortFact { .. } => K::ShortInterest,
            Why::SellHeld { .. }
            | Why::NoPrice { .. }
            | Why::BearBeta { .. }
            | Why::BullBeta { .. }
            | Why::HedgeShares { .. }
            | Why::CappedGross { .. }
            | Why::CappedVehicle { .. }
            | Why::CappedPosition { .. } => K::Sizing,
        }
    }
}
