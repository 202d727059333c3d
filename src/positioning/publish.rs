//! When each report became public, so a replay shows exactly what a trader knew at a bar: never a
//! report before its publication.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;

use crate::model::ShortInterest;

/// FINRA disseminates short interest on the seventh business day after the settlement date
/// (its short-interest reporting rule: firms report by the second business day, FINRA publishes
/// on the seventh). The bundled reports carry no publication date, so a report whose first-seen
/// time is unknown becomes public on that day, counted by FINRA's rule over weekends and the
/// exchange holidays (`us_market_holiday`), not read from FINRA's published calendar.
pub const SI_DISSEMINATION_BUSINESS_DAYS: u32 = 7;

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
            day: crate::model::ny_day::ny_day(start),
            at: start + chrono::Duration::seconds(secs.max(1) - 1),
        }
    }
}

/// CFTC releases a Traders in Financial Futures report on the Friday after its Tuesday (a holiday
/// week's Monday report too) at 15:30 ET. Remembered per report date (one a week): every look at
/// what is public asks for a dozen of them, and the time-zone lookup was a tenth of a daily
/// backtest.
pub fn tff_published(report_date: NaiveDate) -> DateTime<Utc> {
    thread_local! {
        static KNOWN: std::cell::RefCell<rustc_hash::FxHashMap<NaiveDate, DateTime<Utc>>> =
            Default::default();
    }
    KNOWN.with(|k| {
        *k.borrow_mut()
            .entry(report_date)
            .or_insert_with(|| tff_release_at(tff_release_day(report_date)))
    })
}

/// The New York day of the release: the Friday after the report date (a week on for a Friday
/// report).
pub fn tff_release_day(report_date: NaiveDate) -> NaiveDate {
    let from_mon = report_date.weekday().num_days_from_monday();
    let fri = Weekday::Fri.num_days_from_monday();
    let ahead = match (fri + 7 - from_mon) % 7 {
        0 => 7,
        n => n,
    };
    report_date + Days::new(u64::from(ahead))
}

/// Whether the report of `report_date` is public at `at`. A release on a New York day before
/// `at.day` is (the instant is at or after that day's start): only a release on or after the day
/// needs the clock.
pub fn tff_public_at(report_date: NaiveDate, at: &AsOf) -> bool {
    tff_release_day(report_date) < at.day || tff_published(report_date) <= at.at
}

/// 15:30 New York time on the release day `day`.
pub fn tff_release_at(day: NaiveDate) -> DateTime<Utc> {
    let release = day.and_hms_opt(15, 30, 0).unwrap_or_default();
    New_York
        .from_local_datetime(&release)
        .single()
        .map_or_else(|| release.and_utc(), |t| t.with_timezone(&Utc))
}

/// The market day a short-interest report became public: first seen if known, else FINRA's
/// dissemination day for its settlement date.
pub fn si_published(r: &ShortInterest) -> NaiveDate {
    r.seen.map_or_else(
        || finra_dissemination(r.settlement_date),
        |t| t.with_timezone(&New_York).date_naive(),
    )
}

/// The seventh business day after `settlement` (see `SI_DISSEMINATION_BUSINESS_DAYS`).
/// Remembered per settlement date (two a month): every look at what is public asks again, and
/// counting over the holiday rules each time was a quarter of a daily backtest.
pub fn finra_dissemination(settlement: NaiveDate) -> NaiveDate {
    thread_local! {
        static KNOWN: std::cell::RefCell<rustc_hash::FxHashMap<NaiveDate, NaiveDate>> =
            Default::default();
    }
    KNOWN.with(|k| {
        *k.borrow_mut()
            .entry(settlement)
            .or_insert_with(|| count_dissemination(settlement))
    })
}

fn count_dissemination(settlement: NaiveDate) -> NaiveDate {
    let mut day = settlement;
    let mut counted = 0;
    while counted < SI_DISSEMINATION_BUSINESS_DAYS {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !us_market_holiday(day) {
            counted += 1;
        }
    }
    day
}

/// The US equity market's full-day holidays, by rule: New Year's Day, Martin Luther King Jr. Day,
/// Washington's Birthday, Good Friday, Memorial Day, Juneteenth (from 2022), Independence Day,
/// Labor Day, Thanksgiving and Christmas; a Sunday holiday is kept on Monday, a Saturday one on
/// Friday (New Year's Day on a Saturday is not moved into the old year). One-off closings (a
/// national day of mourning) are not known.
pub fn us_market_holiday(day: NaiveDate) -> bool {
    let y = day.year();
    let nth = |month: u32, weekday: Weekday, n: u32| {
        NaiveDate::from_weekday_of_month_opt(y, month, weekday, n as u8)
    };
    let last_monday_of_may = (1..=5).rev().find_map(|n| nth(5, Weekday::Mon, n));
    let observed = |month: u32, dom: u32| {
        NaiveDate::from_ymd_opt(y, month, dom).map(|h| match h.weekday() {
            Weekday::Sat => h.pred_opt().unwrap_or(h),
            Weekday::Sun => h.succ_opt().unwrap_or(h),
            _ => h,
        })
    };
    let new_year = NaiveDate::from_ymd_opt(y, 1, 1)
        .map(|h| match h.weekday() {
            Weekday::Sun => h.succ_opt().unwrap_or(h),
            _ => h,
        })
        .filter(|h| h.weekday() != Weekday::Sat);
    let fixed = [
        new_year,
        observed(7, 4),
        observed(12, 25),
        if y >= 2022 { observed(6, 19) } else { None },
    ];
    let floating = [
        nth(1, Weekday::Mon, 3),
        nth(2, Weekday::Mon, 3),
        last_monday_of_may,
        nth(9, Weekday::Mon, 1),
        nth(11, Weekday::Thu, 4),
        easter(y).and_then(|e| e.checked_sub_days(Days::new(2))),
    ];
    fixed.iter().chain(&floating).any(|h| *h == Some(day))
}

/// Easter Sunday (Gregorian; the anonymous algorithm of Meeus/Jones/Butcher).
fn easter(y: i32) -> Option<NaiveDate> {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn short_interest_is_public_on_finras_seventh_business_day() {
        // Issue 24's check: the 06-30 report is public by 07-18, the 07-15 one is not.
        assert_eq!(finra_dissemination(d("2025-06-30")), d("2025-07-10")); // over July 4th
        assert_eq!(finra_dissemination(d("2025-07-15")), d("2025-07-24"));
        assert_eq!(finra_dissemination(d("2025-06-13")), d("2025-06-25")); // over Juneteenth
        assert_eq!(finra_dissemination(d("2025-07-31")), d("2025-08-11")); // over a weekend
        assert_eq!(finra_dissemination(d("2024-03-28")), d("2024-04-09")); // over Good Friday
        assert_eq!(finra_dissemination(d("2021-12-31")), d("2022-01-11")); // New Year's on a Saturday
    }

    #[test]
    fn the_market_holidays_of_2025() {
        let mut got = Vec::new();
        let mut day = d("2025-01-01");
        while day <= d("2025-12-31") {
            if us_market_holiday(day) {
                got.push(day.to_string());
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(
            got,
            [
                "2025-01-01",
                "2025-01-20",
                "2025-02-17",
                "2025-04-18",
                "2025-05-26",
                "2025-06-19",
                "2025-07-04",
                "2025-09-01",
                "2025-11-27",
                "2025-12-25",
            ]
        );
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
    fn the_day_shortcut_agrees_with_the_clock() {
        // Every report Tuesday of 2018-2027 against bars of every kind around its release:
        // daily bars stamped at New York midnight or at 00:00 UTC, 15-minute bars, day ends.
        let mut report = d("2018-01-02");
        while report < d("2027-12-31") {
            let release = tff_release_day(report);
            for offset in -3..=3i64 {
                let day = release + chrono::Duration::days(offset);
                let midnight_ny = New_York
                    .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc);
                let utc_midnight = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
                let mut looks = vec![
                    AsOf::end_of(day),
                    AsOf::bar_close(midnight_ny, 86_400),
                    AsOf::bar_close(utc_midnight, 86_400),
                ];
                for q in 0..96 {
                    looks.push(AsOf::bar_close(
                        midnight_ny + chrono::Duration::minutes(15 * q),
                        900,
                    ));
                }
                for at in looks {
                    assert_eq!(
                        tff_public_at(report, &at),
                        tff_published(report) <= at.at,
                        "{report} at {at:?}"
                    );
                }
            }
            report = report + Days::new(7);
        }
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
