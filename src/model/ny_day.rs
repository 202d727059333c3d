//! The New York calendar day of an instant, for loops that ask it of every bar.
//!
//! chrono-tz answers each question with a search of the zone's transitions; a daily backtest
//! asked it (through the simulator's interest day) 3,000 times, ≈ 6 % of its loop. New York's
//! offset is constant for months at a time, so it is asked once per stretch of instants it is
//! known to hold on, and a day is then an addition.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::America::New_York;

/// Shorter than the shortest gap between two of New York's clock changes (about four months
/// since 1967; tested): an offset found at both ends of such a stretch holds throughout it.
const STRETCH: Duration = Duration::days(28);

/// A stretch of instants is narrowed down to this around a clock change.
const RESOLUTION: Duration = Duration::minutes(1);

/// A stretch is followed this many [`STRETCH`]es at most (a year: a clock change comes sooner
/// wherever New York has one).
const HORIZON: i32 = 13;

/// New York's offset from UTC (seconds) at the instants `from..to` (Unix seconds).
#[derive(Debug, Clone, Copy)]
struct Held {
    from: i64,
    to: i64,
    offset: i64,
}

/// New York days of instants, with the last two offset stretches, the last day's instants and
/// the last midnight remembered. In Unix seconds: chrono's own comparisons and additions of
/// instants cost more than the lookups they replace.
#[derive(Debug, Clone, Copy, Default)]
struct NyDays {
    /// Newest first. Two, because a backtest asks from two places a little apart: its files'
    /// readers (the midnights of the rows ahead) and the simulator (the day of the bar at
    /// hand); with one, each took the other's away at every stretch's end.
    held: [Option<Held>; 2],
    /// The last midnight asked for: a backtest's files ask each day's in turn, and the stretch
    /// a midnight found starts at it, too close for the next file to read it there (see
    /// [`ny_midnight`]): each stretch was worked out once per file (≈ 3 % of a daily backtest).
    midnight: Option<(NaiveDate, DateTime<Utc>)>,
    /// The last day asked for, and the seconds `from..to` known to fall on it.
    today: Option<(i64, i64, NaiveDate)>,
}

impl NyDays {
    /// The New York calendar day `t` falls on: what `t.with_timezone(&New_York).date_naive()`
    /// says.
    fn day(&mut self, t: DateTime<Utc>) -> NaiveDate {
        let secs = t.timestamp();
        if let Some((from, to, day)) = self.today {
            if from <= secs && secs < to {
                return day;
            }
        }
        let h = match self
            .held
            .iter()
            .flatten()
            .find(|h| h.from <= secs && secs < h.to)
        {
            Some(h) => *h,
            None => self.keep(held_from(t)),
        };
        let days = (secs + h.offset).div_euclid(SECS_A_DAY);
        let day = i32::try_from(days + UNIX_EPOCH_FROM_CE)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt);
        match day {
            Some(day) => {
                let midnight = days * SECS_A_DAY - h.offset;
                let to = (midnight + SECS_A_DAY).min(h.to);
                self.today = Some((midnight.max(h.from), to, day));
                day
            }
            // Beyond chrono's calendar: let chrono say what it says there.
            None => t.with_timezone(&New_York).date_naive(),
        }
    }

    /// `h` as the newest stretch, the older of the two forgotten.
    fn keep(&mut self, h: Held) -> Held {
        self.held = [Some(h), self.held[0]];
        h
    }
}

thread_local! {
    /// This thread's last offset stretch and day, shared by [`ny_day`] and [`ny_midnight`].
    static DAYS: std::cell::RefCell<NyDays> = const {
        std::cell::RefCell::new(NyDays {
            held: [None; 2],
            today: None,
            midnight: None,
        })
    };
}

/// The New York calendar day of `t`, with this thread's last stretch and day remembered (see
/// [`NyDays`]): what `t.with_timezone(&New_York).date_naive()` says.
pub fn ny_day(t: DateTime<Utc>) -> NaiveDate {
    DAYS.with(|d| d.borrow_mut().day(t))
}

/// The instant New York's calendar day `day` starts, what `New_York.from_local_datetime(&day
/// 00:00).earliest()` says: a daily file's every row asks it (half of reading one was this).
/// Inside a remembered stretch, two hours clear of its start, the offset there is the offset
/// throughout: midnight is then neither skipped nor repeated.
pub fn ny_midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    let local = (i64::from(day.num_days_from_ce()) - UNIX_EPOCH_FROM_CE) * SECS_A_DAY;
    DAYS.with(|d| {
        let mut days = d.borrow_mut();
        if let Some((_, t)) = days.midnight.filter(|(last, _)| *last == day) {
            return Some(t);
        }
        let held = days.held.iter().flatten().find_map(|h| {
            let u = local - h.offset;
            (h.from <= u - 2 * 3_600 && u < h.to).then_some(u)
        });
        let t = match held {
            Some(u) => DateTime::from_timestamp(u, 0)?,
            None => {
                let t = New_York
                    .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                    .earliest()?
                    .with_timezone(&Utc);
                days.keep(held_from(t));
                t
            }
        };
        days.midnight = Some((day, t));
        Some(t)
    })
}

const SECS_A_DAY: i64 = 86_400;

/// 1970-01-01 counted in days from 0001-01-01 (day 1).
const UNIX_EPOCH_FROM_CE: i64 = 719_163;

fn offset_at(t: DateTime<Utc>) -> i64 {
    let secs = New_York
        .offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc();
    i64::from(secs)
}

/// The offset at `t` and how far past `t` it holds (up to the next clock change or [`HORIZON`]
/// stretches, the end excluded). At most one clock change lies within a [`STRETCH`]: one whose
/// ends have the same offset has none, and in the first whose ends differ the instants before
/// the change are found by halving. Up to the change, not one stretch: every stretch found
/// costs a dozen of chrono-tz's searches, and a daily file's rows found one every 20 rows.
fn held_from(t: DateTime<Utc>) -> Held {
    let offset = offset_at(t);
    let at = |d: Duration| t.checked_add_signed(d).map(offset_at);
    let mut same = Duration::zero();
    let mut stretches = 0;
    while stretches < HORIZON && at(same + STRETCH) == Some(offset) {
        same += STRETCH;
        stretches += 1;
    }
    if stretches < HORIZON {
        let mut changed = same + STRETCH;
        while changed - same > RESOLUTION {
            let mid = same + (changed - same) / 2;
            if at(mid) == Some(offset) {
                same = mid;
            } else {
                changed = mid;
            }
        }
    }
    // Whole seconds: the end rounds down (a shorter stretch), the start too (it is `t`'s own).
    Held {
        from: t.timestamp(),
        to: t.timestamp().saturating_add(same.num_seconds()),
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The conversion itself (what `alpaca::session::ny_date` does).
    fn ny_date(t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&New_York).date_naive()
    }

    /// The stretch rests on this: no two of New York's clock changes within [`STRETCH`], from
    /// 1967 (the Uniform Time Act) to 2100.
    #[test]
    fn new_york_changes_its_clock_months_apart() {
        let mut t = Utc.with_ymd_and_hms(1967, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        let (mut last_offset, mut last_change) = (offset_at(t), None::<DateTime<Utc>>);
        let mut changes = 0;
        while t < end {
            t += Duration::hours(1);
            let o = offset_at(t);
            if o != last_offset {
                if let Some(c) = last_change {
                    assert!(t - c > STRETCH, "changes at {c} and {t}");
                }
                (last_offset, last_change) = (o, Some(t));
                changes += 1;
            }
        }
        assert!(changes > 250, "{changes}");
    }

    /// Minute by minute across every clock change of 2019–2021, with the occasional jump back:
    /// the remembered day is the converted one.
    #[test]
    fn every_minute_around_the_clock_changes() {
        let mut days = NyDays::default();
        let mut t = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap();
        let mut n = 0u64;
        while t < end {
            assert_eq!(days.day(t), ny_date(t), "{t}");
            let back = t - Duration::hours(30);
            if n % 1_000 == 0 {
                assert_eq!(days.day(back), ny_date(back), "{back}");
            }
            // Through each change's hours minute by minute, elsewhere in 7-minute steps.
            let o = offset_at(t);
            let near =
                offset_at(t + Duration::hours(3)) != o || offset_at(t - Duration::hours(3)) != o;
            t += Duration::minutes(if near { 1 } else { 7 });
            n += 1;
        }
    }

    /// Day by day across every daylight change of 2006–2036, as a daily backtest goes (the
    /// weekend skipped, 09:30 or 10:30 New York time in turn, a 10-day gap now and then), through
    /// this thread's remembered stretch.
    #[test]
    fn a_bar_a_day_for_thirty_years() {
        use chrono::Datelike;
        let mut t = Utc.with_ymd_and_hms(2006, 1, 3, 14, 30, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2036, 1, 10, 0, 0, 0).unwrap();
        let mut n = 0;
        while t < end {
            assert_eq!(ny_day(t), ny_date(t), "{t}");
            let step = match n % 97 {
                96 => Duration::days(10),
                _ if ny_date(t).weekday() == chrono::Weekday::Fri => Duration::days(3),
                _ => Duration::days(1),
            };
            t += step + Duration::minutes(if n % 2 == 0 { 60 } else { -60 });
            n += 1;
        }
        assert!(n > 7_000, "{n}");
    }

    fn midnight_converted(day: NaiveDate) -> Option<DateTime<Utc>> {
        New_York
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Every day 1900–2100 in order, as a daily file is read, with a day of 2024 asked in
    /// between now and then: each midnight is the converted one.
    #[test]
    fn every_midnight_of_two_centuries() {
        let mut day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
        let mut n = 0;
        while day < end {
            assert_eq!(ny_midnight(day), midnight_converted(day), "{day}");
            // Never repeated either: `single` (the venue's wire format) says the same.
            let single = New_York
                .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .single()
                .map(|t| t.with_timezone(&Utc));
            assert_eq!(single, midnight_converted(day), "{day}");
            if n % 1_000 == 0 {
                let t = Utc.with_ymd_and_hms(2024, 3, 10, 6, 59, 0).unwrap();
                assert_eq!(ny_day(t), ny_date(t));
            }
            day = day.succ_opt().unwrap();
            n += 1;
        }
    }

    /// As a daily backtest over three files asks: each day's midnight three times in a row
    /// (a row of each file), then the day of the bar a day behind (the simulator), 1990–2040.
    #[test]
    fn three_files_and_the_simulator_a_day_behind() {
        let mut day = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2040, 1, 1).unwrap();
        let mut behind = None;
        while day < end {
            for _ in 0..3 {
                assert_eq!(ny_midnight(day), midnight_converted(day), "{day}");
            }
            if let Some(t) = behind {
                assert_eq!(ny_day(t), ny_date(t), "{t}");
            }
            behind = midnight_converted(day);
            day = day.succ_opt().unwrap();
        }
    }

    proptest! {
        /// Midnights of any days in any order, 1900–2100.
        #[test]
        fn any_midnights_in_any_order(days in proptest::collection::vec(0i64..73_000, 1..60)) {
            let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
            for n in days {
                let day = first + chrono::Days::new(n as u64);
                prop_assert_eq!(ny_midnight(day), midnight_converted(day), "{}", day);
            }
        }

        /// Instants in any order, 1970–2090: each day is the converted one.
        #[test]
        fn any_instants_in_any_order(secs in proptest::collection::vec(0i64..3_800_000_000, 1..60)) {
            let mut days = NyDays::default();
            for s in secs {
                let t = DateTime::from_timestamp(s, 0).unwrap();
                prop_assert_eq!(days.day(t), ny_date(t), "{}", t);
            }
        }
    }
}
