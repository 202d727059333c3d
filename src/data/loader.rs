//! One loader for every bar layout we meet: yfinance (daily and intraday, offsets, extra columns),
//! Alpha Vantage (descending, `split_coefficient`), Tiingo (`Splitfactor`, raw + adjusted) and plain
//! `time,open,high,low,close,volume`. Columns are found by name in any order and any case.
//!
//! Impossible rows are skipped with a warning naming the file and line; the rest loads.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::America::New_York;

use crate::model::Bar;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: no header row")]
    Empty { file: String },
    #[error("{file}: no `{column}` column (header: {header})")]
    MissingColumn {
        file: String,
        column: &'static str,
        header: String,
    },
    #[error("{file}: no valid bars ({skipped} rows skipped)")]
    NoBars { file: String, skipped: usize },
}

/// A skipped row, with where it was and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadWarning {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: skipped: {}", self.file, self.line, self.message)
    }
}

#[derive(Debug, Clone)]
pub struct Loaded {
    /// Ascending, unique times, split-consistent.
    pub bars: Vec<Bar>,
    pub warnings: Vec<LoadWarning>,
    /// Every bar sits at midnight of its session (a daily file).
    pub daily: bool,
}

pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        file: file.clone(),
        source,
    })?;
    load_bars(&file, &text)
}

/// Which header names mean what. Raw traded prices win over adjusted ones when both exist,
/// because split adjustment is applied here from the split column and dividends are not prices.
const TIME: &[&str] = &["time", "timestamp", "datetime", "date", "t"];
const OPEN: &[&str] = &["open", "o"];
const HIGH: &[&str] = &["high", "h"];
const LOW: &[&str] = &["low", "l"];
const CLOSE: &[&str] = &["close", "c"];
const VOLUME: &[&str] = &["volume", "v", "vol"];
/// Split columns of vendors that ship raw prices (Alpha Vantage, Tiingo). yfinance's
/// `Stock Splits` column is informational: its prices are already adjusted.
const RAW_SPLIT: &[&str] = &["splitcoefficient", "splitfactor"];

fn norm(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

struct Columns {
    time: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: Option<usize>,
    split: Option<usize>,
}

fn find_columns(file: &str, header: &[String]) -> Result<Columns, LoadError> {
    let index: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (norm(h), i))
        .collect();
    let find = |names: &[&str]| names.iter().find_map(|n| index.get(*n).copied());
    let need = |names: &[&str], column: &'static str| {
        find(names).ok_or_else(|| LoadError::MissingColumn {
            file: file.to_string(),
            column,
            header: header.join(","),
        })
    };
    Ok(Columns {
        time: need(TIME, "time")?,
        open: need(OPEN, "open")?,
        high: need(HIGH, "high")?,
        low: need(LOW, "low")?,
        close: need(CLOSE, "close")?,
        volume: find(VOLUME),
        split: find(RAW_SPLIT),
    })
}

/// A parsed timestamp; `date_only` when it carries no time of day (or midnight, which vendors
/// use for daily bars).
struct Stamp {
    utc: DateTime<Utc>,
    local_date: NaiveDate,
    midnight: bool,
}

fn parse_time(s: &str) -> Option<Stamp> {
    let s = s.trim();
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
    New_York
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

fn parse_num(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("null") || s.eq_ignore_ascii_case("nan") {
        return None;
    }
    s.replace(',', "").parse::<f64>().ok()
}

struct Row {
    line: usize,
    stamp: Stamp,
    bar: Bar,
    split: f64,
}

/// Load bars from CSV text. `file` names the source in warnings.
pub fn load_bars(file: &str, text: &str) -> Result<Loaded, LoadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(str::to_string).collect(),
        _ => {
            return Err(LoadError::Empty {
                file: file.to_string(),
            })
        }
    };
    let cols = find_columns(file, &header)?;
    let mut warnings = Vec::new();
    let mut warn = |line: usize, message: String| {
        warnings.push(LoadWarning {
            file: file.to_string(),
            line,
            message,
        })
    };

    let mut rows = Vec::new();
    for (i, rec) in records.enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                warn(line, format!("unreadable row: {e}"));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |i: usize| rec.get(i).unwrap_or("");
        let Some(stamp) = parse_time(get(cols.time)) else {
            warn(line, format!("unreadable time `{}`", get(cols.time)));
            continue;
        };
        let nums: Vec<Option<f64>> = [cols.open, cols.high, cols.low, cols.close]
            .iter()
            .map(|&i| parse_num(get(i)))
            .collect();
        let [Some(open), Some(high), Some(low), Some(close)] = nums[..] else {
            warn(line, "missing or unreadable price".into());
            continue;
        };
        let volume = match cols.volume.map(get) {
            None => 0.0,
            Some(v) => match parse_num(v) {
                Some(v) => v,
                None => {
                    warn(line, format!("unreadable volume `{v}`"));
                    continue;
                }
            },
        };
        let split = cols
            .split
            .and_then(|i| parse_num(get(i)))
            .filter(|s| *s > 0.0 && s.is_finite())
            .unwrap_or(1.0);
        let bar = Bar {
            time: stamp.utc,
            open,
            high,
            low,
            close,
            volume,
        };
        rows.push(Row {
            line,
            stamp,
            bar,
            split,
        });
    }

    // Alpha Vantage writes newest first; a file is descending when its ends say so.
    if rows.len() >= 2 && rows[0].bar.time > rows[rows.len() - 1].bar.time {
        rows.reverse();
    }

    let daily = !rows.is_empty() && rows.iter().all(|r| r.stamp.midnight);
    if daily {
        for r in &mut rows {
            r.bar.time = session_midnight(r.stamp.local_date);
        }
    }

    // Back-adjust raw prices for splits: a 1:4 reverse split (coefficient 0.25) on day D means
    // every earlier price is divided by 0.25 and earlier volume multiplied by it.
    let mut factor = 1.0;
    for r in rows.iter_mut().rev() {
        if factor != 1.0 {
            r.bar.open /= factor;
            r.bar.high /= factor;
            r.bar.low /= factor;
            r.bar.close /= factor;
            r.bar.volume *= factor;
        }
        factor *= r.split;
    }

    let mut bars: Vec<Bar> = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(why) = r.bar.impossibility() {
            warn(
                r.line,
                format!("impossible bar at {}: {why}", r.stamp.local_date),
            );
            continue;
        }
        if let Some(last) = bars.last() {
            if r.bar.time == last.time {
                warn(r.line, format!("duplicate time {}", r.bar.time));
                continue;
            }
            if r.bar.time < last.time {
                warn(
                    r.line,
                    format!("out-of-order time {} (after {})", r.bar.time, last.time),
                );
                continue;
            }
        }
        bars.push(r.bar);
    }
    warnings.sort_by_key(|w| w.line);
    if bars.is_empty() {
        return Err(LoadError::NoBars {
            file: file.to_string(),
            skipped: warnings.len(),
        });
    }
    Ok(Loaded {
        bars,
        warnings,
        daily,
    })
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod tests;
