//! An agent position's standing exit as the journal keeps it. A stop re-derived at a restart bar
//! would be looser than the trailed one it replaces, so the trail itself outlives the process.

use serde::{Deserialize, Serialize};

/// The state an exit needs to go on where it stopped (IWM terms, like every agent price).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "agent", rename_all = "snake_case")]
pub enum StandingStop {
    /// The Bear's stop over all its tiers, trailed down from the lowest close since entry; the
    /// level is the support it broke (its tiers are judged against it).
    Bear {
        stop: f64,
        lowest_close: f64,
        level: f64,
        entry: f64,
        /// The profit target (journals from before it existed have none).
        #[serde(default)]
        target: Option<f64>,
        /// Where its tiers stand, so a restart adds the next one on the bar the uninterrupted
        /// run would (journals from before it have none: the restart bar stands in).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tiers: Option<BearTiers>,
    },
    /// The Bull's counter-trend hedge: a fixed stop, its target, and the bars it has been held
    /// (the time stop counts them).
    Hedge {
        stop: f64,
        target: Option<f64>,
        entry: f64,
        bars_held: u64,
    },
    /// The Bull's main position, trailed up from the highest close since entry.
    Bull { stop: f64, highest: f64, entry: f64 },
}

/// The Bear's tier clock and the low its next tier must have traded through. Bars are the
/// engine's IWM bar count, which a resumed session reproduces by re-feeding the same history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BearTiers {
    pub first_bar: u64,
    pub since: chrono::DateTime<chrono::Utc>,
    pub last_tier_bar: u64,
    pub min_low: f64,
    pub confidence: f64,
    pub magnitude: f64,
}

impl StandingStop {
    pub fn stop(&self) -> f64 {
        match *self {
            StandingStop::Bear { stop, .. }
            | StandingStop::Hedge { stop, .. }
            | StandingStop::Bull { stop, .. } => stop,
        }
    }

    /// Slot in `[Bear, Hedge, Bull]`, the order the engine keeps them in.
    pub fn slot(&self) -> usize {
        match self {
            StandingStop::Bear { .. } => 0,
            StandingStop::Hedge { .. } => 1,
            StandingStop::Bull { .. } => 2,
        }
    }

    /// JSON has no NaN: a stop that is not a number is not journaled (and never stands).
    pub fn is_finite(&self) -> bool {
        match *self {
            StandingStop::Bear {
                stop,
                lowest_close,
                level,
                entry,
                target,
                tiers,
            } => {
                [stop, lowest_close, level, entry]
                    .iter()
                    .all(|x| x.is_finite())
                    && target.is_none_or(f64::is_finite)
                    && tiers.is_none_or(|t| {
                        [t.min_low, t.confidence, t.magnitude]
                            .iter()
                            .all(|x| x.is_finite())
                    })
            }
            StandingStop::Hedge {
                stop,
                target,
                entry,
                ..
            } => stop.is_finite() && entry.is_finite() && target.is_none_or(f64::is_finite),
            StandingStop::Bull {
                stop,
                highest,
                entry,
            } => [stop, highest, entry].iter().all(|x| x.is_finite()),
        }
    }
}

/// One stop per agent position: Bear, hedge, Bull.
pub type Stops = [Option<StandingStop>; 3];
