//! One proposal's track: what the agent's proposal made and what the trader's answer made of it.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{Agent, Side, Signal, SignalKind, Symbol};

/// What the trader did with a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum Choice {
    Acknowledged,
    Overridden {
        reason: char,
    },
    Edited {
        qty: Decimal,
    },
    Expired,
    /// Acknowledged, but the order never traded (refused by the risk gate, rejected or canceled
    /// by the venue): the trader's outcome is nothing, whatever size was asked for.
    Refused,
}

/// Where the hypothetical position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for the next bar's open.
    Pending,
    /// Entered; marked at the last close.
    Open,
    /// The agent's exit signal came: closes at the next open.
    Closing,
    StoppedOut,
    Exited,
}

/// One tracked proposal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Track {
    pub signal_id: u64,
    pub time: chrono::DateTime<chrono::Utc>,
    pub agent: Agent,
    pub kind: SignalKind,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    pub stop: Option<Decimal>,
    pub choice: Option<Choice>,
    pub phase: Phase,
    pub entry: Option<Decimal>,
    /// Exit price once closed, else the last close (the mark).
    pub mark: Option<Decimal>,
    /// The bar of the exit signal that closes it: it closes at the open of a later bar.
    #[serde(skip)]
    pub closing_after: Option<chrono::DateTime<chrono::Utc>>,
}

impl Track {
    /// The track of a proposal not yet traded: it enters at the open of a bar after it.
    pub fn proposed(s: &Signal) -> Track {
        Track {
            signal_id: s.id,
            time: s.time,
            agent: s.agent,
            kind: s.kind,
            symbol: s.symbol,
            side: s.side,
            qty: s.qty,
            stop: s.stop_price,
            choice: None,
            phase: Phase::Pending,
            entry: None,
            mark: None,
            closing_after: None,
        }
    }

    /// What the agent's proposal made (realized, or marked while open).
    pub fn agent_pnl(&self) -> Decimal {
        match (self.entry, self.mark) {
            (Some(e), Some(m)) => (m - e) * self.qty * self.side.sign(),
            _ => Decimal::ZERO,
        }
    }

    /// What the trader's answer made: the same move at the size the trader chose.
    pub fn trader_pnl(&self) -> Decimal {
        let agent = self.agent_pnl();
        match self.choice {
            Some(Choice::Acknowledged) => agent,
            Some(Choice::Edited { qty }) if !self.qty.is_zero() => agent * qty / self.qty,
            _ => Decimal::ZERO,
        }
    }

    /// Overridden, edited or expired: the answers where trader and agent differ.
    pub fn differs(&self) -> bool {
        matches!(
            self.choice,
            Some(
                Choice::Overridden { .. }
                    | Choice::Edited { .. }
                    | Choice::Expired
                    | Choice::Refused
            )
        )
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::StoppedOut | Phase::Exited)
    }
}
