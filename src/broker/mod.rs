//! Brokers behave like venues: orders go in with a client order id, events come back.
//! The built-in paper simulator answers synchronously; Alpaca answers later through a channel.

pub mod alpaca;
mod alpaca_book;
mod alpaca_request;
pub mod paper;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{Bar, ClientOrderId, Fill, OrderRequest, Position, Symbol};

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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BrokerEvent {
    Accepted {
        client_order_id: ClientOrderId,
        broker_order_id: Option<String>,
    },
    Rejected {
        client_order_id: ClientOrderId,
        reason: String,
    },
    Filled(Fill),
    Canceled {
        client_order_id: ClientOrderId,
    },
    /// The venue may or may not have the order (timeout, 5xx, 429 on POST); a lookup will settle it.
    Unknown {
        client_order_id: ClientOrderId,
        error: String,
    },
    Account {
        cash: Decimal,
        equity: Decimal,
    },
    /// The venue's positions, for reconciliation at start and after reconnects.
    Positions {
        positions: Vec<Position>,
    },
    /// A problem worth showing in the status bar that concerns no single order.
    Error {
        message: String,
    },
}

pub trait Broker: Send {
    fn kind(&self) -> BrokerKind;
    /// Send an order. The id in `order` was journaled before this call.
    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent>;
    fn cancel(&mut self, client_order_id: &ClientOrderId) -> Vec<BrokerEvent>;
    /// A new bar of `symbol`: the simulator fills working orders here; real venues ignore it.
    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) -> Vec<BrokerEvent>;
}
