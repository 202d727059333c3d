//! The sentence each reason reads as: the numbers a rule compared, written when a signal is
//! shown or journaled (a backtest never writes them).

use std::fmt;

use super::Why;
use crate::engine::fixfmt::{cmp2, f0, f1, f2};
use crate::model::money::usd_f64 as usd0;

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
                let name = crate::engine::bull::EVIDENCE.get(*which).copied().unwrap_or("evidence");
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
