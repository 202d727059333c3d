//! Orders, fills and positions. Money is `Decimal`; quantities are whole shares.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use super::client_order_id::ClientOrderId;
use super::Symbol;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OrderType {
    Market,
    Limit {
        limit_price: Decimal,
    },
    Stop {
        stop_price: Decimal,
    },
    /// Market on close (Alpaca: `type` market, `time_in_force` cls): fills in today's closing
    /// auction, or not at all.
    #[serde(rename = "market_on_close")]
    MarketOnClose,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub client_order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    pub order_type: OrderType,
    /// The signal this order answers, if any (flatten and kill-switch orders have none).
    pub signal_id: Option<u64>,
    /// The agent holding its fills belong to (None: flatten and other orders no agent proposed;
    /// their sells come off whatever the agents hold of the symbol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book: Option<super::AgentBook>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Intent recorded, not yet acknowledged by the venue.
    PendingNew,
    /// Sent, but the response was lost (timeout, 5xx, 429): must be settled by a lookup.
    Unknown,
    Accepted,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
    Expired,
}

impl OrderStatus {
    pub fn is_working(self) -> bool {
        matches!(
            self,
            OrderStatus::PendingNew
                | OrderStatus::Unknown
                | OrderStatus::Accepted
                | OrderStatus::PartiallyFilled
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub client_order_id: ClientOrderId,
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Decimal,
    pub price: Decimal,
    pub commission: Decimal,
    pub time: DateTime<Utc>,
}

impl Fill {
    /// Cash change of this fill: buys cost, sells pay, commission always costs.
    pub fn cash_delta(&self) -> Decimal {
        -self.side.sign() * self.qty * self.price - self.commission
    }
}

/// A net position. `qty` is signed (negative = short; the agents never short, but the venue may).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub symbol: Symbol,
    pub qty: Decimal,
    pub avg_price: Decimal,
    pub opened: DateTime<Utc>,
    /// Realized P&L of this symbol so far, commissions excluded.
    pub realized: Decimal,
}

impl Position {
    pub fn flat(symbol: Symbol, time: DateTime<Utc>) -> Self {
        Position {
            symbol,
            qty: Decimal::ZERO,
            avg_price: Decimal::ZERO,
            opened: time,
            realized: Decimal::ZERO,
        }
    }

    /// Apply a fill: average price on adds, realized P&L on reductions, flips handled.
    pub fn apply(&mut self, fill: &Fill) {
        let signed = fill.side.sign() * fill.qty;
        if self.qty.is_zero() {
            self.opened = fill.time;
        }
        let same_direction =
            self.qty.is_zero() || (self.qty.is_sign_positive() == signed.is_sign_positive());
        if same_direction {
            let new_qty = self.qty + signed;
            self.avg_price =
                (self.avg_price * self.qty.abs() + fill.price * fill.qty) / new_qty.abs();
            self.qty = new_qty;
        } else {
            let closing = fill.qty.min(self.qty.abs());
            let direction = if self.qty.is_sign_positive() {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            self.realized += (fill.price - self.avg_price) * closing * direction;
            let new_qty = self.qty + signed;
            if new_qty.is_zero() {
                self.avg_price = Decimal::ZERO;
            } else if new_qty.is_sign_positive() != self.qty.is_sign_positive() {
                self.avg_price = fill.price;
                self.opened = fill.time;
            }
            self.qty = new_qty;
        }
    }

    pub fn market_value(&self, price: Decimal) -> Decimal {
        self.qty * price
    }

    pub fn unrealized(&self, price: Decimal) -> Decimal {
        (price - self.avg_price) * self.qty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn fill(side: Side, qty: Decimal, price: Decimal) -> Fill {
        Fill {
            client_order_id: ClientOrderId::new("t", 1),
            symbol: Symbol::Twm,
            side,
            qty,
            price,
            commission: dec!(1),
            time: Utc.with_ymd_and_hms(2025, 1, 2, 14, 30, 0).unwrap(),
        }
    }

    #[test]
    fn position_averages_and_realizes() {
        let mut p = Position::flat(Symbol::Twm, Utc::now());
        p.apply(&fill(Side::Buy, dec!(100), dec!(10)));
        p.apply(&fill(Side::Buy, dec!(100), dec!(12)));
        assert_eq!(p.qty, dec!(200));
        assert_eq!(p.avg_price, dec!(11));
        p.apply(&fill(Side::Sell, dec!(50), dec!(13)));
        assert_eq!(p.qty, dec!(150));
        assert_eq!(p.realized, dec!(100));
        assert_eq!(p.avg_price, dec!(11));
        p.apply(&fill(Side::Sell, dec!(150), dec!(10)));
        assert!(p.qty.is_zero());
        assert_eq!(p.realized, dec!(-50));
    }

    #[test]
    fn cash_delta_signs() {
        assert_eq!(fill(Side::Buy, dec!(10), dec!(5)).cash_delta(), dec!(-51));
        assert_eq!(fill(Side::Sell, dec!(10), dec!(5)).cash_delta(), dec!(49));
    }
}
