//! The domain vocabulary shared by every layer: bars, symbols, orders, fills, positions, signals.

mod bar;
mod client_order_id;
pub use client_order_id::IdPrefix;
mod exits;
pub mod health;
pub mod money;
pub mod ny_day;
mod order;
mod positioning;
mod positions;
pub mod price;
mod reason_text;
pub mod record;
pub mod seen;
mod signal;

#[cfg(test)]
pub(crate) use bar::test_bar;
pub use bar::{Bar, Symbol, Timeframe, MAX_PRICE, MAX_VOLUME};
pub use exits::{BearTiers, StandingStop, Stops};
pub use health::{BrokerKind, FeedHealth, MarketState, Severity};
pub use order::{ClientOrderId, Fill, OrderRequest, OrderStatus, OrderType, Position, Side};
pub use positioning::{
    EvidenceFact, FactNumbers, FuturesPositioning, ShortEvidence, ShortInterest, ShortVolume,
    TffReport,
};
pub use positions::Positions;
pub use reason_text::ReasonText;
pub use signal::{
    Agent, AgentBook, Answer, Reason, ReasonKind, Signal, SignalKind, SignalRecord, SignalState,
};
