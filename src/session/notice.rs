//! What the session reports after each input: printed as JSON lines in headless mode,
//! and the reason the dashboard redraws.

use serde::Serialize;

use crate::feed::FeedHealth;
use crate::model::{
    Answer, Bar, ClientOrderId, Fill, OrderRequest, OrderStatus, Signal, Symbol, Timeframe,
};
use crate::model::{FuturesPositioning, ShortInterest, ShortVolume};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    Bar {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
    },
    Signal {
        signal: Signal,
    },
    Answer {
        signal_id: u64,
        answer: Answer,
    },
    /// A signal is waiting for the trader again: a snooze ran out, or an exit's order was
    /// refused (exits stand until the position is closed).
    Asked {
        signal_id: u64,
        why: String,
    },
    Order {
        order: OrderRequest,
        status: OrderStatus,
    },
    OrderStatus {
        client_order_id: ClientOrderId,
        status: OrderStatus,
        detail: Option<String>,
    },
    Fill {
        fill: Fill,
    },
    Health {
        source: String,
        health: FeedHealth,
    },
    RiskRefused {
        client_order_id: ClientOrderId,
        signal_id: Option<u64>,
        reason: String,
    },
    Warning {
        source: String,
        message: String,
    },
    /// A new short-interest report (FINRA, twice a month).
    ShortInterest {
        snapshot: ShortInterest,
    },
    /// A day of Reg SHO short-sale volume.
    ShortVolume {
        snapshot: ShortVolume,
    },
    /// A weekly CFTC Traders in Financial Futures row.
    Positioning {
        snapshot: FuturesPositioning,
    },
    /// A new CFTC report on the E-mini Russell 2000 became public at the bar clock: the figures
    /// in contracts and dollars (`lev_money_short_usd`, `lev_money_net_usd`, `index_level`,
    /// `report`: `futures_only` / `combined`).
    PositioningReport {
        futures: crate::positioning::FuturesLine,
    },
    /// Anything else worth a line: mode changes, kill switch, snapshots.
    Info {
        message: String,
    },
}

/// A feed's health as the status bar says it.
pub fn health_text(h: &FeedHealth) -> String {
    match h {
        FeedHealth::Connected => "ok".into(),
        FeedHealth::Idle => "idle (market closed)".into(),
        FeedHealth::Stale { since } => format!("stale since {}", since.format("%m-%d %H:%M")),
        FeedHealth::Reconnecting { attempt } => format!("reconnecting (attempt {attempt})"),
        FeedHealth::Failed { error } => format!("failed: {error}"),
        FeedHealth::Ended => "replay ended".into(),
        FeedHealth::Backoff { reason, retry_at } => format!(
            "{reason}; retry at {} ET",
            retry_at
                .with_timezone(&chrono_tz::America::New_York)
                .format("%H:%M:%S")
        ),
        FeedHealth::Fallback { reason, to } => format!("{reason}; using {to}"),
    }
}
