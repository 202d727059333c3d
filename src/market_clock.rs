//! The market clock: open or closed, and when today's session closes (early closes included).

use chrono::{DateTime, Utc};

/// What the live feeds need to know about the market right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct MarketState {
    pub open: bool,
    /// Close of the session in progress (or the next one when closed).
    pub next_close: Option<DateTime<Utc>>,
}
