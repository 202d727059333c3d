//! The simulator as a Reg T margin account: buying power beyond cash, and the interest a debit
//! balance pays by calendar day.

use rust_decimal::Decimal;

use super::{BrokerEvent, PaperBroker};

use crate::model::Bar;

impl PaperBroker {
    /// A new day: the debit balance pays `margin_rate` for the calendar days since the last one.
    pub(super) fn charge_interest(&mut self, bar: &Bar, events: &mut Vec<BrokerEvent>) {
        if self.interest_seen.replace(bar.time) == Some(bar.time) {
            return;
        }
        let day = crate::alpaca::session::ny_date(bar.time);
        let Some(last) = self.charged_to.replace(day) else {
            return;
        };
        let days = (day - last).num_days();
        if days <= 0 {
            self.charged_to = Some(last);
            return;
        }
        if self.cash >= Decimal::ZERO || self.margin_rate.is_zero() {
            return;
        }
        let amount =
            (-self.cash * self.margin_rate * Decimal::from(days) / Decimal::from(360)).round_dp(2);
        if amount > Decimal::ZERO {
            self.cash -= amount;
            events.push(BrokerEvent::Interest {
                amount,
                days,
                time: bar.time,
            });
        }
    }

    /// Buying power beyond cash: the margin the account's equity carries.
    pub(super) fn margin(&self) -> Decimal {
        (self.equity() * self.margin_per_equity).max(Decimal::ZERO)
    }
}
