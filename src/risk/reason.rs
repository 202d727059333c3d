//! Why the risk gate refused an order, typed for the journal and worded for the trader.

use std::fmt;

use crate::model::money::{usd, usd_cents};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{ClientOrderId, Symbol};

/// Every way an order can fail the gate. The numbers are kept so the journal can be queried
/// ("how often did the beta cap bite?") and the text can quote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RefusalReason {
    /// The kill switch blocks every new order, exits included, until released.
    KillSwitch,
    /// Quantity zero or negative: nothing a venue could execute.
    InvalidQuantity {
        qty: Decimal,
    },
    /// The same client order id was already sent, or the signal already has an order.
    DuplicateOrder {
        client_order_id: ClientOrderId,
        signal_id: Option<u64>,
        /// The order that already exists (for a signal duplicate) or the repeated id.
        existing: ClientOrderId,
    },
    /// Runaway-loop guard: orders approved in the last 60 s.
    OrderRateLimit {
        in_last_minute: u32,
        max: u32,
    },
    /// Live trading only: the exchange is closed.
    MarketClosed,
    /// No fresh data: the last bar or quote is too old, or the feed reports a problem.
    StaleData {
        last_data: Option<DateTime<Utc>>,
        age_secs: Option<i64>,
        max_secs: u64,
        feed_ok: bool,
    },
    /// No price is known for the symbol, so exposure cannot be measured.
    NoPrice {
        symbol: Symbol,
    },
    /// The day's loss reached the limit: entries are halted until the next trading day.
    DailyLossLimit {
        loss: Decimal,
        start_equity: Decimal,
        limit_pct: Decimal,
        day: NaiveDate,
    },
    MaxOrderNotional {
        notional: Decimal,
        max: Decimal,
    },
    MaxPositionPct {
        symbol: Symbol,
        value: Decimal,
        equity: Decimal,
        max_pct: Decimal,
    },
    MaxGrossBeta {
        gross_beta: Decimal,
        equity: Decimal,
        max_multiple: Decimal,
    },
    /// A buy costs more (slippage and commission included) than the cash left once working
    /// buys are paid for: the venue would refuse it.
    InsufficientBuyingPower {
        need: Decimal,
        have: Decimal,
    },
}

impl RefusalReason {
    /// Short stable code for tables, filters and the journal's CSV.
    pub fn code(&self) -> &'static str {
        match self {
            RefusalReason::KillSwitch => "kill_switch",
            RefusalReason::InvalidQuantity { .. } => "invalid_quantity",
            RefusalReason::DuplicateOrder { .. } => "duplicate_order",
            RefusalReason::OrderRateLimit { .. } => "order_rate_limit",
            RefusalReason::MarketClosed => "market_closed",
            RefusalReason::StaleData { .. } => "stale_data",
            RefusalReason::NoPrice { .. } => "no_price",
            RefusalReason::DailyLossLimit { .. } => "daily_loss_limit",
            RefusalReason::MaxOrderNotional { .. } => "max_order_notional",
            RefusalReason::MaxPositionPct { .. } => "max_position_pct",
            RefusalReason::MaxGrossBeta { .. } => "max_gross_beta",
            RefusalReason::InsufficientBuyingPower { .. } => "insufficient_buying_power",
        }
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalReason::KillSwitch => {
                f.write_str("kill switch is on: no new orders until it is released")
            }
            RefusalReason::InvalidQuantity { qty } => write!(f, "quantity {qty} is not positive"),
            RefusalReason::DuplicateOrder {
                client_order_id,
                signal_id: Some(id),
                existing,
            } if existing != client_order_id => {
                write!(f, "signal {id} already has order {existing}")
            }
            RefusalReason::DuplicateOrder {
                client_order_id, ..
            } => write!(f, "order {client_order_id} was already sent"),
            RefusalReason::OrderRateLimit {
                in_last_minute,
                max,
            } => write!(
                f,
                "{in_last_minute} orders in the last minute: max {max} per minute"
            ),
            RefusalReason::MarketClosed => f.write_str("market is closed (live trading)"),
            RefusalReason::StaleData { feed_ok: false, .. } => {
                f.write_str("feed is not healthy: no orders on stale data")
            }
            RefusalReason::StaleData {
                age_secs: Some(age),
                max_secs,
                ..
            } => write!(f, "data is {age} s old > max {max_secs} s"),
            RefusalReason::StaleData { .. } => f.write_str("no market data received yet"),
            RefusalReason::NoPrice { symbol } => write!(f, "no price for {symbol} yet"),
            RefusalReason::DailyLossLimit {
                loss,
                start_equity,
                limit_pct,
                day,
            } => write!(
                f,
                "day loss {} ({}) of {} reached limit {}: entries halted for {day}",
                usd(*loss),
                pct_of(*loss, *start_equity),
                usd(*start_equity),
                pct(*limit_pct)
            ),
            RefusalReason::MaxOrderNotional { notional, max } => {
                write!(f, "order {} > max {}", usd(*notional), usd(*max))
            }
            RefusalReason::MaxPositionPct {
                symbol,
                value,
                equity,
                max_pct,
            } => write!(
                f,
                "{symbol} position {} would be {} of equity {} > max {}",
                usd(*value),
                pct_of(*value, *equity),
                usd(*equity),
                pct(*max_pct)
            ),
            RefusalReason::MaxGrossBeta {
                gross_beta,
                equity,
                max_multiple,
            } => write!(
                f,
                "gross beta exposure {} would exceed max {} ({}× equity)",
                usd(*gross_beta),
                usd(*equity * *max_multiple),
                max_multiple.normalize()
            ),
            RefusalReason::InsufficientBuyingPower { need, have } => write!(
                f,
                "insufficient buying power: need {}, have {}",
                usd_cents(*need),
                usd_cents(*have)
            ),
        }
    }
}

/// A fraction as a percentage with one decimal: 0.3 → `30.0%`.
pub fn pct(fraction: Decimal) -> String {
    format!("{:.1}%", fraction * Decimal::ONE_HUNDRED)
}

fn pct_of(part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        return "n/a %".into();
    }
    pct(part.abs() / whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn dollars_read_like_a_trader_writes_them() {
        let cases = [
            (dec!(61200), "$61,200"),
            (dec!(50000.4), "$50,000"),
            (dec!(999), "$999"),
            (dec!(1000), "$1,000"),
            (dec!(-3400.5), "-$3,401"),
            (dec!(1234567), "$1,234,567"),
            (dec!(0), "$0"),
        ];
        for (v, want) in cases {
            assert_eq!(usd(v), want, "{v}");
        }
        assert_eq!(pct(dec!(0.3)), "30.0%");
        let cents = [
            (dec!(3201.6), "$3,201.60"),
            (dec!(0.005), "$0.01"),
            (dec!(-0.4), "-$0.40"),
            (dec!(-1234.567), "-$1,234.57"),
            (dec!(100000), "$100,000.00"),
        ];
        for (v, want) in cents {
            assert_eq!(usd_cents(v), want, "{v}");
        }
    }

    #[test]
    fn texts_quote_the_numbers() {
        let r = RefusalReason::MaxOrderNotional {
            notional: dec!(61200),
            max: dec!(50000),
        };
        assert_eq!(r.to_string(), "order $61,200 > max $50,000");
        let r = RefusalReason::MaxPositionPct {
            symbol: Symbol::Twm,
            value: dec!(35000),
            equity: dec!(100000),
            max_pct: dec!(0.30),
        };
        assert_eq!(
            r.to_string(),
            "TWM position $35,000 would be 35.0% of equity $100,000 > max 30.0%"
        );
        let r = RefusalReason::StaleData {
            last_data: None,
            age_secs: Some(1250),
            max_secs: 900,
            feed_ok: true,
        };
        assert_eq!(r.to_string(), "data is 1250 s old > max 900 s");
        let r = RefusalReason::InsufficientBuyingPower {
            need: dec!(3201.6),
            have: dec!(3000),
        };
        assert_eq!(
            r.to_string(),
            "insufficient buying power: need $3,201.60, have $3,000.00"
        );
    }
}
