//! Bars in batches. One transaction per bar bounded a fast replay at ≈ 800 bars/s; with
//! batching on, bars and feed-health changes share one transaction, committed when it holds
//! `max_rows` rows, when it is `MAX_AGE` old, when the caller has nothing more queued
//! (`flush`), and — first — whenever anything else is recorded. So a signal, an answer, a
//! broker echo or an order intent still commits at once, with every bar before it: after a
//! crash the journal is exactly as it was at some commit, and a resumed replay re-feeds the
//! bars after its last committed bar, which is what it does for a bar cut off today. Order
//! intents stay `synchronous=FULL` (see `record`).

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
        if self.batch.opened.take().is_some() {
            self.batch.rows = 0;
            self.conn.execute_batch("COMMIT").map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    pub(super) fn batches(&self, entry: &Entry) -> bool {
        self.batch.max_rows > 0
            && matches!(
                entry,
                Entry::Bar { .. } | Entry::FeedHealth { .. } | Entry::Stops { .. }
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
