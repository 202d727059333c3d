//! The simulator as a Reg T margin account: buying power beyond cash, and the interest a debit
//! balance pays by calendar day.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{BrokerEvent, PaperBroker};

use crate::model::ny_day::ny_midnight;
use crate::model::Bar;

impl PaperBroker {
    /// A new day: the debit balance pays `margin_rate` for the calendar days since the last one.
    pub(super) fn charge_interest(&mut self, bar: &Bar, events: &mut Vec<BrokerEvent>) {
        if self.interest_seen.replace(bar.time) == Some(bar.time) {
            return;
        }
        // The day already charged: what the days since it (0) would say below.
        if self
            .charged_span
            .is_some_and(|(from, to)| from <= bar.time && bar.time < to)
        {
            return;
        }
        let day = crate::alpaca::session::ny_date(bar.time);
        let Some(last) = self.charged_to.replace(day) else {
            return;
        };
        let days = (day - last).num_days();
        if days <= 0 {
            self.charged_to = Some(last);
            // A second instant of the charged day: the day's others are likely to follow
            // (intraday bars). Worked out here, not at each new day: a daily run never needs it.
            if days == 0 && self.charged_span.is_none() {
                self.charged_span = day_span(last);
            }
            return;
        }
        self.charged_span = None;
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

/// The instants whose New York day is `day`: from its midnight to the next one's.
fn day_span(day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((ny_midnight(day)?, ny_midnight(day.succ_opt()?)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The configured rate as written, and a day's interest on a $10,000 debit at it:
    /// 10,000 × 0.05 / 360 = 1.3888… → $1.39.
    #[test]
    fn the_rate_is_the_configured_one_and_a_day_costs_its_cents() {
        let mut cfg = Config::default_config().paper;
        cfg.margin_rate = 0.05;
        let mut b = PaperBroker::new(&cfg);
        assert_eq!(b.margin_rate.to_string(), "0.05");
        b.cash = Decimal::new(-10_000, 0);
        let mut events = Vec::new();
        let day = |d| crate::model::test_bar(d, 100.0, 101.0, 99.0, 100.0);
        b.charge_interest(&day(7), &mut events);
        b.charge_interest(&day(7), &mut events);
        b.charge_interest(&day(8), &mut events);
        assert!(
            matches!(events.as_slice(), [BrokerEvent::Interest { amount, days: 1, .. }] if amount.to_string() == "1.39"),
            "{events:?}"
        );
        assert_eq!(b.cash, Decimal::new(-1_000_139, 2));
    }

    /// The span a bar is known to be of the charged day by is exactly that day's instants, on
    /// ordinary days and across the clock changes, a minute at a time.
    #[test]
    fn a_day_span_holds_the_instants_of_its_new_york_day() {
        use crate::alpaca::session::ny_date;
        let start = DateTime::from_timestamp(1_520_000_000, 0).unwrap(); // 2018-03-02
        for minute in (0..2 * 366 * 24 * 60).step_by(7) {
            let t = start + chrono::Duration::minutes(minute);
            let day = ny_date(t);
            let (from, to) = day_span(day).unwrap();
            assert!(from <= t && t < to, "{t}: {from}..{to}");
            assert_eq!(ny_date(from), day, "{from}");
            assert_eq!(ny_date(to - chrono::Duration::seconds(1)), day, "{to}");
            assert_eq!(Some(ny_date(to)), day.succ_opt(), "{to}");
        }
    }
}
