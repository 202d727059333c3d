//! What every layer says about the feeds, the market and the venue: the feeds report it, the
//! journal records it, the session and the screen read it.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Feed health is data: shown in the status bar and consulted by the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FeedHealth {
    Connected,
    /// Market closed: quiet on purpose.
    Idle,
    Stale {
        since: DateTime<Utc>,
    },
    Reconnecting {
        attempt: u32,
    },
    Failed {
        error: String,
    },
    /// Waiting on purpose before the next attempt (Alpaca's one-connection limit).
    Backoff {
        reason: String,
        retry_at: DateTime<Utc>,
    },
    /// This source failed repeatedly; another one carries its data meanwhile.
    Fallback {
        reason: String,
        to: String,
    },
    /// A replay that has played its last bar.
    Ended,
}

impl FeedHealth {
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            FeedHealth::Stale { .. }
                | FeedHealth::Failed { .. }
                | FeedHealth::Reconnecting { .. }
                | FeedHealth::Backoff { .. }
                | FeedHealth::Fallback { .. }
        )
    }
}

/// What the live feeds and the screen need to know about the market right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct MarketState {
    pub open: bool,
    /// Close of the session in progress (or of the next one while closed).
    pub next_close: Option<DateTime<Utc>>,
    pub next_open: Option<DateTime<Utc>>,
}

impl MarketState {
    /// Time left in the session, while open.
    pub fn to_close(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.next_close
            .filter(|_| self.open)
            .map(|c| (c - now).max(chrono::Duration::zero()))
    }
}

/// Which venue, shown in its own colour on the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BrokerKind {
    /// The built-in simulator.
    Sim,
    /// Alpaca paper account.
    Paper,
    /// Alpaca live account: real money.
    Live,
}

impl BrokerKind {
    pub fn label(self) -> &'static str {
        match self {
            BrokerKind::Sim => "SIM",
            BrokerKind::Paper => "PAPER",
            BrokerKind::Live => "LIVE",
        }
    }
}

/// How loud a status line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Error,
}
