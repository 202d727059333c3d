//! Bars in batches. One transaction per bar bounded a fast replay at ≈ 800 bars/s; with
//! batching on, bars, feed-health changes, stops, and the signals and answers the bars give
//! rise to share one transaction, committed when it holds `max_rows` rows, when it is `MAX_AGE`
//! old, when the caller has nothing more queued (`flush`), and — first — whenever anything else
//! is recorded. A broker echo or an order intent still commits at once, with every row before
//! it, and the session flushes after every trader's key, so a trader's answer is never held back.
//!
//! After a crash the journal is exactly as it was at some commit: a signal (or an expiry, or an
//! auto-acknowledgement) is lost only together with the bar that produced it, and a resumed
//! replay re-feeds the bars after its last committed bar, which derives it again — what it
//! does for a bar cut off today. Order intents stay `synchronous=FULL` (see `record`).

use std::time::{Duration, Instant};

use super::{Entry, Journal, Result};

/// A batch older than this is committed at the next bar, so a slow feed loses at most this
/// much on a crash (a fast one loses at most `max_rows` bars, re-fed on resume either way).
const MAX_AGE: Duration = Duration::from_millis(250);

#[derive(Debug, Default)]
pub(super) struct Batch {
    /// 0: off (every entry is its own transaction).
    max_rows: usize,
    rows: usize,
    opened: Option<Instant>,
}

impl Journal {
    /// Batch bars from now on, at most `max_rows` to a transaction (0 turns it off). The caller
    /// calls `flush` when its queue is empty, so nothing waits for a next bar that never comes.
    pub fn batch_bars(&mut self, max_rows: usize) -> Result<()> {
        self.flush()?;
        self.batch.max_rows = max_rows;
        Ok(())
    }

    /// Commit the open batch, if any.
    pub fn flush(&mut self) -> Result<()> {
        if self.batch.opened.is_some() {
            // Replayed bars counted in this batch are named by the same commit.
            self.write_replayed()?;
            self.batch.opened = None;
            self.batch.rows = 0;
            self.conn.execute_batch("COMMIT").map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// A replayed bar counted instead of written: it fills the batch like a row would.
    pub(super) fn count_replayed(&mut self) -> Result<()> {
        if self.batch.max_rows == 0 {
            return self.write_replayed();
        }
        self.batch_begin()?;
        self.batch_end()
    }

    pub(super) fn batches(&self, entry: &Entry) -> bool {
        self.batch.max_rows > 0
            && matches!(
                entry,
                Entry::Bar { .. }
                    | Entry::FeedHealth { .. }
                    | Entry::Stops { .. }
                    | Entry::AgentMemory { .. }
                    | Entry::Signal { .. }
                    | Entry::Answer { .. }
            )
    }

    /// Before a batched row: open the transaction if none is.
    pub(super) fn batch_begin(&mut self) -> Result<()> {
        if self.batch.opened.is_none() {
            self.conn.execute_batch("BEGIN").map_err(|e| self.sql(e))?;
            self.batch.opened = Some(Instant::now());
        }
        Ok(())
    }

    /// After a batched row: commit if the batch is full or old.
    pub(super) fn batch_end(&mut self) -> Result<()> {
        self.batch.rows += 1;
        let old = self.batch.opened.is_some_and(|t| t.elapsed() >= MAX_AGE);
        if self.batch.rows >= self.batch.max_rows || old {
            self.flush()?;
        }
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // A clean drop keeps the batch; only a crash loses it.
        let _ = self.flush();
    }
}
