//! The simulator as a Reg T margin account: buying power beyond cash, and the interest a debit
//! balance pays by calendar day.

use rust_decimal::Decimal;

use super::{BrokerEvent, PaperBroker};
use chrono::{DateTime, NaiveDate, Utc};

use crate::alpaca::session::ny_date;
use crate::alpaca::wire::ny_midnight;
use crate::model::Bar;

impl PaperBroker {
    /// A new day: the debit balance pays `margin_rate` for the calendar days since the last one.
    pub(super) fn charge_interest(&mut self, bar: &Bar, events: &mut Vec<BrokerEvent>) {
        let day = self.ny_day(bar.time);
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

    /// The New York calendar day of `t`, converted once per day.
    fn ny_day(&mut self, t: DateTime<Utc>) -> NaiveDate {
        if let Some((from, to, day)) = self.ny_day {
            if from <= t && t < to {
                return day;
            }
        }
        let day = ny_date(t);
        let span = ny_midnight(day).zip(day.succ_opt().and_then(ny_midnight));
        self.ny_day = span.map(|(from, to)| (from, to, day));
        day
    }

    /// Buying power beyond cash: the margin the account's equity carries.
    pub(super) fn margin(&self) -> Decimal {
        (self.equity() * self.margin_per_equity).max(Decimal::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::TimeZone;

    /// The cached day is the converted day at every hour of a year (DST changes included).
    #[test]
    fn the_cached_new_york_day_is_the_converted_one() {
        let mut b = PaperBroker::new(&Config::default_config().paper);
        let start = Utc.with_ymd_and_hms(2024, 12, 30, 0, 0, 0).unwrap();
        for h in 0..(24 * 370) {
            let t = start + chrono::Duration::minutes(h * 60 + (h % 7) * 7);
            assert_eq!(b.ny_day(t), ny_date(t), "{t}");
        }
    }
}
