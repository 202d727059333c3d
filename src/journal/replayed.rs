//! Replayed bars by the data's identity. A replay announces its next 8,192 bars before feeding
//! them (`FeedEvent::ReplayNext`): that sequence is stored once per content in `bar_sets` (as
//! history is), and the session's journal says how far the replay got — a `replayed` row per
//! commit naming the set and the part of it fed since the last row — instead of a row per bar
//! (which, with the JSON, the indexes and the WAL, held a fast replay to ≈ 80 k bars/s).
//!
//! Each bar is still checked: only a bar that is exactly the set's next one is counted; any other
//! (a feed that is not this replay, a bar the replay did not plan) is journaled as its own `bar`
//! row, after a `replayed` row for what came before it, so the journal's order stays the order
//! bars arrived in. A `replayed` row is written in the same transaction as the rows that
//! followed its bars, so a crash loses both or neither, as with batched bar rows.

use rusqlite::{params, OptionalExtension};

use super::{bar_blob, insert, sql_err, Entry, Journal, JournalError, Result};
use crate::model::{Bar, Symbol, Timeframe};

/// The replay the journal expects, and how far it has been fed and journaled.
#[derive(Debug)]
pub(super) struct Expected {
    fingerprint: String,
    timeframe: Timeframe,
    /// One digest per bar, in feed order: 8 bytes a bar instead of a second copy of the bars.
    digests: Vec<u64>,
    fed: usize,
    journaled: usize,
}

/// The next bars of a replay as the journal keeps them: a digest of each and the stored form.
/// Made by the replay's own task, so the session's thread (the one that has to keep up) only
/// writes them, once, if they are new.
#[derive(Clone, PartialEq, serde::Serialize)]
pub struct NextBars {
    pub timeframe: Timeframe,
    pub fingerprint: String,
    /// One digest per bar, in feed order: 8 bytes a bar instead of a second copy of the bars.
    #[serde(skip)]
    digests: Vec<u64>,
    /// The bars as stored (`bar_blob`).
    #[serde(skip)]
    stored: Vec<u8>,
}

/// Named and counted: the digests and bytes are thousands of numbers nobody reads in a log.
impl std::fmt::Debug for NextBars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextBars")
            .field("fingerprint", &self.fingerprint)
            .field("bars", &self.len())
            .finish()
    }
}

impl NextBars {
    pub fn new(timeframe: Timeframe, bars: &[(Symbol, Bar)]) -> Self {
        let digests: Vec<u64> = bars.iter().map(|(s, b)| digest(*s, timeframe, b)).collect();
        let whole = digests
            .iter()
            .fold(FNV_OFFSET, |h, d| fnv(h, &d.to_le_bytes()));
        let fingerprint = format!(
            "replay-{}-{}-{whole:016x}",
            timeframe.seconds(),
            digests.len()
        );
        let stored = bar_blob::encode(bars.iter().map(|(s, b)| (*s, b)));
        NextBars {
            timeframe,
            fingerprint,
            digests,
            stored,
        }
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

impl Journal {
    /// The live bars a replay is about to feed next, in feed order. Stores them unless this
    /// exact sequence is stored already; from now on each of them, arriving in order, costs a
    /// count. The bars expected before and not fed are expected no more.
    pub fn expect_replay(&mut self, next: NextBars) -> Result<()> {
        self.session.as_ref().ok_or(JournalError::NoSession)?;
        self.flush()?;
        if !self.replay_stored(&next.fingerprint)? {
            // One row: an announcement is a few thousand bars. (Journals of earlier versions
            // stored a whole replay as rows `#0`, `#1`, …, which `replay_set` still reads.)
            self.conn
                .execute(
                    "INSERT OR REPLACE INTO bar_sets (fingerprint, bars) VALUES (?1, ?2)",
                    params![chunk_key(&next.fingerprint, 0), next.stored],
                )
                .map_err(|e| self.sql(e))?;
        }
        self.expected = Some(Expected {
            fingerprint: next.fingerprint,
            timeframe: next.timeframe,
            digests: next.digests,
            fed: 0,
            journaled: 0,
        });
        Ok(())
    }

    /// Whether `bar` is the expected replay's next one; if so it is counted, not written.
    pub(super) fn take_expected(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bar: &Bar,
    ) -> bool {
        let Some(e) = self.expected.as_mut() else {
            return false;
        };
        let next = e.digests.get(e.fed).copied();
        if e.timeframe != timeframe || next != Some(digest(symbol, timeframe, bar)) {
            return false;
        }
        e.fed += 1;
        true
    }

    /// The `replayed` row for the expected bars fed since the last one, if any, in whatever
    /// transaction is open.
    pub(super) fn write_replayed(&mut self) -> Result<()> {
        let Some(e) = self.expected.as_mut().filter(|e| e.fed > e.journaled) else {
            return Ok(());
        };
        let entry = Entry::Replayed {
            timeframe: e.timeframe,
            fingerprint: e.fingerprint.clone(),
            from: e.journaled as u64,
            through: e.fed as u64,
        };
        e.journaled = e.fed;
        let session = self.session.clone().ok_or(JournalError::NoSession)?;
        let time = (self.clock)();
        insert(&self.conn, &session, time, &entry).map_err(|e| self.sql(e))?;
        Ok(())
    }

    fn replay_stored(&self, fingerprint: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM bar_sets WHERE fingerprint = ?1",
                [chunk_key(fingerprint, 0)],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| sql_err(&self.path, e))
    }

    /// A stored replay sequence (empty if it is not stored: a journal edited by hand).
    pub(super) fn replay_set(&self, fingerprint: &str) -> Result<Vec<(Symbol, Bar)>> {
        let mut out = Vec::new();
        for k in 0.. {
            let stored: Option<rusqlite::types::Value> = self
                .conn
                .query_row(
                    "SELECT bars FROM bar_sets WHERE fingerprint = ?1",
                    [chunk_key(fingerprint, k)],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| sql_err(&self.path, e))?;
            let Some(stored) = stored else { break };
            out.extend(bar_blob::decode(stored, |pair| pair)?);
        }
        Ok(out)
    }
}

fn chunk_key(fingerprint: &str, k: usize) -> String {
    format!("{fingerprint}#{k}")
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// FNV-1a over the symbol, timeframe and the bar's exact bits.
fn digest(symbol: Symbol, timeframe: Timeframe, b: &Bar) -> u64 {
    let mut h = fnv(FNV_OFFSET, &[symbol.index() as u8]);
    h = fnv(h, &timeframe.seconds().to_le_bytes());
    h = fnv(h, &b.time.timestamp_micros().to_le_bytes());
    for v in [b.open, b.high, b.low, b.close, b.volume] {
        h = fnv(h, &v.to_bits().to_le_bytes());
    }
    h
}

/// The replay sequence last read: the rows naming one follow each other (a replay announces its
/// bars a chunk at a time), so one held at a time reads each once and holds one chunk.
#[derive(Default)]
pub(super) struct ReplaySets {
    read: Option<(String, Vec<(Symbol, Bar)>)>,
}

impl ReplaySets {
    pub(super) fn part(
        &mut self,
        journal: &Journal,
        fingerprint: &str,
        from: u64,
        through: u64,
    ) -> Result<&[(Symbol, Bar)]> {
        if self.read.as_ref().is_none_or(|(f, _)| f != fingerprint) {
            let set = journal.replay_set(fingerprint)?;
            self.read = Some((fingerprint.to_string(), set));
        }
        let set = self.read.as_ref().map_or(&[][..], |(_, s)| s.as_slice());
        // A journal edited by hand may name more than is stored: what is there is what it has.
        let end = (through as usize).min(set.len());
        Ok(&set[(from as usize).min(end)..end])
    }
}
