//! Feeds: tasks that bring bars and snapshots into the app loop as typed events, with their health.

pub mod alpaca;
mod alpaca_config;
pub mod alpaca_stream;
/// CFTC Traders in Financial Futures (E-mini Russell 2000 / Nasdaq-100 positioning).
pub mod cftc;
/// FINRA short interest and Reg SHO daily short volume.
pub mod finra;
pub mod forming;
pub mod plan;
pub mod replay;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Bar, FuturesPositioning, ShortInterest, ShortVolume, Symbol, Timeframe};

pub use crate::model::FeedHealth;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedEvent {
    /// Bars before the live start: history and indicator warm-up, processed in one go.
    History {
        symbol: Symbol,
        timeframe: Timeframe,
        bars: Vec<Bar>,
    },
    /// A piece of a symbol's history with more of it to follow (a long replay's warm-up goes in
    /// pieces); the last piece is a `History`.
    HistoryPart {
        symbol: Symbol,
        timeframe: Timeframe,
        bars: Vec<Bar>,
    },
    /// A new closed bar, as if live.
    Bar {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
    },
    /// The bars a replay feeds next, in order, sent before them: the journal stores the
    /// sequence once by its content and counts each bar as it arrives instead of writing it.
    ReplayNext(crate::journal::NextBars),
    /// The bar still forming (today's daily bar, or the current intraday bar): drawn, never
    /// given to the engine, which sees only closed `Bar`s.
    Forming {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
    },
    /// The market clock changed (open/closed, today's close).
    Market(crate::model::MarketState),
    /// `signals.decide_before_close_minutes` before today's `close` (sent once a session by the
    /// market clock, `at` the moment it fired): decide on the forming daily bar now.
    DecideAtClose {
        at: chrono::DateTime<chrono::Utc>,
        close: chrono::DateTime<chrono::Utc>,
    },
    Health {
        source: String,
        health: FeedHealth,
    },
    ShortInterest(ShortInterest),
    ShortVolume(ShortVolume),
    Positioning(FuturesPositioning),
    /// A feed's problem worth a line in the status bar (a skipped bar, a bad payload).
    Warning {
        source: String,
        message: String,
    },
    /// The record of each signal kind from the embedded daily history run through the same
    /// rules up to the first live bar, `until`: the records beside signals start from it.
    Records {
        records: crate::model::record::Records,
        until: DateTime<Utc>,
    },
}

impl FeedEvent {
    /// A piece of a symbol's history: `HistoryPart` while `more` follows, else `History`.
    pub fn history(symbol: Symbol, timeframe: Timeframe, bars: Vec<Bar>, more: bool) -> Self {
        if more {
            FeedEvent::HistoryPart {
                symbol,
                timeframe,
                bars,
            }
        } else {
            FeedEvent::History {
                symbol,
                timeframe,
                bars,
            }
        }
    }
}
