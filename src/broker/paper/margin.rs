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
        if let Some(span) = us_rule::day_span(t) {
            self.ny_day = Some(span);
            return span.2;
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

/// New York's day by the US daylight-saving rule in force since 2007 (daylight time from 2:00
/// local on the second Sunday of March to 2:00 local on the first Sunday of November) instead of
/// a time-zone lookup: with daily bars every bar starts a new day, and the three lookups a day
/// took were ≈ 15 % of a daily backtest's loop (callgrind). Other years go to the database.
mod us_rule {
    use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Utc, Weekday};

    const FIRST_YEAR: i32 = 2007;
    const LAST_YEAR: i32 = 2099;

    /// The `n`-th Sunday of `month` in `year`.
    fn nth_sunday(year: i32, month: u32, n: u64) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let to_sunday =
            (7 + Weekday::Sun.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
        first.checked_add_days(Days::new(u64::from(to_sunday) + 7 * (n - 1)))
    }

    /// Daylight time runs on local days after the March change up to and including the
    /// November one (a local midnight is never inside a change, which happens at 2:00).
    fn daylight_at_midnight(day: NaiveDate) -> Option<bool> {
        let (start, end) = (
            nth_sunday(day.year(), 3, 2)?,
            nth_sunday(day.year(), 11, 1)?,
        );
        Some(start < day && day <= end)
    }

    /// Local midnight of `day` in UTC.
    fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
        let hours = if daylight_at_midnight(day)? { 4 } else { 5 };
        Some(day.and_time(NaiveTime::MIN).and_utc() + Duration::hours(hours))
    }

    /// The UTC span of the New York day holding `t`, and that day; `None` outside the years
    /// the rule covers.
    pub(super) fn day_span(t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>, NaiveDate)> {
        let year = t.year();
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return None;
        }
        // The changes at 2:00 local: 07:00 UTC in March (from EST), 06:00 UTC in November.
        let start = nth_sunday(year, 3, 2)?.and_hms_opt(7, 0, 0)?.and_utc();
        let end = nth_sunday(year, 11, 1)?.and_hms_opt(6, 0, 0)?.and_utc();
        let hours = if start <= t && t < end { 4 } else { 5 };
        let day = (t - Duration::hours(hours)).date_naive();
        if !(FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
            return None;
        }
        let next = day.succ_opt()?;
        Some((midnight(day)?, midnight(next)?, day))
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

    /// The daylight rule gives the time-zone database's day and midnights at every hour from
    /// 2006 to 2036 (the rule's first year and the years around it, every change included),
    /// and leaves the years it does not cover to the database.
    #[test]
    fn the_daylight_rule_agrees_with_the_time_zone_database() {
        let start = Utc.with_ymd_and_hms(2006, 12, 25, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2036, 1, 10, 0, 0, 0).unwrap();
        let mut t = start;
        let mut checked = 0;
        while t < end {
            if let Some((from, to, day)) = us_rule::day_span(t) {
                assert_eq!(day, ny_date(t), "{t}");
                assert_eq!(Some(from), ny_midnight(day), "{t}");
                assert_eq!(day.succ_opt().and_then(ny_midnight), Some(to), "{t}");
                assert!(from <= t && t < to, "{t}");
                checked += 1;
            } else {
                assert!(
                    ny_date(t) < NaiveDate::from_ymd_opt(2007, 1, 1).unwrap(),
                    "{t}"
                );
            }
            t += chrono::Duration::minutes(60);
        }
        assert!(checked > 250_000, "{checked}");
        let old = Utc.with_ymd_and_hms(2001, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(us_rule::day_span(old), None);
        let mut b = PaperBroker::new(&Config::default_config().paper);
        assert_eq!(b.ny_day(old), ny_date(old), "the database answers");
    }
}
