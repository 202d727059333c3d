//! What the Alpaca broker sends and how often: its settings and the `POST /v2/orders` body.

use std::time::Duration;

use rust_decimal::Decimal;

use crate::alpaca::wire::NewOrder;
use crate::config::AlpacaConfig;
use crate::model::{OrderRequest, OrderType};

#[derive(Debug, Clone)]
pub struct AlpacaBrokerConfig {
    pub order_poll: Duration,
    pub account_poll: Duration,
    /// POST attempts (each after a lookup said 404) and lookups per settle.
    pub max_retries: u32,
    pub retry_base: Duration,
    pub client_side_stops: bool,
}

impl AlpacaBrokerConfig {
    pub fn from_config(c: &AlpacaConfig) -> Self {
        AlpacaBrokerConfig {
            order_poll: Duration::from_millis(c.order_poll_ms.max(1)),
            account_poll: Duration::from_millis(c.account_poll_ms.max(1)),
            max_retries: c.max_retries.max(1),
            retry_base: Duration::from_millis(c.retry_base_ms),
            client_side_stops: c.client_side_stops,
        }
    }
}

/// The request body: qty and prices as strings, day orders (cls for market on close), simple class.
pub fn new_order(o: &OrderRequest, client_side_stops: bool) -> Result<NewOrder, String> {
    if o.qty <= Decimal::ZERO {
        return Err(format!("quantity {} is not positive", o.qty));
    }
    let mut time_in_force = "day";
    let (order_type, limit_price, stop_price) = match o.order_type {
        OrderType::Market => ("market", None, None),
        OrderType::MarketOnClose => {
            time_in_force = "cls";
            ("market", None, None)
        }
        OrderType::Limit { limit_price } => {
            ("limit", Some(limit_price.normalize().to_string()), None)
        }
        OrderType::Stop { .. } if client_side_stops => {
            return Err(
                "stop orders are watched client-side (alpaca.client_side_stops = true)".into(),
            )
        }
        OrderType::Stop { stop_price } => ("stop", None, Some(stop_price.normalize().to_string())),
    };
    Ok(NewOrder {
        symbol: o.symbol.as_str().to_string(),
        qty: o.qty.normalize().to_string(),
        side: o.side.as_str(),
        order_type,
        time_in_force,
        limit_price,
        stop_price,
        client_order_id: o.client_order_id.as_str().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientOrderId, Side, Symbol};
    use rust_decimal_macros::dec;

    fn req(order_type: OrderType, qty: Decimal) -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId::new("s", 1),
            symbol: Symbol::Srty,
            side: Side::Sell,
            qty,
            order_type,
            signal_id: None,
            book: None,
            created: chrono::Utc::now(),
        }
    }

    #[test]
    fn body_uses_strings_and_day_orders() {
        let b = new_order(
            &req(
                OrderType::Limit {
                    limit_price: dec!(12.50),
                },
                dec!(7),
            ),
            true,
        )
        .unwrap();
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"symbol": "SRTY", "qty": "7", "side": "sell", "type": "limit",
                "time_in_force": "day", "limit_price": "12.5", "client_order_id": "da-s-1"})
        );
        let stop = OrderType::Stop {
            stop_price: dec!(9),
        };
        assert!(new_order(&req(stop, dec!(1)), true).is_err());
        assert_eq!(
            new_order(&req(stop, dec!(1)), false)
                .unwrap()
                .stop_price
                .as_deref(),
            Some("9")
        );
        assert!(new_order(&req(OrderType::Market, dec!(0)), true).is_err());
    }

    #[test]
    fn market_on_close_is_a_market_order_for_the_closing_auction() {
        let b = new_order(&req(OrderType::MarketOnClose, dec!(3)), true).unwrap();
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"symbol": "SRTY", "qty": "3", "side": "sell", "type": "market",
                "time_in_force": "cls", "client_order_id": "da-s-1"})
        );
    }
}
