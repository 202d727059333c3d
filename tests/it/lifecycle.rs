//! The signal → order → position lifecycle under random trading: real engine signals on a
//! synthetic market, random answers (acknowledge, override, edit to any size, snooze), flatten,
//! kill switch (which cancels working orders), mode and pause changes, and bars (the simulator
//! fills there). After every step:
//! - the agents' positions book holds exactly what the session's positions say;
//! - every held share has a standing exit: one stop per agent position, covering all of it;
//! - cash never goes below zero;
//! - Σ journaled fills equals the positions (the flight recorder agrees);
//! - no order is filled past its size, and each fill counts once.

use double_agent::backtest::synthetic;
use double_agent::broker::paper::PaperBroker;
use double_agent::broker::Broker;
use double_agent::config::{Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::journal::Journal;
use double_agent::model::{Agent, Bar, Side, Symbol, Timeframe};
use double_agent::session::{Action, Input, Session};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const N: usize = 1_000;
const WARMUP: usize = 300;

#[derive(Debug, Clone)]
enum Step {
    Act(Action),
    Bars(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let qty = proptest::option::of(prop_oneof![Just(9999u32), 0u32..600]);
    prop_oneof![
        6 => (1usize..15).prop_map(Step::Bars),
        4 => qty.prop_map(|q| Step::Act(Action::Acknowledge { id: None, qty: q.map(Decimal::from) })),
        2 => Just(Step::Act(Action::Override { id: None, reason: 'n' })),
        1 => Just(Step::Act(Action::Snooze { id: None })),
        1 => Just(Step::Act(Action::SelectNext)),
        1 => Just(Step::Act(Action::Flatten)),
        1 => Just(Step::Act(Action::ToggleKill)),
        1 => Just(Step::Act(Action::CycleMode)),
        1 => Just(Step::Act(Action::TogglePauseAgents)),
    ]
}

struct Rig {
    s: Session,
    bars: Vec<(Symbol, Vec<Bar>)>,
    at: usize,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let mut cfg = Config::default_config();
        cfg.signals.mode = Mode::Manual;
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("journal.sqlite3")).unwrap();
        let broker = Box::new(PaperBroker::new(&cfg.paper));
        j.start_session("life", broker.kind(), "synthetic").unwrap();
        let mut s = Session::new(cfg, broker, Timeframe::Min1, "life").with_journal(j);
        let bars = synthetic::series(N);
        for (symbol, b) in &bars {
            s.handle(Input::Feed(FeedEvent::History {
                symbol: *symbol,
                timeframe: Timeframe::Min1,
                bars: b[..WARMUP].to_vec(),
            }));
        }
        Rig {
            s,
            bars,
            at: WARMUP,
            _dir: dir,
        }
    }

    fn advance(&mut self, k: usize) -> Result<(), TestCaseError> {
        for _ in 0..k.min(N - 1 - self.at) {
            self.at += 1;
            for (symbol, b) in &self.bars {
                self.s.handle(Input::Feed(FeedEvent::Bar {
                    symbol: *symbol,
                    timeframe: Timeframe::Min1,
                    bar: b[self.at],
                }));
                if *symbol == Symbol::Iwm {
                    // the agents size from the equity marked at the bar, not at the last fill
                    prop_assert_eq!(self.s.engine_view().equity, self.s.store.marked_equity());
                }
            }
            check(&self.s, false)?;
        }
        check(&self.s, true)
    }
}

fn held(s: &Session) -> BTreeMap<Symbol, Decimal> {
    s.store
        .positions
        .values()
        .filter(|p| !p.qty.is_zero())
        .map(|p| (p.symbol, p.qty))
        .collect()
}

/// `journal`: also read the journal back (the slow part, so once per step, not per bar).
fn check(s: &Session, journal: bool) -> Result<(), TestCaseError> {
    let held = held(s);
    for sym in Symbol::ALL {
        let q = held.get(&sym).copied().unwrap_or_default();
        prop_assert_eq!(s.agents_held(sym), q, "agents' book vs position of {}", sym);
        let exits: Vec<_> = s
            .standing_exits()
            .into_iter()
            .filter(|e| e.0 == sym)
            .collect();
        let covered: Decimal = exits.iter().map(|e| e.1).sum();
        prop_assert_eq!(covered, q, "{} held, standing exits {:?}", q, exits);
        prop_assert!(exits.iter().all(|e| e.1 > Decimal::ZERO && e.2.is_finite()));
    }
    // An agent is engaged only while it holds shares or one of its entries may still trade
    // (waiting for an answer, or acknowledged with its order working).
    let may_trade = |agent: Agent, sym: Symbol| {
        s.store
            .signals
            .all()
            .iter()
            .any(|e| e.signal.agent == agent && !e.signal.kind.is_exit() && e.state.is_open())
            || s.store
                .working_orders()
                .any(|o| o.request.symbol == sym && o.request.side == Side::Buy)
    };
    let v = s.engine_view();
    let vehicle = v.bear.vehicle.unwrap();
    if v.bear.engaged {
        prop_assert!(
            s.agents_held(vehicle) > Decimal::ZERO || may_trade(Agent::Bear, vehicle),
            "Bear engaged with nothing held or on its way"
        );
    }
    if v.bull.engaged || v.bull.hedge_active {
        prop_assert!(
            s.agents_held(Symbol::Iwm) > Decimal::ZERO || may_trade(Agent::Bull, Symbol::Iwm),
            "Bull engaged or hedging with nothing held or on its way"
        );
    }
    prop_assert!(s.store.cash >= Decimal::ZERO, "cash {}", s.store.cash);
    if journal {
        let rec = s.journal_ref().unwrap().recover().unwrap();
        let journaled: BTreeMap<_, _> = rec.positions.iter().map(|p| (p.symbol, p.qty)).collect();
        prop_assert_eq!(&journaled, &held, "Σ journaled fills vs positions");
    }
    for o in s.store.orders.iter() {
        let filled: Decimal = o.fills.iter().map(|f| f.qty).sum();
        prop_assert_eq!(
            filled,
            o.filled_qty,
            "fills of {}",
            &o.request.client_order_id
        );
        prop_assert!(
            o.filled_qty <= o.request.qty,
            "{} over-filled",
            &o.request.client_order_id
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn positions_agents_exits_cash_and_journal_always_agree(
        steps in proptest::collection::vec(step(), 20..120),
    ) {
        let mut r = Rig::new();
        for st in steps {
            match st {
                Step::Act(a) => {
                    r.s.handle(Input::Action(a));
                    check(&r.s, true)?;
                }
                Step::Bars(k) => r.advance(k)?,
            }
        }
        // Then the rest of the market in auto mode: whatever was left is managed to the end.
        while r.s.store.mode != Mode::Auto {
            r.s.handle(Input::Action(Action::CycleMode));
        }
        if r.s.kill_switch() {
            r.s.handle(Input::Action(Action::ToggleKill));
        }
        r.advance(N)?;
    }
}

#[test]
fn the_random_sessions_do_trade() {
    // Guards the property against passing vacuously: in auto mode this market opens and
    // closes agent positions.
    let mut r = Rig::new();
    while r.s.store.mode != Mode::Auto {
        r.s.handle(Input::Action(Action::CycleMode));
    }
    r.advance(N).unwrap();
    let fills: usize = r.s.store.orders.iter().map(|o| o.fills.len()).sum();
    let exits =
        r.s.store
            .signals
            .all()
            .iter()
            .filter(|e| e.signal.kind.is_exit())
            .count();
    assert!(fills >= 6 && exits >= 2, "{fills} fills, {exits} exits");
}
