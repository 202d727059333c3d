//! The flight recorder: an append-only SQLite journal of everything that happened in a session.
//!
//! One `events` table (seq, session, time, kind, signal_id, client_order_id, JSON payload), WAL
//! mode. Ordinary entries commit with `synchronous=NORMAL`: in WAL mode that survives a killed
//! process (the commit is in the WAL file before `record` returns) and can lose only the last
//! commits on power loss or an OS crash, which for bars and broker echoes is harmless (both can
//! be fetched again). Order intents, kill-switch changes and session starts commit with
//! `synchronous=FULL`, which fsyncs the WAL before returning: an order must never exist at the
//! venue without its intent here, whatever fails. Since the WAL is sequential, that fsync also
//! hardens every entry written before the intent.
//!
//! Order of calls for an order: `next_client_order_id` → `RiskGate::check` → `record_intent`
//! (durable) → `Broker::submit` → `record_broker_event` for each event returned.

mod bar_blob;
mod batch;
mod entry;
mod export;
mod history;
mod query;
mod record;
mod recover;
mod replayed;
mod sessions;
mod table;

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod recover_tests;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection};

use crate::model::{ClientOrderId, SignalState};

pub use entry::{config_hash, Entry, SessionStart, KINDS};
pub use export::{export_csv, export_json};
pub use query::{JournalFilter, JournalRow, RecordedBar, RecordedSignal, SessionSummary};
pub use recover::{Recovered, WorkingOrder};
pub use replayed::NextBars;
pub use table::{summary, write_sessions, write_table, DECISION_KINDS};

/// Bump with a migration in `migrate` whenever the table or a payload changes shape.
pub const SCHEMA_VERSION: i32 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    session         TEXT NOT NULL,
    time            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    signal_id       INTEGER,
    client_order_id TEXT,
    payload         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_session ON events(session, seq);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, seq);
CREATE INDEX IF NOT EXISTS events_signal ON events(signal_id) WHERE signal_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_order ON events(client_order_id) WHERE client_order_id IS NOT NULL;
-- One intent per client order id, ever: a retry can never journal (and so never send) twice.
CREATE UNIQUE INDEX IF NOT EXISTS one_intent ON events(client_order_id) WHERE kind = 'order_intent';
-- A venue that re-sends a fill after a reconnect must not double a position.
CREATE UNIQUE INDEX IF NOT EXISTS one_fill ON events(client_order_id, payload) WHERE kind = 'fill';
";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("journal {path} has schema version {found}, newer than this build's {SCHEMA_VERSION}: upgrade double-agent")]
    TooNew { path: String, found: i32 },
    #[error("journal entry does not (de)serialize: {0}")]
    Json(#[from] serde_json::Error),
    #[error("journal export: {0}")]
    Io(#[from] std::io::Error),
    #[error("journal CSV export: {0}")]
    Csv(#[from] csv::Error),
    #[error("journal is damaged: {0}")]
    Corrupt(String),
    #[error("no session started: call Journal::start_session first")]
    NoSession,
    #[error("order {0} already has a recorded intent: it must not be sent again")]
    DuplicateIntent(ClientOrderId),
    #[error("fill for {0} is already journaled (a venue re-send)")]
    DuplicateFill(ClientOrderId),
    #[error("signal state {0:?} is not an answer")]
    NotAnAnswer(SignalState),
}

impl JournalError {
    /// The file or the disk failed (not a refusal such as a duplicate intent): nothing more can
    /// be recorded, so nothing more may be traded.
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            JournalError::Sqlite { .. } | JournalError::Io(_) | JournalError::Corrupt(_)
        )
    }

    /// The file is damaged (or not a journal at all), as opposed to unreachable or full.
    pub fn is_damage(&self) -> bool {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match self {
            JournalError::Corrupt(_) => true,
            JournalError::Sqlite {
                source: rusqlite::Error::SqliteFailure(f, _),
                ..
            } => matches!(f.code, DatabaseCorrupt | NotADatabase),
            _ => false,
        }
    }
}

pub type Result<T, E = JournalError> = std::result::Result<T, E>;

/// Stamps each entry; injected so tests and replays get deterministic times.
pub type Clock = Box<dyn FnMut() -> DateTime<Utc> + Send>;

pub struct Journal {
    conn: Connection,
    path: PathBuf,
    session: Option<String>,
    next_order_seq: u64,
    clock: Clock,
    batch: batch::Batch,
    /// The replay being fed, whose bars are journaled by identity (see `replayed`).
    expected: Option<replayed::Expected>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    // Fixed width and UTC, so text order is time order in SQL.
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Journal {
    /// Open (creating if needed) with the wall clock stamping entries.
    pub fn open(path: &Path) -> Result<Journal> {
        Journal::open_with_clock(path, Box::new(Utc::now))
    }

    /// Open with an injected clock (tests, deterministic replays).
    pub fn open_with_clock(path: &Path, clock: Clock) -> Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let sql = |source| JournalError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        // journal_mode returns a row, so it is a query, not an execute.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(sql)?;
        debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")
            .map_err(sql)?;
        let mut journal = Journal {
            conn,
            path: path.to_path_buf(),
            session: None,
            next_order_seq: 1,
            clock,
            batch: Default::default(),
            expected: None,
        };
        journal.migrate()?;
        journal.next_order_seq = journal.max_order_seq()? + 1;
        Ok(journal)
    }

    fn migrate(&mut self) -> Result<()> {
        let found: i32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if found > SCHEMA_VERSION {
            return Err(JournalError::TooNew {
                path: self.path.display().to_string(),
                found,
            });
        }
        // Version 1: the events table. Version 2: `bar_sets`, the history bars by identity.
        let mut steps = Vec::new();
        if found < 1 {
            steps.push(SCHEMA);
        }
        if found < 2 {
            steps.push(history::SCHEMA);
        }
        if !steps.is_empty() {
            let tx = self
                .conn
                .transaction()
                .map_err(|e| sql_err(&self.path, e))?;
            steps
                .iter()
                .try_for_each(|sql| tx.execute_batch(sql))
                .and_then(|_| tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}")))
                .and_then(|_| tx.commit())
                .map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    /// `PRAGMA quick_check`: a journal that fails it would resume a session from damaged
    /// rows. `Corrupt` with SQLite's first findings.
    pub fn quick_check(&self) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check(5)")
            .map_err(|e| self.sql(e))?;
        let found = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        match found.as_slice() {
            [ok] if ok == "ok" => Ok(()),
            _ => Err(JournalError::Corrupt(found.join("; "))),
        }
    }

    pub(crate) fn sql(&self, source: rusqlite::Error) -> JournalError {
        sql_err(&self.path, source)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// A fresh client order id `da-<session>-<n>`; n never repeats within this journal, across
    /// sessions too, so a venue that remembers ids can never see one twice.
    pub fn next_client_order_id(&mut self) -> Result<ClientOrderId> {
        let session = self.session.as_deref().ok_or(JournalError::NoSession)?;
        let id = ClientOrderId::new(session, self.next_order_seq);
        self.next_order_seq += 1;
        Ok(id)
    }

    fn max_order_seq(&self) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare("SELECT client_order_id FROM events WHERE kind = 'order_intent'")
            .map_err(|e| self.sql(e))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(ids.iter().filter_map(|id| order_seq(id)).max().unwrap_or(0))
    }

    /// Append one entry; returns its sequence number. Durability follows `Entry::is_durable`.
    pub fn record(&mut self, entry: &Entry) -> Result<u64> {
        let session = self.session.clone().ok_or(JournalError::NoSession)?;
        let time = (self.clock)();
        if self.batches(entry) {
            self.batch_begin()?;
            self.write_replayed()?;
            let seq = insert(&self.conn, &session, time, entry).map_err(|e| self.sql(e))?;
            self.batch_end()?;
            return seq.ok_or_else(|| duplicate(entry));
        }
        // Whatever waits in a batch commits first: the journal keeps the order things happened.
        self.flush()?;
        let durable = entry.is_durable();
        if durable {
            self.set_sync("FULL")?;
        }
        let inserted = insert(&self.conn, &session, time, entry);
        if durable {
            self.set_sync("NORMAL")?;
        }
        match inserted {
            Ok(Some(seq)) => Ok(seq),
            Ok(None) => Err(duplicate(entry)),
            Err(e) if is_constraint(&e) => Err(duplicate(entry)),
            Err(e) => Err(self.sql(e)),
        }
    }

    fn set_sync(&self, level: &str) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA synchronous={level}"))
            .map_err(|e| self.sql(e))
    }
}

/// Insert one row. `Ok(None)` when a unique index silently ignored it (duplicate fill).
fn insert(
    conn: &Connection,
    session: &str,
    time: DateTime<Utc>,
    entry: &Entry,
) -> rusqlite::Result<Option<u64>> {
    let (kind, payload) = entry
        .to_columns()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let sql = if matches!(entry, Entry::Fill(_)) {
        "INSERT OR IGNORE INTO events (session, time, kind, signal_id, client_order_id, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    } else {
        "INSERT INTO events (session, time, kind, signal_id, client_order_id, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    };
    // Cached: parsed once, not for every row.
    let changed = conn.prepare_cached(sql)?.execute(params![
        session,
        time_text(time),
        kind,
        entry.signal_id().map(|s| s as i64),
        entry.client_order_id().map(|c| c.as_str()),
        payload
    ])?;
    Ok((changed == 1).then(|| conn.last_insert_rowid() as u64))
}

fn duplicate(entry: &Entry) -> JournalError {
    let id = entry
        .client_order_id()
        .cloned()
        .unwrap_or_else(|| ClientOrderId::from(""));
    match entry {
        Entry::Fill(_) => JournalError::DuplicateFill(id),
        _ => JournalError::DuplicateIntent(id),
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

pub(crate) fn sql_err(path: &Path, source: rusqlite::Error) -> JournalError {
    JournalError::Sqlite {
        path: path.display().to_string(),
        source,
    }
}

/// The `n` of `da-<session>-<n>`, for ids this journal minted.
pub(crate) fn order_seq(id: &str) -> Option<u64> {
    id.strip_prefix("da-")?.rsplit_once('-')?.1.parse().ok()
}
