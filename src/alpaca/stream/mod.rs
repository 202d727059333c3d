//! Alpaca's websocket streams: Market Data v2 (bars, updated bars, daily bars, statuses) and the
//! trading `trade_updates` stream. Connection, auth and frame parsing only; reconnecting, muting
//! and falling back to REST are the feed's job (`feed::alpaca_stream`).

mod conn;
mod error;
mod trading;
pub mod wire;

pub use conn::{connect, Credentials, StreamConn};
pub use error::{ErrorClass, StreamError};
pub use trading::{connect_trading, TradeUpdate, TradingConn};
pub use wire::{parse_frame, StreamMsg, Subscription, WireBar};

/// Where the market-data stream lives; `/v2/{feed}` is appended.
pub const DEFAULT_STREAM_URL: &str = "wss://stream.data.alpaca.markets";
/// Points the market-data stream elsewhere (a loopback mock in tests).
pub const ENV_STREAM_URL: &str = "APCA_API_STREAM_URL";
