//! A bar file's timestamps: every layout vendors write, offsets or New York time, dates alone or
//! epoch seconds.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::America::New_York;
use std::cell::Cell;

/// A parsed timestamp; `date_only` when it carries no time of day (or midnight, which vendors
/// use for daily bars).
pub(super) struct Stamp {
    pub(super) utc: DateTime<Utc>,
    pub(super) local_date: NaiveDate,
    pub(super) midnight: bool,
}

pub(super) fn parse_time(b: &[u8]) -> Option<Stamp> {
    rfc3339_plain(b).or_else(|| any_layout(std::str::from_utf8(b).ok()?))
}

fn any_layout(s: &str) -> Option<Stamp> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(Stamp {
            utc: dt.with_timezone(&Utc),
            local_date: dt.date_naive(),
            midnight: dt.time() == NaiveTime::MIN,
        });
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(Stamp {
                utc: dt.with_timezone(&Utc),
                local_date: dt.date_naive(),
                midnight: dt.time() == NaiveTime::MIN,
            });
        }
    }
    // No offset: US equity data without one is in New York time.
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            let local = New_York.from_local_datetime(&naive).earliest()?;
            return Some(Stamp {
                utc: local.with_timezone(&Utc),
                local_date: naive.date(),
                midnight: naive.time() == NaiveTime::MIN,
            });
        }
    }
    for fmt in ["%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(Stamp {
                utc: session_midnight(d),
                local_date: d,
                midnight: true,
            });
        }
    }
    if let Ok(secs) = s.parse::<i64>() {
        let utc = DateTime::from_timestamp(secs, 0)?;
        let local = utc.with_timezone(&New_York);
        return Some(Stamp {
            utc,
            local_date: local.date_naive(),
            midnight: local.hour() == 0 && local.minute() == 0,
        });
    }
    None
}

/// A daily bar's time: midnight New York of its session, in UTC (Alpaca's convention too).
pub fn session_midnight(d: NaiveDate) -> DateTime<Utc> {
    crate::model::ny_day::ny_midnight(d)
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

/// The stamp a row's field starts `r` with, in one of `rfc3339_plain`'s two forms, and its
/// length, if a comma or the row's end follows it: then the field is that stamp (the forms hold
/// no comma or space), and this is what `parse_time` reads of it.
pub(super) fn rfc3339_field(r: &[u8]) -> Option<(Stamp, usize)> {
    let ends_at = |n: usize| r.get(n).map_or(r.len() == n, |&b| b == b',');
    let n = if ends_at(20) {
        20
    } else if ends_at(25) {
        25
    } else {
        return None;
    };
    Some((rfc3339_plain(&r[..n])?, n))
}

/// The stamp of a row written `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD HH:MM:SS±HH:MM` (1-minute
/// files, yfinance), as `parse_from_rfc3339` reads it, without its general path (a third of a
/// row's parse); `None` for any other form, leap seconds and fractions included.
fn rfc3339_plain(b: &[u8]) -> Option<Stamp> {
    if b.len() != 20 && b.len() != 25 {
        return None;
    }
    let f: &[u8; 20] = b[..20].try_into().ok()?;
    let punctuated = matches!(f[10], b'T' | b' ') && f[13] == b':' && f[16] == b':';
    if !punctuated {
        return None;
    }
    let date = same_date(&f[..10])?;
    let (hour, minute, second) = (two(f, 11)?, two(f, 14)?, two(f, 17)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let east = match (b.len(), f[19]) {
        (20, b'Z') => 0,
        (25, sign @ (b'+' | b'-')) if b[22] == b':' => {
            let o: &[u8; 20] = b[5..].try_into().ok()?;
            let (h, m) = (two(o, 15)?, two(o, 18)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let local = date.and_hms_opt(hour, minute, second)?;
    let utc = match east {
        0 => local,
        e => local.checked_sub_offset(FixedOffset::east_opt(e)?)?,
    };
    Some(Stamp {
        utc: Utc.from_utc_datetime(&utc),
        local_date: date,
        midnight: hour == 0 && minute == 0 && second == 0,
    })
}

thread_local! {
    /// The last date `same_date` read, and its ten bytes.
    static LAST_DATE: Cell<Option<(u64, u16, NaiveDate)>> = const { Cell::new(None) };
}

/// `plain_date`, the last date remembered: a 1-minute file writes each date 390 times in a row,
/// and comparing ten bytes is a tenth of reading them as a date (chrono's checks, ≈ 100
/// instructions a row).
fn same_date(b: &[u8]) -> Option<NaiveDate> {
    let (Some(head), Some(tail)) = (b.first_chunk::<8>(), b.get(8..10)) else {
        return plain_date(b);
    };
    let key = (
        u64::from_le_bytes(*head),
        u16::from_le_bytes([tail[0], tail[1]]),
    );
    LAST_DATE.with(|last| {
        if let Some((h, t, date)) = last.get() {
            if (h, t) == key && b.len() == 10 {
                return Some(date);
            }
        }
        let date = plain_date(b)?;
        last.set(Some((key.0, key.1, date)));
        Some(date)
    })
}

/// `YYYY-MM-DD` as `str::parse::<NaiveDate>` reads it, without chrono's general format parser;
/// `None` for any other form (the callers fall back to chrono).
pub(crate) fn plain_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = two(b, 0)? * 100 + two(b, 2)?;
    NaiveDate::from_ymd_opt(year as i32, two(b, 5)?, two(b, 8)?)
}

/// The two digits at `i` as a number.
#[inline(always)]
fn two(f: &[u8], i: usize) -> Option<u32> {
    let (x, y) = (f[i].wrapping_sub(b'0'), f[i + 1].wrapping_sub(b'0'));
    (x < 10 && y < 10).then_some(u32::from(x) * 10 + u32::from(y))
}

#[cfg(test)]
#[path = "stamp_tests.rs"]
mod tests;
