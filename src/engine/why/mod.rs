//! Why a signal fired, as the numbers the rule compared. The engine only records them; the text
//! a trader reads ("close 213.83 < support 214.79 − 0.25 × ATR 3.62 …") is rendered when the
//! signal is shown or journaled, so a backtest or warm-up that never shows a signal never formats
//! one, and deciding stays free of allocation-heavy string work.

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::fixfmt::{cmp2, f0, f1, f2};
use super::types::LevelSource;
use crate::model::money::usd_f64 as usd0;
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

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Break { close, level, break_atr, atr, bars_ago, strength, source } => {
                write!(f, "close {} < support {} − {break_atr} × ATR {} on ", f2(*close), f2(*level), f2(*atr))?;
                match bars_ago {
                    0 => f.write_str("this bar")?,
                    n => write!(f, "{n} bars ago")?,
                }
                write!(f, " (strength {strength}, {source:?})")
            }
            Why::Trend { close, fast, mid, slow, below_slow, cross, stack } => {
                write!(f, "close {} < SMA50 {}", f2(*close), f2(*fast))?;
                if *below_slow {
                    write!(f, "; close < SMA200 {}", f2(*slow))?;
                }
                if *cross {
                    write!(f, "; SMA50 < SMA200 {}", f2(*slow))?;
                }
                if *stack {
                    write!(f, "; SMA200 {} > SMA100 {} > SMA50", f2(*slow), f2(*mid))?;
                }
                Ok(())
            }
            Why::BearEntryStop { stop, close, mult, atr } => write!(
                f,
                "stop IWM {} = close {} + {mult} × ATR {}, trailed at the lowest close + {mult} × ATR",
                f2(*stop), f2(*close), f2(*atr)
            ),
            Why::BearTargetAt { target, entry, mult, atr } => write!(
                f,
                "target IWM {} = close {} − {mult} × ATR {}: every tier exits there",
                f2(*target), f2(*entry), f2(*atr)
            ),
            Why::BearTargetHit { close, target } => write!(
                f,
                "profit target: close {} ≤ target {} (tier-1 close − ATRs of its bar)",
                cmp2(*close, *target).0, cmp2(*close, *target).1
            ),
            Why::Handoff => f.write_str("the Bear's tier 1 fired: the Bull's long hands over to it"),
            Why::TrendReentry { close, sma, sma_then, rise_bars, high_bars } => write!(
                f,
                "both agents flat; close {} > SMA50 {} (rising: {} {rise_bars} bars ago) at a {high_bars}-bar closing high",
                f2(*close), f2(*sma), f2(*sma_then)
            ),
            Why::BearStopHit { close, stop, lowest, mult } => write!(
                f,
                "close {} > stop {} (lowest close {} + {mult} × ATR, never raised)",
                cmp2(*close, *stop).0, cmp2(*close, *stop).1, f2(*lowest)
            ),
            Why::FailedRebound { high, level, rebound_atr, atr, close, open } => write!(
                f,
                "failed rebound: high {} ≥ level {} − {rebound_atr} × ATR {}, close {} < level and < open {}",
                f2(*high), f2(*level), f2(*atr), f2(*close), f2(*open)
            ),
            Why::Extension { min_low, extension_atr, tiers, bars_ago } => write!(
                f,
                "traded {} ≤ level − {extension_atr} × ATR since tier {tiers}, {bars_ago} bars ago",
                f2(*min_low)
            ),
            Why::Reclaim { close, level, reclaim_atr, atr, bars_after } => write!(
                f,
                "close {} > broken support {} + {reclaim_atr} × ATR {} ({bars_after} bars after the break)",
                f2(*close), f2(*level), f2(*atr)
            ),
            Why::EvidenceWithin { which, bars } => {
                let name = super::bull::EVIDENCE.get(*which).copied().unwrap_or("evidence");
                write!(f, "{name} within the last {bars} bars")
            }
            Why::BullEntryStop { stop, close, mult, atr } => write!(
                f,
                "stop {} = close {} − {mult} × ATR {}",
                f2(*stop), f2(*close), f2(*atr)
            ),
            Why::HedgeJoins { entry } => {
                write!(f, "the hedge bought at {} joins this position", f2(*entry))
            }
            Why::BullStopHit { close, stop, highest, mult } => write!(
                f,
                "close {} < stop {} (highest close {} − {mult} × ATR, never lowered)",
                cmp2(*close, *stop).0, cmp2(*close, *stop).1, f2(*highest)
            ),
            Why::HedgeRsi { min_rsi, oversold, bars } => {
                write!(f, "RSI {} < {oversold} within the last {bars} bars", f1(*min_rsi))
            }
            Why::BullishBar { close, open, prev_high } => write!(
                f,
                "bullish bar: close {} > open {} and > previous high {}",
                f2(*close), f2(*open), f2(*prev_high)
            ),
            Why::HedgeStop { stop, stop_atr, atr, time_bars } => write!(
                f,
                "stop {} = close − {stop_atr} × ATR {}; time stop {time_bars} bars",
                f2(*stop), f2(*atr)
            ),
            Why::HedgeTarget { target, level } => {
                write!(f, "target {} (broken level {} or EMA)", f2(*target), f2(*level))
            }
            Why::TargetReached { close, target } => {
                {
                let (c, t) = cmp2(*close, *target);
                write!(f, "target reached: close {c} ≥ {t}")
            }
            }
            Why::HedgeStopHit { close, stop } => {
                {
                let (c, s) = cmp2(*close, *stop);
                write!(f, "hedge stop: close {c} ≤ {s}")
            }
            }
            Why::TimeStop { held } => write!(f, "time stop: {held} bars since the hedge"),
            Why::HedgedGone => {
                f.write_str("the Bear's position it hedges is exiting: the hedge goes with it")
            }
            Why::NoShortData => {
                f.write_str("no short-interest data yet: confidence lowered by 0.10")
            }
            Why::ShortFact { name, fact } => match fact {
                Some(fact) if fact.holds => write!(f, "{fact} (+0.10)"),
                Some(fact) => write!(f, "{fact} (−0.05)"),
                None => write!(f, "{name}: no data (−0.03)"),
            },
            Why::SellHeld { held, symbol } => {
                write!(f, "sell the {held} {symbol} held (attributed fills)")
            }
            Why::NoPrice { symbol } => write!(f, "no {symbol} price yet: size 0"),
            Why::BearBeta { raw, symbol, hedged, basis, per_tier, scale, vol_adj, lev, px } => {
                write!(f, "{} {symbol} = {} × {basis} beta {}", f0(*raw), f2(*per_tier), usd0(*hedged))?;
                if let Some((s, m)) = scale {
                    write!(f, " × break scale {} (m {})", f2(*s), f2(*m))?;
                }
                if let Some(v) = vol_adj {
                    write!(f, " × vol scale {}", f2(*v))?;
                }
                write!(f, " / {lev} (leverage) / price {}", f2(*px))
            }
            Why::BullBeta { raw, beta, equity, px } => write!(
                f,
                "{} IWM = {beta} × equity {} / price {}",
                f0(*raw), usd0(*equity), f2(*px)
            ),
            Why::HedgeShares { raw, fraction, beta, qty, vehicle, lev, px } => {
                write!(
                    f,
                    "{} IWM = {fraction} × Bear beta {} ({qty} {vehicle} held × {lev}) / {}",
                    f0(*raw), usd0(*beta), f2(*px)
                )
            }
            Why::CappedGross { n, max_beta, basis } => {
                write!(f, "capped to {}: the agents' gross beta ≤ {max_beta} × {basis}", f0(*n))
            }
            Why::CappedVehicle { n, max_fraction } => write!(
                f,
                "capped to {}: the vehicle ≤ {}% of equity",
                f0(*n), f0(max_fraction * 100.0)
            ),
            Why::CappedPosition { n, max_position } => write!(
                f,
                "capped to {}: one position ≤ {}% of equity",
                f0(*n), f0(max_position * 100.0)
            ),
        }
    }
}
