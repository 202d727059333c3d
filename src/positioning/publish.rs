//! When each report became public, so a replay shows exactly what a trader knew at a bar: never a
//! report before its publication.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;

use crate::model::ShortInterest;

/// When a report's first-seen time is unknown, assume FINRA published it this many days after
/// settlement (its schedule is ~7 business days) so a replay does not peek at unpublished data.
pub const ASSUMED_SI_LAG_DAYS: u64 = 10;

/// The moment a replay stands at: the market day (for daily data: short interest, Reg SHO) and
/// the instant (for the CFTC's 15:30 ET Friday release).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
}

impl AsOf {
    /// The end of a market day: everything published that day is known.
    pub fn end_of(day: NaiveDate) -> AsOf {
        let at = day
            .and_hms_opt(23, 59, 59)
            .and_then(|t| New_York.from_local_datetime(&t).earliest())
            .map_or_else(
                || day.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc(),
                |t| t.with_timezone(&Utc),
            );
        AsOf { day, at }
    }

    /// The close of a bar that starts at `start` and lasts `secs` seconds: a report released at
    /// the bar's last second is known at its close, and a daily bar knows its whole day.
    pub fn bar_close(start: DateTime<Utc>, secs: i64) -> AsOf {
        AsOf {
            day: start.with_timezone(&New_York).date_naive(),
            at: start + chrono::Duration::seconds(secs.max(1) - 1),
        }
    }
}

/// CFTC releases a Traders in Financial Futures report on the Friday after its Tuesday (a holiday
/// week's Monday report too) at 15:30 ET. Worked out by the US daylight-saving rule (second
/// Sunday of March to first Sunday of November, since 2007) rather than a time-zone lookup: it is
/// on every refresh's path.
pub fn tff_published(report_date: NaiveDate) -> DateTime<Utc> {
    let from_mon = report_date.weekday().num_days_from_monday();
    let fri = Weekday::Fri.num_days_from_monday();
    let ahead = match (fri + 7 - from_mon) % 7 {
        0 => 7,
        n => n,
    };
    let day = report_date + Days::new(u64::from(ahead));
    let utc_hour = if eastern_summer_time(day) { 19 } else { 20 };
    day.and_hms_opt(utc_hour, 30, 0)
        .unwrap_or_default()
        .and_utc()
}

/// Whether New York keeps daylight time in the afternoon of `day`.
fn eastern_summer_time(day: NaiveDate) -> bool {
    let nth_sunday = |month: u32, n: u32| {
        let first = NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day);
        let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
        first + Days::new(u64::from(to_sunday + 7 * (n - 1)))
    };
    day >= nth_sunday(3, 2) && day < nth_sunday(11, 1)
}

/// The market day a short-interest report became public: first seen if known, else settlement +
/// the assumed lag.
pub fn si_published(r: &ShortInterest) -> NaiveDate {
    r.seen
        .map(|t| t.with_timezone(&New_York).date_naive())
        .unwrap_or(r.settlement_date + Days::new(ASSUMED_SI_LAG_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn tff_is_public_on_friday_at_1530_eastern() {
        // Summer (EDT): 19:30 UTC; winter (EST): 20:30 UTC; a holiday Monday report: that Friday.
        assert_eq!(
            tff_published(d("2025-08-05")).to_rfc3339(),
            "2025-08-08T19:30:00+00:00"
        );
        assert_eq!(
            tff_published(d("2025-01-07")).to_rfc3339(),
            "2025-01-10T20:30:00+00:00"
        );
        assert_eq!(tff_published(d("2018-12-31")).date_naive(), d("2019-01-04"));
        let friday_bar = AsOf::bar_close("2025-08-08T04:00:00Z".parse().unwrap(), 86_400);
        assert_eq!(friday_bar.day, d("2025-08-08"));
        assert!(tff_published(d("2025-08-05")) <= friday_bar.at);
        // A 15-minute bar that starts at 15:15 ET closes at the release: not before it.
        let before = AsOf::bar_close("2025-08-08T19:00:00Z".parse().unwrap(), 900);
        assert!(tff_published(d("2025-08-05")) > before.at);
        assert!(tff_published(d("2025-08-05")) <= AsOf::end_of(d("2025-08-08")).at);
        assert!(tff_published(d("2025-08-05")) > AsOf::end_of(d("2025-08-07")).at);
    }

    #[test]
    fn the_daylight_rule_agrees_with_the_time_zone_database() {
        let mut day = d("2007-03-01");
        while day < d("2035-01-01") {
            let local = day.and_hms_opt(15, 30, 0).unwrap();
            let want = New_York
                .from_local_datetime(&local)
                .single()
                .unwrap()
                .with_timezone(&Utc);
            let tuesday = day - Days::new(3);
            if day.weekday() == Weekday::Fri {
                assert_eq!(tff_published(tuesday), want, "{day}");
            }
            day = day.succ_opt().unwrap();
        }
    }
}
