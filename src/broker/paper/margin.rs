//! The simulator as a Reg T margin account: buying power beyond cash, and the interest a debit
//! balance pays by calendar day.

use rust_decimal::Decimal;

use super::{BrokerEvent, PaperBroker};

use crate::model::Bar;

impl PaperBroker {
    /// A new day: the debit balance pays `margin_rate` for the calendar days since the last one.
    pub(super) fn charge_interest(&mut self, bar: &Bar, events: &mut Vec<BrokerEvent>) {
        let day = self.ny_days.day(bar.time);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alpaca::session::ny_date;
    use crate::config::Config;
    use chrono::{Datelike, TimeZone, Utc};

    /// The cached day is the converted day at every hour of a year (DST changes included).
    #[test]
    fn the_cached_new_york_day_is_the_converted_one() {
        let mut b = PaperBroker::new(&Config::default_config().paper);
        let start = Utc.with_ymd_and_hms(2024, 12, 30, 0, 0, 0).unwrap();
        for h in 0..(24 * 370) {
            let t = start + chrono::Duration::minutes(h * 60 + (h % 7) * 7);
            assert_eq!(b.ny_days.day(t), ny_date(t), "{t}");
        }
    }

    /// Stepped day by day across every daylight change of 2006–2036, with a bar a day (the
    /// weekend skipped, as a daily backtest goes) and the occasional gap beyond the stepping.
    #[test]
    fn the_stepped_day_is_the_converted_one_across_thirty_years() {
        let mut b = PaperBroker::new(&Config::default_config().paper);
        let mut t = Utc.with_ymd_and_hms(2006, 1, 3, 14, 30, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2036, 1, 10, 0, 0, 0).unwrap();
        let mut n = 0;
        while t < end {
            assert_eq!(b.ny_days.day(t), ny_date(t), "{t}");
            // A weekday bar at 09:30 or 10:30 New York time in turn, a 10-day gap now and then.
            let step = match n % 97 {
                96 => chrono::Duration::days(10),
                _ if ny_date(t).weekday() == chrono::Weekday::Fri => chrono::Duration::days(3),
                _ => chrono::Duration::days(1),
            };
            t += step + chrono::Duration::minutes(if n % 2 == 0 { 60 } else { -60 });
            n += 1;
        }
        assert!(n > 7_000, "{n}");
    }
}
