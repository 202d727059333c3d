//! The flight recorder at start-up: open the journal in the data dir, recover what the last
//! process knew, then resume the crashed simulator session or start a new one.

use std::path::PathBuf;

use rust_decimal::Decimal;

use super::WiringError;
use crate::broker::paper::PaperBroker;
use crate::broker::{BrokerEvent, BrokerKind};
use crate::config::Config;
use crate::feed::replay::ReplayPlan;
use crate::journal::{Journal, Recovered};
use crate::model::OrderRequest;
use crate::session::{Notice, Session};

pub const JOURNAL_FILE: &str = "journal.sqlite3";

pub fn journal_path() -> PathBuf {
    crate::logging::data_dir().join(JOURNAL_FILE)
}

fn journal_err(e: crate::journal::JournalError) -> WiringError {
    WiringError::Other(format!("flight recorder {}: {e}", journal_path().display()))
}

/// The config's identity in the journal. `Config` holds no secrets (they come only from the
/// environment), so its debug text is safe to hash.
pub fn config_hash(cfg: &Config) -> String {
    crate::journal::config_hash(&format!("{cfg:?}"))
}

/// Held for the life of the process: two sessions on one journal would each take the other's
/// running session for a crashed one and resume it. The OS drops the lock when the process
/// dies, `kill -9` included.
static LOCK: std::sync::OnceLock<std::sync::Mutex<rusqlite::Connection>> =
    std::sync::OnceLock::new();

/// An exclusive SQLite lock on a small side file (the OS file locks SQLite uses go away with
/// the process; `std::fs::File::try_lock` is newer than this crate's MSRV).
fn lock() -> Result<(), WiringError> {
    if LOCK.get().is_some() {
        return Ok(());
    }
    let path = journal_path().with_extension("lock");
    let take = || -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")?;
        Ok(conn)
    };
    let locked = std::fs::create_dir_all(crate::logging::data_dir())
        .map_err(|e| e.to_string())
        .and_then(|_| take().map_err(|e| e.to_string()));
    match locked {
        Ok(conn) => {
            let _ = LOCK.set(std::sync::Mutex::new(conn));
            Ok(())
        }
        Err(e) => Err(WiringError::Other(format!(
            "another double-agent is recording in {} ({e}): one session per data dir; \
             set DOUBLE_AGENT_DATA_DIR to run a second one",
            crate::logging::data_dir().display()
        ))),
    }
}

/// Lock the data dir, open the journal and fold it back (see `Journal::recover_for`).
pub fn open(venue: Option<BrokerKind>) -> Result<(Journal, Recovered), WiringError> {
    lock()?;
    let journal = Journal::open(&journal_path()).map_err(journal_err)?;
    let rec = journal.recover_for(venue).map_err(journal_err)?;
    Ok((journal, rec))
}

/// A simulator session about to start: resumed (same id, restored simulator, replay cut after
/// the last journaled bar) or fresh.
pub struct SimStart {
    pub journal: Journal,
    pub rec: Recovered,
    pub resumed: Option<String>,
    pub cash: Decimal,
    /// Acceptances of recovered orders the simulator never answered, to journal first.
    pub events: Vec<BrokerEvent>,
    /// The last session crashed but cannot be resumed (another feed): said on the status line.
    pub note: Option<String>,
}

/// Resume the latest simulator session if it did not end cleanly and replayed the same feed.
pub fn start_sim(
    cfg: &Config,
    feed: &str,
    plan: ReplayPlan,
    broker: &mut PaperBroker,
) -> Result<(SimStart, ReplayPlan), WiringError> {
    let (mut journal, rec) = open(None)?;
    let last = rec.last_session.clone();
    let crashed = last
        .as_ref()
        .filter(|s| !s.ended && s.broker == BrokerKind::Sim.label());
    let mut start = SimStart {
        journal,
        rec,
        resumed: None,
        cash: cfg.paper.starting_cash,
        events: Vec::new(),
        note: None,
    };
    let Some(last) = crashed.filter(|s| s.feed == feed) else {
        start.note = crashed.map(|s| {
            format!(
                "session {} stopped uncleanly but replayed {}, not {feed}: starting fresh",
                s.id, s.feed
            )
        });
        start
            .journal
            .start_session(&config_hash(cfg), BrokerKind::Sim, feed)
            .map_err(journal_err)?;
        return Ok((start, plan));
    };
    journal = start.journal;
    journal.resume_session(&last.id).map_err(journal_err)?;
    let cutoffs = journal.last_live_bars(&last.id).map_err(journal_err)?;
    let plan = plan.resume_after(&cutoffs);
    let rec = &start.rec;
    let cash = cfg.paper.starting_cash + rec.fills_cash;
    let working: Vec<OrderRequest> = rec.working_orders.iter().map(|w| w.order.clone()).collect();
    let unknown: Vec<_> = rec
        .unsettled()
        .map(|w| w.order.client_order_id.clone())
        .collect();
    // The simulator kept its orders in memory only: they go back in under the same ids.
    let events = broker
        .restore(cash, &rec.positions, &working)
        .into_iter()
        .filter(|e| matches!(e, BrokerEvent::Accepted { client_order_id, .. } if unknown.contains(client_order_id)))
        .collect();
    Ok((
        SimStart {
            journal,
            resumed: Some(last.id.clone()),
            cash,
            events,
            ..start
        },
        plan,
    ))
}

/// Attach the journal to the session and put back what the start found; returns the notices
/// for headless output (the status line says the same).
pub fn attach_sim(session: Session, start: SimStart) -> (Session, Vec<Notice>) {
    let mut session = session.with_journal(start.journal);
    let mut out = Vec::new();
    match start.resumed {
        Some(id) => {
            let r = session.restore(&start.rec, Some(start.cash), true);
            out.extend(session.restore_broker_events(start.events));
            out.push(session.status(format!(
                "resumed session {id} after an unclean stop: {} positions, {} working orders, \
                 {} pending signals",
                r.positions, r.working_orders, r.pending_signals
            )));
        }
        None => {
            session.restore_globals(&start.rec);
            if let Some(note) = start.note {
                out.push(session.status(note));
            }
        }
    }
    (session, out)
}

/// A real venue: a new journal session, the previous sessions' state on this venue restored,
/// unknown orders handed to the broker to settle. The venue's positions (reconcile) win later.
pub fn attach_venue(
    session: Session,
    mut journal: Journal,
    rec: &Recovered,
    feed: &str,
) -> Result<(Session, Vec<Notice>), WiringError> {
    let kind = session.store.broker;
    journal
        .start_session(&config_hash(session.config()), kind, feed)
        .map_err(journal_err)?;
    let mut session = session.with_journal(journal);
    let mut out = Vec::new();
    let Some(last) = rec.last_session.as_ref() else {
        return Ok((session, out));
    };
    let r = session.restore(rec, None, false);
    if !last.ended || r.working_orders > 0 || r.pending_signals > 0 {
        out.push(session.status(format!(
            "recovered {} {}: {} positions (until the venue reports), {} working orders \
             ({} to settle by client order id), {} pending signals",
            kind.label(),
            if last.ended {
                format!("after session {}", last.id)
            } else {
                format!("session {} after an unclean stop", last.id)
            },
            r.positions,
            r.working_orders,
            r.unsettled,
            r.pending_signals
        )));
    }
    Ok((session, out))
}
