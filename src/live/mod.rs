//! Live market hours: the market clock, each agent's "if it closes here" line, and the alerts
//! when a signal waits or a stop is near. (What they show, the forming bars and the clock's
//! state, is kept in the store: `store::live`.)

/// Bell, window title, desktop and webhook alerts when a signal waits or a stop is near.
pub mod alerts;
/// Market open/closed and time to the close, from Alpaca's clock and calendar.
pub mod market_clock;
/// `--feed alpaca` in market hours: the clock task and the market-data stream, REST as backfill.
pub mod stream;
/// Each agent's "if it closes here" line during market hours.
pub mod watch;
