//! A bar file's records, split exactly as `csv::Reader` splits them with this crate's settings
//! (no headers, flexible widths, `,` and `"`, any of `\r`, `\n`, `\r\n` ending a record, blank
//! lines skipped, a UTF-8 BOM dropped, the crate's messages for bad UTF-8). A record without a
//! quote is copied whole and cut at its commas; one with a quote (and the first, which may carry
//! a BOM) goes through `csv_core`, the crate's own parser. The state machine for every byte was
//! ≈ 940 instructions a row, a tenth of a backtest over 1-minute files; a copy and a `memchr`
//! call a field were ≈ 600 more.

use std::io::{self, Read};

/// How much is read at a time (the `csv` crate's buffer).
const CHUNK: usize = 8 * 1024;

/// Why no record: the source failed (after which nothing more is read), or a row is not UTF-8.
#[derive(Debug)]
pub enum RowError {
    Io(io::Error),
    Utf8(String),
}

impl RowError {
    /// Whether nothing more can be read.
    pub fn fatal(&self) -> bool {
        matches!(self, RowError::Io(_))
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Io(e) => e.fmt(f),
            RowError::Utf8(m) => f.write_str(m),
        }
    }
}

pub struct Rows<R> {
    src: R,
    /// Read bytes are `buf[..end]` (the rest is room, kept from one read to the next so that
    /// it is not zeroed again), unread ones `buf[at..end]`.
    buf: Vec<u8>,
    at: usize,
    end: usize,
    eof: bool,
    failed: bool,
    core: csv_core::Reader,
    /// Where the `csv` crate's position stands: records read, line, bytes consumed.
    records: u64,
    line: u64,
    byte: u64,
    /// The record read by `csv_core`: its fields' bytes one after another (a plain record is
    /// not copied: it is read where it lies in `buf`, `len` bytes from `start`).
    out: Vec<u8>,
    inplace: bool,
    start: usize,
    len: usize,
    /// Where each field ends, once `split`. `sep` bytes lie between a field's end and the next
    /// one's start: a comma in a plain record, none from `csv_core` (which writes the fields
    /// alone). An ASCII plain record is cut only when asked for its fields: `direct` reads most
    /// rows without.
    ends: Vec<usize>,
    split: bool,
    sep: usize,
    /// The record holds no byte past ASCII (found with its commas), so it is UTF-8 as it is.
    ascii: bool,
}

impl<R: Read> Rows<R> {
    pub fn new(src: R) -> Self {
        Rows {
            src,
            buf: Vec::with_capacity(2 * CHUNK),
            at: 0,
            end: 0,
            eof: false,
            failed: false,
            core: csv_core::Reader::new(),
            records: 0,
            line: 1,
            byte: 0,
            out: Vec::new(),
            inplace: false,
            start: 0,
            len: 0,
            ends: Vec::new(),
            split: false,
            sep: 0,
            ascii: false,
        }
    }

    /// The next record; `Ok(false)` at the end (and after a failed read).
    pub fn read(&mut self) -> Result<bool, RowError> {
        self.out.clear();
        self.ends.clear();
        (self.inplace, self.split) = (false, false);
        if self.failed {
            return Ok(false);
        }
        let (line, byte) = (self.line, self.byte);
        let read = if self.records == 0 {
            self.quoted()
        } else {
            self.plain()
        };
        let more = match read {
            Ok(more) => more,
            Err(e) => {
                self.failed = true;
                return Err(RowError::Io(e));
            }
        };
        if !more {
            return Ok(false);
        }
        let record = self.records;
        self.records += 1;
        if let Some((field, valid)) = self.bad_utf8() {
            return Err(RowError::Utf8(format!(
                "CSV parse error: record {record} (line {line}, field: {field}, byte: {byte}): \
                 invalid utf-8: invalid UTF-8 in field {field} near byte index {valid}"
            )));
        }
        Ok(true)
    }

    /// The first field that is not UTF-8, and how far into it, as the `csv` crate checks each
    /// field: the whole record can be UTF-8 with a field boundary inside a character. An ASCII
    /// record (nearly every one) is UTF-8 field by field; another is checked as a whole once.
    fn bad_utf8(&self) -> Option<(usize, usize)> {
        if self.ascii {
            return None;
        }
        let record = self.record();
        let whole = std::str::from_utf8(record).is_ok();
        let inside = |&e: &usize| record.get(e).is_some_and(|&b| (0x80..0xC0).contains(&b));
        if whole && !self.ends.iter().any(inside) {
            return None;
        }
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            if let Err(e) = std::str::from_utf8(&record[start..end]) {
                return Some((i, e.valid_up_to()));
            }
            start = end + self.sep;
        }
        // A boundary inside a character of a UTF-8 record, each field UTF-8: said as field 0.
        whole.then_some((0, 0))
    }

    /// The record's bytes.
    fn record(&self) -> &[u8] {
        match self.inplace {
            true => &self.buf[self.start..self.start + self.len],
            false => &self.out,
        }
    }

    /// The record read, if it is plain ASCII (no quote): its bytes, commas and all.
    pub fn plain_ascii(&self) -> Option<&[u8]> {
        (self.inplace && self.ascii).then(|| self.record())
    }

    /// The record read, field by field.
    pub fn fields(&mut self) -> Fields<'_> {
        if !self.split && self.inplace {
            let record = &self.buf[self.start..self.start + self.len];
            commas(record, &mut self.ends);
            self.ends.push(self.len);
            self.split = true;
        }
        Fields {
            record: self.record(),
            ends: &self.ends,
            sep: self.sep,
        }
    }

    /// Reads once more into the buffer; false at the end of the source.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.at > 0 {
            self.buf.copy_within(self.at..self.end, 0);
            self.end -= self.at;
            self.at = 0;
        }
        let len = self.end;
        if self.buf.len() < len + CHUNK {
            self.buf.resize(len + CHUNK, 0);
        }
        let n = self.src.read(&mut self.buf[len..len + CHUNK])?;
        self.end = len + n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
        self.byte += n as u64;
    }

    /// A record cut at its commas, or handed to `quoted` if it has a quote.
    fn plain(&mut self) -> io::Result<bool> {
        // Blank lines: terminators before a record belong to no record.
        loop {
            match self.buf[self.at..self.end]
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
            {
                // Nearly every record follows the last one's line end directly: nothing to count.
                Some(0) => break,
                Some(k) => {
                    self.line +=
                        memchr::memchr_iter(b'\n', &self.buf[self.at..self.at + k]).count() as u64;
                    self.consume(k);
                    break;
                }
                None => {
                    let rest = self.end - self.at;
                    self.line +=
                        memchr::memchr_iter(b'\n', &self.buf[self.at..self.end]).count() as u64;
                    self.consume(rest);
                    if !self.fill()? {
                        return Ok(false);
                    }
                }
            }
        }
        let mut searched = 0;
        let (len, term) = loop {
            let rest = &self.buf[self.at..self.end];
            match memchr::memchr3(b'\n', b'\r', b'"', &rest[searched..]) {
                Some(k) if rest[searched + k] == b'"' => return self.quoted(),
                Some(k) => break (searched + k, Some(rest[searched + k])),
                None => {
                    searched = rest.len();
                    if !self.fill()? {
                        break (self.end - self.at, None);
                    }
                }
            }
        };
        (self.inplace, self.start, self.len, self.sep) = (true, self.at, len, 1);
        self.ascii = ascii(&self.buf[self.at..self.at + len]);
        if !self.ascii {
            // Cut now: each field is checked for UTF-8 on its own.
            self.fields();
        }
        self.line += u64::from(term == Some(b'\n'));
        self.consume(len + usize::from(term.is_some()));
        Ok(true)
    }

    /// A record read by `csv_core`, as the `csv` crate reads every record.
    fn quoted(&mut self) -> io::Result<bool> {
        use csv_core::ReadRecordResult::*;
        if self.out.len() < 64 {
            self.out.resize(64, 0);
        }
        if self.ends.len() < 16 {
            self.ends.resize(16, 0);
        }
        let (mut nout, mut nend) = (0, 0);
        self.sep = 0;
        self.core.set_line(self.line);
        let result = loop {
            if self.at == self.end && !self.eof {
                if let Err(e) = self.fill() {
                    self.line = self.core.line();
                    return Err(e);
                }
            }
            let input = &self.buf[self.at..self.end];
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            self.consume(nin);
            nout += o;
            nend += e;
            match res {
                InputEmpty => continue,
                OutputFull => {
                    let n = self.out.len();
                    self.out.resize(2 * n, 0);
                }
                OutputEndsFull => {
                    let n = self.ends.len();
                    self.ends.resize(2 * n, 0);
                }
                Record => break true,
                End => break false,
            }
        };
        self.line = self.core.line();
        self.out.truncate(nout);
        self.ends.truncate(nend);
        (self.split, self.ascii) = (true, self.out.is_ascii());
        Ok(result)
    }
}

/// A record's fields.
pub struct Fields<'a> {
    record: &'a [u8],
    ends: &'a [usize],
    sep: usize,
}

impl Fields<'_> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`'s bytes (UTF-8, once `read` said so), or `None` past the record's end.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.sep
        };
        self.record.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Whether every byte of `record` is ASCII: its words OR-ed together keep any high bit, the
/// last (partial) word read as the record's last eight bytes. The standard `is_ascii` took
/// ≈ 190 instructions on a 130-byte daily row.
fn ascii(record: &[u8]) -> bool {
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
    let mut words = record.chunks_exact(8);
    let mut high = 0;
    for w in &mut words {
        high |= word(w);
    }
    match record.len().checked_sub(8) {
        Some(last) => high |= word(&record[last..]),
        None => {
            high = words
                .remainder()
                .iter()
                .fold(high, |h, &b| h | u64::from(b))
        }
    }
    high & 0x8080_8080_8080_8080 == 0
}

/// Where each comma of `record` is, in order, appended to `ends`. Eight bytes at a time: a byte
/// XOR `,` is zero at a comma, and `!((x & 0x7F) + 0x7F | x) & 0x80` flags exactly the zero
/// bytes (the sum cannot carry into the next byte). `memchr_iter` was a call a field.
fn commas(record: &[u8], ends: &mut Vec<usize>) {
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const COMMAS: u64 = 0x2C2C_2C2C_2C2C_2C2C;
    let mut i = 0;
    while let Some(chunk) = record.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ COMMAS;
        let mut zero = !(((x & LOW) + LOW) | x) & !LOW;
        while zero != 0 {
            ends.push(i + zero.trailing_zeros() as usize / 8);
            zero &= zero - 1;
        }
        i += 8;
    }
    for (k, &c) in record[i..].iter().enumerate() {
        if c == b',' {
            ends.push(i + k);
        }
    }
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
