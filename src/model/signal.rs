//! Signals: an agent's proposal, the facts that fired it, and what the trader answered.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ReasonText, Side, Symbol};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Agent {
    Bear,
    Bull,
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Agent::Bear => "BEAR",
            Agent::Bull => "BULL",
        })
    }
}

/// What the signal proposes to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignalKind {
    /// Bear buys the inverse vehicle on a confirmed support break (tier 1) or a failed rebound (2, 3).
    BearEntry { tier: u8 },
    /// Bear sells one tier because the Bull reclaimed the broken support.
    BearScaleOut { tier: u8 },
    /// Bear's trailing ATR stop was hit: sell the whole vehicle position.
    BearStop,
    /// IWM reached the Bear's profit target: sell every tier.
    BearTarget,
    /// Bull's small counter-trend IWM hedge on an oversold bounce.
    BullHedge,
    /// Bull's hedge reached its target, stop or time stop.
    BullHedgeExit,
    /// Bull takes over after a reclaim of the broken support: a full long IWM position.
    BullEntry,
    /// Bull's trailing ATR stop was hit.
    BullStop,
    /// Book mode: both agents flat and IWM back in an uptrend: the Bull's full long.
    BullTrend,
    /// Book mode: the Bear's tier 1 fired; the Bull's long hands over to it.
    BullHandoff,
}

impl SignalKind {
    pub fn label(self) -> String {
        match self {
            SignalKind::BearEntry { tier } => format!("tier {tier}"),
            SignalKind::BearScaleOut { tier } => format!("scale-out {tier}"),
            SignalKind::BearStop => "stop".into(),
            SignalKind::BearTarget => "target".into(),
            SignalKind::BullHedge => "hedge".into(),
            SignalKind::BullHedgeExit => "hedge exit".into(),
            SignalKind::BullEntry => "re-engage".into(),
            SignalKind::BullStop => "stop".into(),
            SignalKind::BullTrend => "trend re-entry".into(),
            SignalKind::BullHandoff => "hand-off".into(),
        }
    }

    /// Exits reduce a held position; entries open or add.
    pub fn is_exit(self) -> bool {
        matches!(
            self,
            SignalKind::BearScaleOut { .. }
                | SignalKind::BearStop
                | SignalKind::BearTarget
                | SignalKind::BullHedgeExit
                | SignalKind::BullStop
                | SignalKind::BullHandoff
        )
    }
}

/// Which of an agent's holdings an order adds to or sells from. It travels with the order (and
/// its journaled intent), so a fill is attributed without remembering the signal that proposed it:
/// after a restart, or for a signal the new process never saw, the shares still land in the right
/// book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "book", rename_all = "snake_case")]
pub enum AgentBook {
    /// One Bear tier (1-based) in the vehicle.
    BearTier {
        tier: u8,
    },
    /// All Bear tiers (a stop): sells come off the top tier first.
    BearAll,
    Hedge,
    Bull,
    /// The trader's own book (hedge mode): bought once on the simulator, never an agent's.
    TraderBook,
}

impl AgentBook {
    pub fn of(kind: SignalKind) -> AgentBook {
        match kind {
            SignalKind::BearEntry { tier } | SignalKind::BearScaleOut { tier } => {
                AgentBook::BearTier { tier }
            }
            SignalKind::BearStop | SignalKind::BearTarget => AgentBook::BearAll,
            SignalKind::BullHedge | SignalKind::BullHedgeExit => AgentBook::Hedge,
            SignalKind::BullEntry
            | SignalKind::BullStop
            | SignalKind::BullTrend
            | SignalKind::BullHandoff => AgentBook::Bull,
        }
    }
}

/// The family of fact behind a reason, so the UI can colour it and tests can look for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    SupportBreak,
    Trend,
    Rsi,
    AtrStop,
    Sizing,
    ShortInterest,
    Evidence,
    Rebound,
    Reclaim,
    Target,
}

/// One fact that fired a signal, with its numbers, e.g. "close 198.40 < support 201.10 − 0.25 × ATR 3.12".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: ReasonKind,
    pub text: ReasonText,
}

impl Reason {
    pub fn new(kind: ReasonKind, text: impl Into<String>) -> Self {
        Reason {
            kind,
            text: ReasonText::new(text),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: u64,
    pub time: DateTime<Utc>,
    pub agent: Agent,
    pub kind: SignalKind,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    /// Price of `symbol` the proposal was made at (the signal bar's close).
    pub reference_price: Decimal,
    /// Protective stop in `symbol`'s own price (translated from IWM terms for TWM/SRTY).
    pub stop_price: Option<Decimal>,
    /// The same stop in IWM terms, where every rule is computed.
    pub iwm_stop: Option<f64>,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    /// The record of this signal's kind when it was proposed: trades of that kind closed before.
    /// Boxed: a backtest's signals carry none, and inline its ≈ 80 bytes were moved with every
    /// signal on its way into the signal book (a third of a signal's size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<SignalRecord>>,
}

/// The record beside a signal: its kind's closed trades so far. A record, never the chance this
/// one wins: the study saw better-looking records followed by no better trades.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignalRecord {
    pub trades: u32,
    pub win_rate: Option<f64>,
    /// The 95 % Wilson interval of the win rate.
    pub win_rate_ci: Option<(f64, f64)>,
    pub avg_r: Option<f64>,
    pub since: Option<DateTime<Utc>>,
}

impl SignalRecord {
    /// Below this many trades the record is shown greyed: too few to say anything.
    pub const FEW: u32 = 10;

    /// "68 trades since 2001, won 24 % (15–35 %), avg R +0.02".
    pub fn text(&self) -> String {
        if self.trades == 0 {
            return "no closed trades yet".into();
        }
        let mut s = format!(
            "{} trade{}",
            self.trades,
            if self.trades == 1 { "" } else { "s" }
        );
        if let Some(t) = self.since {
            s.push_str(&format!(" since {}", t.format("%Y")));
        }
        if let (Some(w), Some((lo, hi))) = (self.win_rate, self.win_rate_ci) {
            s.push_str(&format!(
                ", won {:.0} % ({:.0}–{:.0} %)",
                w * 100.0,
                lo * 100.0,
                hi * 100.0
            ));
        }
        if let Some(r) = self.avg_r {
            s.push_str(&format!(", avg R {r:+.2}"));
        }
        s
    }
}

/// Where a signal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignalState {
    Proposed,
    Acknowledged,
    /// Rejected by the trader with a one-key reason code.
    Overridden {
        reason: char,
    },
    /// Acknowledged with a size the trader changed.
    Edited {
        qty: Decimal,
    },
    /// Re-asked after `until_bar`.
    Snoozed {
        until_bar: u64,
    },
    Expired,
    /// Recorded only: mode observe, or nothing to do (an exit with no position).
    Observed,
}

impl SignalState {
    pub fn is_open(self) -> bool {
        matches!(self, SignalState::Proposed | SignalState::Snoozed { .. })
    }
}

/// The trader's answer to a signal, as journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Acknowledge,
    Override { reason: char },
    Edit { qty: Decimal },
    Snooze,
    Expire,
}
