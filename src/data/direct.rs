//! A plain row read in one pass. The general path (`loader::parse_record`) cuts a record at
//! every comma, then takes each field, trims it and reads it: on 1-minute files that was more
//! than the reading of the numbers themselves. Here each wanted field is converted where it
//! lies, the comma after it found by the conversion's own end, and the fields nobody reads are
//! not cut.
//!
//! Only what the general path would read the same way is read here: a time in one of the two
//! forms vendors write (`stamp::rfc3339_field`), plain decimals (`number::plain_field`), each
//! ending right at a comma or the row's end. Anything else (spaces, other forms of time or
//! number, a missing field) is left to the general path, which reads it or says why not.

use super::loader::{parse_record, Columns, Row};
use super::number::plain_field;
use super::rows::Rows;
use super::stamp::rfc3339_field;
use crate::model::Bar;

/// What a wanted column is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Slot {
    Time,
    /// A number: open, high, low, close, volume, split (its index in `row`'s values).
    Number(usize),
}

/// The wanted columns (time; open, high, low, close; volume and split when the file has them)
/// in the order a row holds them.
pub(super) fn order(
    time: usize,
    prices: [usize; 4],
    volume: Option<usize>,
    split: Option<usize>,
) -> Vec<(usize, Slot)> {
    let mut order = vec![(time, Slot::Time)];
    let numbers = prices.into_iter().map(Some).chain([volume, split]);
    for (k, col) in numbers.enumerate() {
        order.extend(col.map(|c| (c, Slot::Number(k))));
    }
    order.sort_by_key(|(col, _)| *col);
    order
}

/// The record `rows` just read: `Ok(None)` for a blank row, `Err` with why a row is skipped.
/// A plain row is read in one pass; what that pass leaves, `parse_record` reads.
pub(super) fn parse_row<R: std::io::Read>(
    cols: &Columns,
    rows: &mut Rows<R>,
    line: usize,
) -> Result<Option<Row>, String> {
    if let Some(row) = rows.plain_ascii().and_then(|r| row(cols, r, line)) {
        return Ok(Some(row));
    }
    parse_record(cols, &rows.fields(), line)
}

/// The row a plain ASCII record `record` (no quote, no line end) holds, if every wanted field
/// is read plainly: what `loader::parse_record` makes of the same record.
pub(super) fn row(cols: &Columns, record: &[u8], line: usize) -> Option<Row> {
    let mut stamp = None;
    // Open, high, low, close, volume, split.
    let mut v = [0.0; 6];
    // Where field `col` starts; past the record's end once its last field is read.
    let (mut at, mut col) = (0, 0);
    for &(want, slot) in &cols.order {
        while col < want {
            at += memchr::memchr(b',', record.get(at..)?)? + 1;
            col += 1;
        }
        let rest = record.get(at..)?;
        let len = match slot {
            Slot::Time => {
                let (s, n) = rfc3339_field(rest)?;
                stamp = Some(s);
                n
            }
            Slot::Number(k) => {
                let (x, n) = plain_field(rest)?;
                v[k] = x;
                n
            }
        };
        at += len + 1;
        col += 1;
    }
    let stamp = stamp?;
    let [open, high, low, close, volume, split] = v;
    let bar = Bar {
        time: stamp.utc,
        open,
        high,
        low,
        close,
        volume: if cols.volume.is_some() { volume } else { 0.0 },
    };
    let split = Some(split)
        .filter(|s| cols.split.is_some() && *s > 0.0 && s.is_finite())
        .unwrap_or(1.0);
    Some(Row {
        line,
        stamp,
        bar,
        split,
    })
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
