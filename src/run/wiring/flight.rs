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
    crate::process::logging::data_dir().join(JOURNAL_FILE)
}

fn journal_err(e: crate::journal::JournalError) -> WiringError {
    WiringError::Other(format!("flight recorder {}: {e}", journal_path().display()))
}

/// The config's identity in the journal. `Config` holds no secrets (they come only from the
/// environment), so its debug text is safe to hash.
pub fn config_hash(cfg: &Config) -> String {
    crate::journal::config_hash(&format!("{cfg:?}"))
}

fn lock() -> Result<(), WiringError> {
    Ok(super::lock::acquire(&crate::process::logging::data_dir())?)
}

/// Open the journal to trade on: a damaged one is refused, never resumed from.
fn open_checked() -> Result<Journal, WiringError> {
    let path = journal_path();
    let checked = Journal::open(&path).and_then(|j| j.quick_check().map(|_| j));
    checked.map_err(|e| {
        if e.is_damage() {
            WiringError::DamagedJournal {
                path,
                detail: e.to_string(),
            }
        } else {
            journal_err(e)
        }
    })
}

/// Lock the data dir, open the journal and fold it back (see `Journal::recover_for`).
pub fn open(venue: Option<BrokerKind>) -> Result<(Journal, Recovered), WiringError> {
    lock()?;
    let journal = open_checked()?;
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
    /// The cash the session started from: the journaled one when resumed (the config may have
    /// changed since), else `paper.starting_cash`. The session is built with it, so its
    /// day-start equity and the agents' equity start where the simulator did.
    pub starting_cash: Decimal,
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
    lock()?;
    let journal = open_checked()?;
    start_sim_on(journal, cfg, feed, plan, broker)
}

/// `start_sim` on an open journal. The decision is taken from the latest *simulator* session:
/// an Alpaca session run in between neither hides a crashed replay nor lends a fresh one its
/// state. Only ids and the kill switch carry over to a fresh session.
pub fn start_sim_on(
    journal: Journal,
    cfg: &Config,
    feed: &str,
    plan: ReplayPlan,
    broker: &mut PaperBroker,
) -> Result<(SimStart, ReplayPlan), WiringError> {
    let mut rec = journal
        .recover_for(Some(BrokerKind::Sim))
        .map_err(journal_err)?;
    let last = rec.last_session.clone();
    let crashed = last.as_ref().filter(|s| !s.ended);
    let Some(last) = crashed.filter(|s| s.feed == feed) else {
        // A new simulator is a new account: the old one's daily-loss halt is not its own.
        rec.halted_day = None;
        let mut start = SimStart {
            journal,
            rec,
            resumed: None,
            cash: cfg.paper.starting_cash,
            starting_cash: cfg.paper.starting_cash,
            events: Vec::new(),
            note: crashed.map(|s| {
                format!(
                    "session {} stopped uncleanly but replayed {}, not {feed}: starting fresh",
                    s.id, s.feed
                )
            }),
        };
        start
            .journal
            .start_sim_session(&config_hash(cfg), feed, cfg.paper.starting_cash)
            .map_err(journal_err)?;
        return Ok((start, plan));
    };
    let mut journal = journal;
    journal.resume_session(&last.id).map_err(journal_err)?;
    let cutoffs = journal.last_live_bars(&last.id).map_err(journal_err)?;
    let plan = plan.resume_after(&cutoffs);
    // Older journals did not record it: the config is the best guess left.
    let starting_cash = last.starting_cash.unwrap_or(cfg.paper.starting_cash);
    let cash = starting_cash + rec.fills_cash;
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
            rec,
            resumed: Some(last.id.clone()),
            cash,
            starting_cash,
            events,
            note: None,
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

/// The orders a venue broker looks up by client order id at start: every one the journal left
/// working, not only those whose fate is unknown. While no process watched, a working order may
/// have filled or been canceled; the lookup reports it (fills from what the journal already
/// holds of it, so none is counted twice), where a reconcile of open orders would never see it.
pub fn to_settle(rec: &Recovered) -> impl Iterator<Item = (&OrderRequest, Decimal)> {
    rec.working_orders.iter().map(|w| (&w.order, w.filled_qty))
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

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::model::{ClientOrderId, Fill, Side, Symbol, Timeframe};
    use crate::risk::{RefusalReason, RiskRefused};

    const FEED: &str = "replay:embedded from 2025-02-10";

    fn plan() -> ReplayPlan {
        ReplayPlan::from_parts(Timeframe::Day1, Vec::new(), Vec::new())
    }

    fn start(path: &std::path::Path, cfg: &Config) -> SimStart {
        let journal = Journal::open(path).unwrap();
        let mut broker = PaperBroker::new(&cfg.paper);
        start_sim_on(journal, cfg, FEED, plan(), &mut broker)
            .unwrap()
            .0
    }

    fn buy(j: &mut Journal, qty: rust_decimal::Decimal) {
        let t = chrono::DateTime::from_timestamp(1_739_200_000, 0).unwrap();
        j.record_broker_event(&BrokerEvent::Filled(Fill {
            client_order_id: ClientOrderId::new("t", 1),
            symbol: Symbol::Twm,
            side: Side::Buy,
            qty,
            price: dec!(40),
            commission: dec!(1),
            time: t,
        }))
        .unwrap();
    }

    #[test]
    fn a_crashed_replay_resumes_from_its_own_starting_cash_after_an_alpaca_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let mut cfg = Config::default_config();
        cfg.paper.starting_cash = dec!(100000);
        let first = start(&path, &cfg);
        let sim = first.journal.session().unwrap().to_string();
        let mut j = first.journal;
        buy(&mut j, dec!(10));
        drop(j); // the replay dies without a session end
        let mut j = Journal::open(&path).unwrap();
        j.start_session("h", BrokerKind::Paper, "alpaca:1Day")
            .unwrap();
        j.end_session("quit").unwrap();
        drop(j);
        // The config changed meanwhile: the resumed simulator is still the one that began
        // with $100,000 and spent $401 of it.
        cfg.paper.starting_cash = dec!(50000);
        let again = start(&path, &cfg);
        assert_eq!(
            again.resumed.as_deref(),
            Some(sim.as_str()),
            "{:?}",
            again.note
        );
        assert_eq!(again.starting_cash, dec!(100000));
        assert_eq!(again.cash, dec!(100000) - dec!(401));
    }

    #[test]
    fn a_fresh_replay_is_not_halted_by_an_old_sessions_daily_loss() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let cfg = Config::default_config();
        let mut j = start(&path, &cfg).journal;
        let day = chrono::NaiveDate::from_ymd_opt(2025, 2, 11).unwrap();
        let order = crate::model::OrderRequest {
            client_order_id: ClientOrderId::new("t", 2),
            symbol: Symbol::Twm,
            side: Side::Buy,
            qty: dec!(1),
            order_type: crate::model::OrderType::Market,
            signal_id: None,
            book: None,
            created: chrono::DateTime::from_timestamp(1_739_200_000, 0).unwrap(),
        };
        j.record_refusal(&RiskRefused {
            order,
            reason: RefusalReason::DailyLossLimit {
                loss: dec!(3100),
                start_equity: dec!(100000),
                limit_pct: dec!(0.03),
                day,
            },
        })
        .unwrap();
        j.record_kill_switch(true, &[]).unwrap();
        j.end_session("replay ended").unwrap();
        drop(j);
        // Replaying 2025-02-11 again starts a new account: fresh cash, no halt, but the kill
        // switch stays on until a trader releases it.
        let again = start(&path, &cfg);
        assert_eq!(again.resumed, None);
        assert_eq!(again.rec.halted_day, None);
        assert!(again.rec.kill_switch);
    }
}
