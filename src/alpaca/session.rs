//! Market-session rules from `/v2/calendar`: when a bar is final, when today's session opened,
//! when the last one closed. Pure functions of the calendar and a `now`, so they unit-test.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::wire::CalendarDay;
use crate::model::Timeframe;

/// Intraday bars are aggregated a moment after their period ends; give the venue this long.
pub const SETTLE: Duration = Duration::seconds(2);

/// Trading days around today, with their regular-session open and close in UTC.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    days: Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)>,
}

pub fn ny_date(t: DateTime<Utc>) -> NaiveDate {
    crate::model::ny_day::ny_day(t)
}

impl Sessions {
    pub fn from_calendar(days: &[CalendarDay]) -> Self {
        let mut days: Vec<_> = days
            .iter()
            .filter_map(|d| d.session().map(|(o, c)| (d.date, o, c)))
            .collect();
        days.sort_by_key(|d| d.0);
        Sessions { days }
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    fn day(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.days
            .binary_search_by_key(&date, |d| d.0)
            .ok()
            .map(|i| (self.days[i].1, self.days[i].2))
    }

    /// Close of `date`'s session (13:00 on early-close days), if it is a known trading day.
    pub fn close_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        self.day(date).map(|(_, c)| c)
    }

    /// Open of the session `now` falls in (or today's, once open).
    pub fn open_of_today(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.day(ny_date(now)).map(|(o, _)| o).filter(|o| *o <= now)
    }

    /// The most recent close at or before `now`.
    pub fn last_close(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.days.iter().rev().map(|d| d.2).find(|c| *c <= now)
    }
}

/// A bar is final once its period has ended: intraday at start + length (+ a settle moment);
/// a daily bar (`t` = midnight New York) at that session's close, early closes included.
/// Days the calendar does not cover fall back to "a whole day has passed".
pub fn is_final(tf: Timeframe, t: DateTime<Utc>, now: DateTime<Utc>, sessions: &Sessions) -> bool {
    if tf.is_intraday() {
        return t + Duration::seconds(tf.seconds()) + SETTLE <= now;
    }
    match sessions.close_of(ny_date(t)) {
        Some(close) => close + SETTLE <= now,
        None => t + Duration::days(1) <= now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cal() -> Sessions {
        let day = |d: u32, close: &str| CalendarDay {
            date: NaiveDate::from_ymd_opt(2025, 7, d).unwrap(),
            open: "09:30".into(),
            close: close.into(),
        };
        Sessions::from_calendar(&[day(2, "16:00"), day(3, "13:00"), day(7, "16:00")])
    }

    fn utc(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 7, d, h, m, s).unwrap()
    }

    #[test]
    fn intraday_bar_is_final_after_its_period() {
        let t = utc(2, 14, 0, 0);
        let s = cal();
        assert!(!is_final(Timeframe::Min5, t, utc(2, 14, 4, 59), &s));
        assert!(!is_final(Timeframe::Min5, t, utc(2, 14, 5, 0), &s));
        assert!(is_final(Timeframe::Min5, t, utc(2, 14, 5, 2), &s));
    }

    #[test]
    fn daily_bar_is_final_at_the_close_including_early_closes() {
        let s = cal();
        let jul3 = utc(3, 4, 0, 0); // midnight New York (EDT)
        assert!(!is_final(Timeframe::Day1, jul3, utc(3, 16, 59, 0), &s));
        assert!(is_final(Timeframe::Day1, jul3, utc(3, 17, 0, 3), &s)); // 13:00 ET close
        let jul2 = utc(2, 4, 0, 0);
        assert!(!is_final(Timeframe::Day1, jul2, utc(2, 19, 59, 0), &s));
        assert!(is_final(Timeframe::Day1, jul2, utc(2, 20, 0, 3), &s));
        // Outside the calendar: a whole day.
        let old = Utc.with_ymd_and_hms(2024, 1, 2, 5, 0, 0).unwrap();
        assert!(is_final(Timeframe::Day1, old, utc(2, 0, 0, 0), &s));
    }

    #[test]
    fn last_close_and_open_of_today() {
        let s = cal();
        // Saturday July 5: last close is Thursday's early close.
        assert_eq!(s.last_close(utc(5, 15, 0, 0)), Some(utc(3, 17, 0, 0)));
        assert_eq!(s.open_of_today(utc(7, 14, 0, 0)), Some(utc(7, 13, 30, 0)));
        assert_eq!(s.open_of_today(utc(7, 12, 0, 0)), None);
        assert_eq!(s.open_of_today(utc(5, 15, 0, 0)), None);
    }
}
