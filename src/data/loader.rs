//! One loader for every bar layout we meet: yfinance (daily and intraday, offsets, extra columns),
//! Alpha Vantage (descending, `split_coefficient`), Tiingo (`Splitfactor`, raw + adjusted) and plain
//! `time,open,high,low,close,volume`. Columns are found by name in any order and any case.
//!
//! Impossible rows are skipped with a warning naming the file and line; the rest loads.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::bounded::{excerpt, LineLimit};
use super::direct::{self, Slot};
use super::rows::{Fields, Rows};
pub use super::stamp::session_midnight;
use super::stamp::{parse_time, Stamp};
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
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    #[error("{file}: no valid bars ({skipped} rows skipped)")]
    NoBars { file: String, skipped: usize },
}

/// A skipped row, with where it was and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadWarning {
    pub file: String,
    pub line: usize,
    pub message: String,
    /// The row was left out; false: it loaded, and this is what looks wrong about it.
    pub skipped: bool,
}

impl LoadWarning {
    pub fn skipped(file: &str, line: usize, message: String) -> Self {
        LoadWarning {
            file: file.to_string(),
            line,
            message,
            skipped: true,
        }
    }

    /// What the status bar says of it, beside the file's name: `line 12: skipped: …`.
    pub fn skipped_line(&self) -> String {
        format!("line {}: {}", self.line, self.text())
    }

    fn text(&self) -> String {
        match self.skipped {
            true => format!("skipped: {}", self.message),
            false => self.message.clone(),
        }
    }
}

impl std::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.text())
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
    use std::io::Read;
    let file = path.display().to_string();
    let io = |source| LoadError::Io {
        file: file.clone(),
        source,
    };
    let mut text = String::new();
    LineLimit::new(std::fs::File::open(path).map_err(io)?)
        .read_to_string(&mut text)
        .map_err(io)?;
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

pub(super) struct Columns {
    time: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    pub(super) volume: Option<usize>,
    /// Prices are raw and need the split column's adjustment, which reads the file from its end.
    pub(super) split: Option<usize>,
    /// The columns read, in the order a row holds them (see `direct`).
    pub(super) order: Vec<(usize, Slot)>,
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
            header: excerpt(&header.join(",")),
        })
    };
    let (time, open, high, low, close) = (
        need(TIME, "time")?,
        need(OPEN, "open")?,
        need(HIGH, "high")?,
        need(LOW, "low")?,
        need(CLOSE, "close")?,
    );
    let (volume, split) = (find(VOLUME), find(RAW_SPLIT));
    Ok(Columns {
        time,
        open,
        high,
        low,
        close,
        volume,
        split,
        order: direct::order(time, [open, high, low, close], volume, split),
    })
}

/// A price or volume. A plain decimal (nearly every field) needs none of `other_num`'s checks;
/// kept apart, they no longer make every field pay the registers they use (≈ 60 instructions).
#[inline]
fn parse_num(b: &[u8]) -> Option<f64> {
    super::number::parse_plain(b).or_else(|| other_num(b))
}

#[cold]
#[inline(never)]
fn other_num(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.eq_ignore_ascii_case("null") || s.eq_ignore_ascii_case("nan") {
        return None;
    }
    // Thousands separators ("1,234.5") are rare: only then is the field copied.
    if s.contains(',') {
        return super::number::parse_f64(&s.replace(',', ""));
    }
    super::number::parse_f64(s)
}

pub(super) struct Row {
    pub(super) line: usize,
    pub(super) stamp: Stamp,
    pub(super) bar: Bar,
    pub(super) split: f64,
}

impl Row {
    /// Whether the bar sits at midnight: a daily file's bars all do.
    pub(super) fn midnight(&self) -> bool {
        self.stamp.midnight
    }

    /// A daily bar's time is midnight New York of its session, whatever offset the file wrote.
    pub(super) fn at_session_midnight(&mut self) {
        self.bar.time = session_midnight(self.stamp.local_date);
    }
}

/// The columns a file's header names, or why they cannot be found.
pub(super) fn header<R: std::io::Read>(
    file: &str,
    rows: &mut Rows<R>,
) -> Result<Columns, LoadError> {
    match rows.read() {
        Ok(true) => {}
        Err(e) if e.fatal() => {
            return Err(LoadError::Unreadable {
                file: file.to_string(),
                message: e.to_string(),
            })
        }
        _ => {
            return Err(LoadError::Empty {
                file: file.to_string(),
            })
        }
    }
    let header: Vec<String> = rows.fields().iter().map(text).collect();
    find_columns(file, &header)
}

/// A field as text: `Rows` hands out UTF-8 fields only, so nothing is replaced.
fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

/// One record: `Ok(None)` for a blank row, `Err` with why a row is skipped.
pub(super) fn parse_record(
    cols: &Columns,
    rec: &Fields,
    line: usize,
) -> Result<Option<Row>, String> {
    let get = |i: usize| rec.get(i).unwrap_or_default().trim_ascii();
    // A row with a time is not blank: only a row without one has its every field looked at.
    if get(cols.time).is_empty() && rec.iter().all(|f| f.trim_ascii().is_empty()) {
        return Ok(None);
    }
    let Some(stamp) = parse_time(get(cols.time)) else {
        return Err(format!(
            "unreadable time `{}`",
            excerpt(&text(get(cols.time)))
        ));
    };
    let price = |i: usize| parse_num(get(i));
    let (Some(open), Some(high), Some(low), Some(close)) = (
        price(cols.open),
        price(cols.high),
        price(cols.low),
        price(cols.close),
    ) else {
        return Err("missing or unreadable price".into());
    };
    let volume = match cols.volume.map(get) {
        None => 0.0,
        Some(v) => {
            parse_num(v).ok_or_else(|| format!("unreadable volume `{}`", excerpt(&text(v))))?
        }
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
    Ok(Some(Row {
        line,
        stamp,
        bar,
        split,
    }))
}

/// Why a parsed row is not the file's next bar, if it is not: impossible prices, or a time that
/// does not come after the last bar kept.
pub(super) fn refusal(row: &Row, last: Option<DateTime<Utc>>) -> Option<String> {
    if let Some(why) = row.bar.impossibility() {
        return Some(format!("impossible bar at {}: {why}", row.stamp.local_date));
    }
    let last = last?;
    if row.bar.time == last {
        return Some(format!("duplicate time {}", row.bar.time));
    }
    (row.bar.time < last).then(|| format!("out-of-order time {} (after {last})", row.bar.time))
}

/// Load bars from CSV text. `file` names the source in warnings.
pub fn load_bars(file: &str, text: &str) -> Result<Loaded, LoadError> {
    let mut rows = Rows::new(text.as_bytes());
    let cols = header(file, &mut rows)?;
    let mut warnings = Vec::new();
    let mut warn =
        |line: usize, message: String| warnings.push(LoadWarning::skipped(file, line, message));

    let mut parsed = Vec::new();
    for line in 2.. {
        match rows.read() {
            Ok(false) => break,
            Ok(true) => match direct::parse_row(&cols, &mut rows, line) {
                Ok(Some(row)) => parsed.push(row),
                Ok(None) => {}
                Err(why) => warn(line, why),
            },
            Err(e) if e.fatal() => {
                return Err(LoadError::Unreadable {
                    file: file.to_string(),
                    message: e.to_string(),
                })
            }
            Err(e) => warn(line, format!("unreadable row: {e}")),
        }
    }

    // Alpha Vantage writes newest first; a file is descending when its ends say so.
    if parsed.len() >= 2 && parsed[0].bar.time > parsed[parsed.len() - 1].bar.time {
        parsed.reverse();
    }

    let daily = !parsed.is_empty() && parsed.iter().all(Row::midnight);
    if daily {
        parsed.iter_mut().for_each(Row::at_session_midnight);
    }

    warnings.extend(super::plausible::splits_already_applied(file, &mut parsed));

    // Back-adjust raw prices for splits: a 1:4 reverse split (coefficient 0.25) on day D means
    // every earlier price is divided by 0.25 and earlier volume multiplied by it.
    let mut factor = 1.0;
    for r in parsed.iter_mut().rev() {
        if factor != 1.0 {
            r.bar.open /= factor;
            r.bar.high /= factor;
            r.bar.low /= factor;
            r.bar.close /= factor;
            r.bar.volume *= factor;
        }
        factor *= r.split;
    }

    let mut bars: Vec<Bar> = Vec::with_capacity(parsed.len());
    for r in parsed {
        match refusal(&r, bars.last().map(|b| b.time)) {
            Some(why) => warnings.push(LoadWarning::skipped(file, r.line, why)),
            None => {
                if let Some(why) = bars
                    .last()
                    .and_then(|p| super::plausible::impossible_move(p, &r))
                {
                    warnings.push(LoadWarning {
                        file: file.to_string(),
                        line: r.line,
                        message: why,
                        skipped: false,
                    });
                }
                bars.push(r.bar)
            }
        }
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
