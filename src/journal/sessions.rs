//! A session's life in the journal: start (a readable, unique id), resume after a crash, clean end.

use rusqlite::OptionalExtension;
use rust_decimal::Decimal;

use super::{Entry, Journal, JournalError, Result, SessionStart};
use crate::broker::BrokerKind;

impl Journal {
    /// Start recording a session; its id is unique in this journal and readable (start time).
    /// Call `recover` before this, so "the latest session" is the one that crashed.
    pub fn start_session(
        &mut self,
        config_hash: &str,
        broker: BrokerKind,
        feed: &str,
    ) -> Result<String> {
        self.start(config_hash, broker, feed, None)
    }

    /// `start_session` for the simulator, with the cash it starts from: the simulator's cash
    /// is rebuilt from it on resume (starting cash + Σ fills), so it must be this session's own.
    pub fn start_sim_session(
        &mut self,
        config_hash: &str,
        feed: &str,
        starting_cash: Decimal,
    ) -> Result<String> {
        self.start(config_hash, BrokerKind::Sim, feed, Some(starting_cash))
    }

    fn start(
        &mut self,
        config_hash: &str,
        broker: BrokerKind,
        feed: &str,
        starting_cash: Option<Decimal>,
    ) -> Result<String> {
        // What the last session was fed is its own: recorded under it, then forgotten.
        self.flush()?;
        self.expected = None;
        let started = (self.clock)();
        let base = started.format("%Y%m%d-%H%M%S").to_string();
        let mut id = base.clone();
        let mut n = 1;
        while self.session_exists(&id)? {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.session = Some(id.clone());
        let start = SessionStart {
            session: id.clone(),
            started,
            config_hash: config_hash.to_string(),
            broker: broker.label().to_string(),
            feed: feed.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            starting_cash,
        };
        self.record(&Entry::SessionStart(start))?;
        Ok(id)
    }

    /// Continue recording `id` (a simulator session that stopped uncleanly, being resumed):
    /// one session id across the crash keeps its fills, orders and signals in one recovery
    /// scope, so a second crash before the end still recovers everything.
    pub fn resume_session(&mut self, id: &str) -> Result<()> {
        if !self.session_exists(id)? {
            return Err(JournalError::NoSession);
        }
        self.flush()?;
        self.expected = None;
        self.session = Some(id.to_string());
        Ok(())
    }

    /// Mark a clean shutdown; recovery reports sessions without one as crashed.
    pub fn end_session(&mut self, reason: &str) -> Result<u64> {
        let seq = self.record(&Entry::SessionEnd {
            reason: reason.to_string(),
        })?;
        self.session = None;
        Ok(seq)
    }

    fn session_exists(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM events WHERE session = ?1 LIMIT 1",
                [id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.sql(e))
    }
}
