//! A bar file read as it is replayed, not all at once. Held whole (text, rows, bars, and the
//! replay's copy), 900 k bars of 1-minute data took 180 MB; read row by row, what a replay holds
//! does not grow with the file.
//!
//! The rows are the loader's: the same columns, parsing, refusals and warnings. Two layouts can
//! only be read whole and are: newest-first files (Alpha Vantage), and raw prices with a split
//! column (a row's adjustment depends on every later split). Both are daily vendor files of a
//! few thousand rows. A file that ends within the look-ahead is read whole too, so a small file
//! loads exactly as `load_bars` loads it.

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::bounded::LineLimit;
use super::direct::parse_row;
use super::loader::{self, header, refusal, Columns, Row};
use super::rows::Rows;
use super::{LoadError, LoadWarning};
use crate::model::Bar;

/// A bar, or a row skipped on the way to the next one.
pub type Item = Result<Bar, LoadWarning>;

/// Rows read before the first bar is handed out: enough to tell a daily file, a descending one
/// and the timeframe.
const LOOKAHEAD: usize = 1_024;

/// The bars of one file in ascending time, with the skipped rows in line order among them.
pub struct BarReader {
    file: String,
    daily: bool,
    ahead: VecDeque<Item>,
    rest: Option<Rest>,
}

/// The part of a streamed file not read yet.
struct Rest {
    rows: Rows<LineLimit<File>>,
    cols: Columns,
    line: usize,
    last: Option<DateTime<Utc>>,
    /// The reader failed for good (a runaway line).
    ended: bool,
}

impl BarReader {
    pub fn open(path: &Path) -> Result<Self, LoadError> {
        let file = path.display().to_string();
        let io = |source| LoadError::Io {
            file: file.clone(),
            source,
        };
        let mut rows = Rows::new(LineLimit::new(File::open(path).map_err(io)?));
        let cols = header(&file, &mut rows)?;
        if cols.split.is_some() {
            return Self::whole(path);
        }
        let mut rest = Rest {
            rows,
            cols,
            line: 1,
            last: None,
            ended: false,
        };
        let mut rows: Vec<Row> = Vec::new();
        let mut skipped: Vec<LoadWarning> = Vec::new();
        while rows.len() < LOOKAHEAD {
            match rest.row(&file) {
                None => return Self::whole(path),
                Some(Ok(row)) => rows.push(row),
                Some(Err(w)) => skipped.push(w),
            }
        }
        if rows[0].bar.time > rows[rows.len() - 1].bar.time {
            return Self::whole(path);
        }
        let daily = rows.iter().all(Row::midnight);
        let mut reader = BarReader {
            file,
            daily,
            ahead: VecDeque::with_capacity(rows.len() + skipped.len()),
            rest: None,
        };
        let mut skipped = skipped.into_iter().peekable();
        for row in rows {
            while let Some(w) = skipped.next_if(|w| w.line < row.line) {
                reader.ahead.push_back(Err(w));
            }
            let item = accept(&reader.file, daily, &mut rest, row);
            reader.ahead.push_back(item);
        }
        reader.ahead.extend(skipped.map(Err));
        reader.rest = Some(rest);
        Ok(reader)
    }

    /// The file read by `load_bars`: its warnings first, then its bars.
    fn whole(path: &Path) -> Result<Self, LoadError> {
        let loaded = loader::load_file(path)?;
        let mut ahead: VecDeque<Item> = loaded.warnings.into_iter().map(Err).collect();
        ahead.extend(loaded.bars.into_iter().map(Ok));
        Ok(BarReader {
            file: path.display().to_string(),
            daily: loaded.daily,
            ahead,
            rest: None,
        })
    }

    /// Every bar sits at midnight of its session (judged by the look-ahead when streamed).
    pub fn daily(&self) -> bool {
        self.daily
    }

    /// The bars read ahead so far (the first ones of the file), to tell the timeframe.
    pub fn first_bars(&self) -> impl Iterator<Item = &Bar> {
        self.ahead.iter().filter_map(|i| i.as_ref().ok())
    }
}

/// A parsed row made the file's next bar, or refused with why.
fn accept(file: &str, daily: bool, rest: &mut Rest, mut row: Row) -> Item {
    if daily && row.midnight() {
        row.at_session_midnight();
    }
    match refusal(&row, rest.last) {
        Some(message) => Err(warning(file, row.line, message)),
        None => {
            rest.last = Some(row.bar.time);
            Ok(row.bar)
        }
    }
}

impl Iterator for BarReader {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(item) = self.ahead.pop_front() {
            return Some(item);
        }
        // Borrowed where it lies: `Rest` holds `csv_core`'s tables (some 2 KB), and taking it
        // out and back was two copies a row.
        let rest = self.rest.as_mut()?;
        let Some(next) = rest.row(&self.file) else {
            self.rest = None;
            return None;
        };
        Some(match next {
            Ok(row) => accept(&self.file, self.daily, rest, row),
            Err(w) => Err(w),
        })
    }
}

impl Rest {
    /// The next parsed row or skipped one; `None` at the end of the file.
    fn row(&mut self, file: &str) -> Option<Result<Row, LoadWarning>> {
        loop {
            if self.ended {
                return None;
            }
            self.line += 1;
            let line = self.line;
            match self.rows.read() {
                Ok(false) => return None,
                Ok(true) => match parse_row(&self.cols, &mut self.rows, line) {
                    Ok(Some(row)) => return Some(Ok(row)),
                    Ok(None) => {}
                    Err(why) => return Some(Err(warning(file, line, why))),
                },
                // Nothing more can be read: said once, then the file ends.
                Err(e) if e.fatal() => {
                    self.ended = true;
                    return Some(Err(warning(file, line, e.to_string())));
                }
                Err(e) => return Some(Err(warning(file, line, format!("unreadable row: {e}")))),
            }
        }
    }
}

fn warning(file: &str, line: usize, message: String) -> LoadWarning {
    LoadWarning::skipped(file, line, message)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
