//! Fault injection through the real `Session`: broken HTTP in front of the Alpaca mock, broken
//! bars, a soak through random faults, and the kill switch under any key sequence. Every test
//! checks the same things: no panic, the status line or feed health says what is wrong, one
//! order per client order id, and a journal where every intent has its broker answer.

mod bars;
mod feed;
mod http;
mod kill;
mod proxy;
mod soak;

use std::collections::{BTreeMap, BTreeSet};

use double_agent::broker::Broker;
use double_agent::config::{Config, Mode};
use double_agent::journal::{Journal, JournalFilter};
use double_agent::model::{OrderStatus, Timeframe};
use double_agent::session::Session;
use rust_decimal::Decimal;

/// A session recording into a fresh journal in a temp dir (kept alive by the returned guard).
pub fn journaled(
    broker: Box<dyn Broker>,
    tf: Timeframe,
    mode: Mode,
) -> (Session, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(&dir.path().join("journal.db")).unwrap();
    j.start_session("faults", broker.kind(), "faults").unwrap();
    let mut cfg = Config::default_config();
    cfg.signals.mode = mode;
    // The agents run the account alone: every order is theirs (hedge mode would also buy the
    // trader's book on the simulator, an order these fault runs do not follow to its fill).
    cfg.agents.mode = double_agent::config::AgentsMode::Book;
    let s = Session::new(cfg, broker, tf, "faults").with_journal(j);
    (s, dir)
}

/// What the journal says about one order.
#[derive(Debug, Default)]
pub struct Trail {
    pub kinds: Vec<String>,
    pub filled: Decimal,
}

/// Check the journal against the store and return each intent's trail:
/// intents are unique, each is in the store exactly once (and nothing else is), each has at
/// least one broker answer after it, and `settled` demands a terminal or Unknown end for all.
pub fn audit(s: &Session, settled: bool) -> BTreeMap<String, Trail> {
    let j = s.journal_ref().expect("journaled session");
    let filter = JournalFilter {
        session: j.session().map(str::to_string),
        ..Default::default()
    };
    let rows = j.list(&filter).unwrap();
    let mut trails: BTreeMap<String, Trail> = BTreeMap::new();
    for r in &rows {
        let Some(coid) = r.client_order_id.clone() else {
            continue;
        };
        if r.kind == "order_intent" {
            assert!(!trails.contains_key(&coid), "intent {coid} journaled twice");
            trails.insert(coid.clone(), Trail::default());
        }
        if let Some(t) = trails.get_mut(&coid) {
            if r.kind == "fill" {
                let qty = r.payload["qty"]
                    .as_str()
                    .map(|q| q.parse::<Decimal>().unwrap());
                t.filled += qty.unwrap_or_default();
            }
            t.kinds.push(r.kind.clone());
        }
    }
    let in_store: Vec<&str> = s
        .store
        .orders
        .iter()
        .map(|o| o.request.client_order_id.as_str())
        .collect();
    let unique: BTreeSet<&str> = in_store.iter().copied().collect();
    assert_eq!(unique.len(), in_store.len(), "an order twice in the store");
    let journaled: BTreeSet<&str> = trails.keys().map(String::as_str).collect();
    assert_eq!(unique, journaled, "store orders and journal intents differ");
    for (coid, t) in &trails {
        assert!(t.kinds.len() > 1, "{coid}: intent without a broker answer");
        let o = s
            .store
            .order(&double_agent::model::ClientOrderId::from(coid.clone()));
        let status = o.unwrap().status;
        let expect = match status {
            OrderStatus::Filled => "fill",
            OrderStatus::Rejected => "broker_rejected",
            OrderStatus::Canceled => "broker_canceled",
            OrderStatus::Unknown => "broker_unknown",
            _ if settled => panic!("{coid} still {status:?}: {:?}", t.kinds),
            _ => "order_intent",
        };
        assert!(
            t.kinds.iter().any(|k| k == expect),
            "{coid} {status:?}: {t:?}"
        );
        if status == OrderStatus::Filled {
            assert_eq!(t.filled, o.unwrap().request.qty, "{coid}: fills journaled");
        }
    }
    trails
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`, field 2, in pages).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
