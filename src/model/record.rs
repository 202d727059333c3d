//! The record of a kind of signal: its closed trades, won, average R, since when (the trades
//! themselves are `store::lots`). Shared by the store that keeps it, the feeds that seed it from
//! the embedded history, and the signals that carry it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::SignalKind;

/// A signal kind whose trades are counted: the entries (exits close lots, they are not trades).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeKind {
    #[serde(rename = "bear_tier_1")]
    BearTier1,
    #[serde(rename = "bear_tier_2")]
    BearTier2,
    #[serde(rename = "bear_tier_3")]
    BearTier3,
    BullHedge,
    BullReengage,
    BullTrend,
}

impl TradeKind {
    pub fn of(kind: SignalKind) -> Option<TradeKind> {
        Some(match kind {
            SignalKind::BearEntry { tier: 1 } => TradeKind::BearTier1,
            SignalKind::BearEntry { tier: 2 } => TradeKind::BearTier2,
            SignalKind::BearEntry { .. } => TradeKind::BearTier3,
            SignalKind::BullHedge => TradeKind::BullHedge,
            SignalKind::BullEntry => TradeKind::BullReengage,
            SignalKind::BullTrend => TradeKind::BullTrend,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TradeKind::BearTier1 => "bear_tier_1",
            TradeKind::BearTier2 => "bear_tier_2",
            TradeKind::BearTier3 => "bear_tier_3",
            TradeKind::BullHedge => "bull_hedge",
            TradeKind::BullReengage => "bull_reengage",
            TradeKind::BullTrend => "bull_trend",
        }
    }

    /// How a trader reads it: "tier 1", "hedge", …
    pub fn label(self) -> &'static str {
        match self {
            TradeKind::BearTier1 => "tier 1",
            TradeKind::BearTier2 => "tier 2",
            TradeKind::BearTier3 => "tier 3",
            TradeKind::BullHedge => "hedge",
            TradeKind::BullReengage => "re-engage",
            TradeKind::BullTrend => "trend re-entry",
        }
    }
}

/// The record of one kind: its closed trades so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Record {
    pub trades: u32,
    pub wins: u32,
    /// Σ R over the trades that had a planned risk, and how many those were.
    pub sum_r: f64,
    pub with_r: u32,
    pub pnl: f64,
    pub since: Option<DateTime<Utc>>,
}

/// The records of every kind, as one session hands them to another (the history's to a live one).
pub type Records = Vec<(TradeKind, Record)>;

impl Record {
    /// Two records of the same kind as one.
    pub fn merge(&mut self, o: &Record) {
        self.trades += o.trades;
        self.wins += o.wins;
        self.sum_r += o.sum_r;
        self.with_r += o.with_r;
        self.pnl += o.pnl;
        self.since = match (self.since, o.since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// One more closed trade: its P&L, its R (when it had a risk unit) and when it was entered.
    pub fn add_trade(&mut self, pnl: f64, r: Option<f64>, entered: DateTime<Utc>) {
        self.trades += 1;
        self.wins += u32::from(pnl > 0.0);
        if let Some(r) = r {
            self.sum_r += r;
            self.with_r += 1;
        }
        self.pnl += pnl;
        self.since = Some(self.since.map_or(entered, |s| s.min(entered)));
    }

    pub fn win_rate(&self) -> Option<f64> {
        (self.trades > 0).then(|| f64::from(self.wins) / f64::from(self.trades))
    }

    pub fn avg_r(&self) -> Option<f64> {
        (self.with_r > 0).then(|| self.sum_r / f64::from(self.with_r))
    }

    /// The 95 % Wilson interval of the win rate.
    pub fn win_rate_ci(&self) -> Option<(f64, f64)> {
        wilson(self.wins, self.trades)
    }
}

impl From<Record> for crate::model::SignalRecord {
    fn from(r: Record) -> Self {
        crate::model::SignalRecord {
            trades: r.trades,
            win_rate: r.win_rate(),
            win_rate_ci: r.win_rate_ci(),
            avg_r: r.avg_r(),
            since: r.since,
        }
    }
}

/// The 95 % Wilson score interval for `k` wins in `n` trials.
pub fn wilson(k: u32, n: u32) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n, z) = (f64::from(k), f64::from(n), 1.96_f64);
    let p = k / n;
    let den = 1.0 + z * z / n;
    let mid = (p + z * z / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / den;
    Some(((mid - half).max(0.0), (mid + half).min(1.0)))
}
