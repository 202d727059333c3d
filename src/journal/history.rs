//! History bars by the data's identity. Every fresh session replays the same warm-up bars (the
//! embedded data, a file): journaled row by row that was thousands of rows and megabytes per
//! run, never pruned. Now the bars are stored once per distinct content in `bar_sets`, and a
//! session's journal holds one `history` row per symbol naming them by fingerprint; reading a
//! session's bars back (`session_bars`, `replay --session`) expands it.

use rusqlite::{params, OptionalExtension};

use super::{bar_blob, insert, sql_err, Entry, Journal, JournalError, Result};
use crate::model::{Bar, Symbol, Timeframe};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bar_sets (
    fingerprint TEXT PRIMARY KEY,
    bars        TEXT NOT NULL
);
";

impl Journal {
    /// A history (warm-up) burst by identity, in one transaction: the bars the first time this
    /// exact content is seen, and the session's `history` row every time.
    pub fn record_history(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bars: &[Bar],
    ) -> Result<u64> {
        let session = self.session.clone().ok_or(JournalError::NoSession)?;
        self.flush()?;
        let fingerprint = fingerprint(symbol, timeframe, bars);
        let time = (self.clock)();
        let stored = bar_blob::encode(bars.iter().map(|b| (symbol, b)));
        let path = self.path.clone();
        let sql = |e| sql_err(&path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT OR IGNORE INTO bar_sets (fingerprint, bars) VALUES (?1, ?2)",
            params![fingerprint, stored],
        )
        .map_err(sql)?;
        let entry = Entry::History {
            symbol,
            timeframe,
            fingerprint,
            bars: bars.len() as u64,
        };
        let seq = insert(&tx, &session, time, &entry).map_err(sql)?;
        tx.commit().map_err(sql)?;
        seq.ok_or(JournalError::NoSession)
    }

    /// The bars stored under `fingerprint` (empty if none are: a journal edited by hand).
    pub(super) fn bar_set(&self, fingerprint: &str) -> Result<Vec<Bar>> {
        let stored: Option<rusqlite::types::Value> = self
            .conn
            .query_row(
                "SELECT bars FROM bar_sets WHERE fingerprint = ?1",
                [fingerprint],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        match stored {
            Some(v) => bar_blob::decode(v, |(_, bar)| bar),
            None => Ok(Vec::new()),
        }
    }
}

/// FNV-1a over the symbol, timeframe and every bar's exact bits: the same content gives the
/// same name on every machine and build (a hash that changed would only store a set twice).
fn fingerprint(symbol: Symbol, timeframe: Timeframe, bars: &[Bar]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(symbol.index() as u64);
    eat(timeframe.seconds() as u64);
    eat(bars.len() as u64);
    for b in bars {
        eat(b.time.timestamp_micros() as u64);
        for v in [b.open, b.high, b.low, b.close, b.volume] {
            eat(v.to_bits());
        }
    }
    format!("{symbol}-{}-{h:016x}", bars.len())
}
