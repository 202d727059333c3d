//! The signal → order → position lifecycle under random trading: real engine signals on a
//! synthetic market, random answers (acknowledge, override, edit to any size, snooze), flatten,
//! kill switch (which cancels working orders), mode and pause changes, bars, and restarts (the
//! process dies between two steps and a new one recovers from the journal, the way the binary
//! starts), on the built-in simulator and on an Alpaca stand-in (`stand_in`: a venue that
//! outlives the process and keeps trading while it is down). After every step:
//! - the agents' positions book holds exactly what the session's positions say;
//! - every held share has a standing exit: one stop per agent position, covering all of it;
//! - cash never goes below zero;
//! - Σ journaled fills equals the positions (the flight recorder agrees), and on the stand-in
//!   both equal what the venue holds;
//! - no order is filled past its size, and each fill counts once;
//! - a restart never loosens a stop: the trailed stop survives it.

mod stand_in;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use double_agent::backtest::synthetic;
use double_agent::broker::paper::PaperBroker;
use double_agent::broker::{BrokerEvent, BrokerKind};
use double_agent::config::{Config, Mode};
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::journal::Journal;
use double_agent::model::{Agent, Bar, Side, Symbol, Timeframe};
use double_agent::run::wiring::flight;
use double_agent::session::{Action, Input, Session};
use proptest::prelude::*;
use rust_decimal::Decimal;
use stand_in::{StandIn, Venue};

const N: usize = 1_000;
const WARMUP: usize = 300;
const FEED: &str = "synthetic";

#[derive(Debug, Clone)]
enum Step {
    Act(Action),
    Bars(usize),
    /// The process dies; the market moves on for this many bars before a new one starts.
    Restart {
        down: usize,
    },
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
        1 => (0usize..3).prop_map(|down| Step::Restart { down }),
    ]
}

/// One timestamp's bars, vehicles before IWM (as the replay sends them).
type Group = Vec<(Symbol, Bar)>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum On {
    Sim,
    StandIn,
}

struct Rig {
    s: Session,
    on: On,
    cfg: Config,
    /// The live bars not yet given to a process.
    live: VecDeque<Group>,
    /// Every bar given so far, per symbol: the history a restarted Alpaca process loads.
    seen: Vec<(Symbol, Vec<Bar>)>,
    venue: Arc<Mutex<Venue>>,
    broker: Option<Arc<Mutex<StandIn>>>,
    path: std::path::PathBuf,
    restarts: usize,
    _dir: tempfile::TempDir,
}

/// Bars to a piece of history (a replay sends 8,192; small here so every restart has several).
const HISTORY_PIECE: usize = 64;

fn market() -> ReplayPlan {
    let bars = synthetic::series(N);
    let start = bars[0].1[WARMUP].time;
    ReplayPlan::new(Timeframe::Min1, bars, start)
}

impl Rig {
    fn new(on: On) -> Rig {
        let mut cfg = Config::default_config();
        cfg.signals.mode = Mode::Manual;
        if on == On::StandIn {
            // A venue trades on the wall clock; this market is from 2000. (The gate's
            // stale-data refusal has tests of its own.)
            cfg.risk.stale_after_secs = u64::MAX / 4;
        }
        let dir = tempfile::tempdir().unwrap();
        let (history, steps, _) = market().collect();
        let mut r = Rig {
            s: placeholder(&cfg),
            on,
            venue: Venue::new(cfg.paper.starting_cash),
            cfg,
            live: VecDeque::new(),
            seen: history,
            broker: None,
            path: dir.path().join(flight::JOURNAL_FILE),
            restarts: 0,
            _dir: dir,
        };
        r.live = steps.into_iter().map(|(_, g)| g).collect();
        r.start();
        r
    }

    /// A process starts the way the binary does: the journal recovered, the simulator resumed
    /// (or the venue's broker reconciled), the history fed.
    fn start(&mut self) {
        let journal = Journal::open(&self.path).unwrap();
        match self.on {
            On::Sim => {
                let mut broker = PaperBroker::new(&self.cfg.paper);
                let (start, plan) =
                    flight::start_sim_on(journal, &self.cfg, FEED, market(), &mut broker).unwrap();
                assert_eq!(
                    start.resumed.is_some(),
                    self.restarts > 0,
                    "{:?}",
                    start.note
                );
                let mut cfg = self.cfg.clone();
                cfg.paper.starting_cash = start.starting_cash;
                let s = Session::new(cfg, Box::new(broker), Timeframe::Min1, "life");
                self.s = flight::attach_sim(s, start).0;
                let (history, steps, _) = plan.collect();
                self.live = steps.into_iter().map(|(_, g)| g).collect();
                for (symbol, bars) in history {
                    self.history(symbol, bars);
                }
            }
            On::StandIn => {
                let rec = journal.recover_for(Some(BrokerKind::Paper)).unwrap();
                let (handle, broker) = StandIn::start(&self.venue, flight::to_settle(&rec));
                let s = Session::new(self.cfg.clone(), Box::new(handle), Timeframe::Min1, "life");
                self.s = flight::attach_venue(s, journal, &rec, FEED).unwrap().0;
                // The start-up reconcile answers before the history download is in.
                let events = broker.lock().unwrap().reconcile();
                self.broker = Some(broker);
                self.deliver(events);
                for (symbol, bars) in self.seen.clone() {
                    self.history(symbol, bars);
                }
                // The poller's first pass: orders left working are settled by lookup.
                self.poll();
            }
        }
    }

    /// History in pieces, as a replay of a long file sends it, so every restart's invariants
    /// hold across pieces too.
    fn history(&mut self, symbol: Symbol, bars: Vec<Bar>) {
        let mut pieces: Vec<&[Bar]> = bars.chunks(HISTORY_PIECE).collect();
        if pieces.is_empty() {
            pieces.push(&[]);
        }
        for (k, piece) in pieces.iter().enumerate() {
            let more = k + 1 < pieces.len();
            let ev = FeedEvent::history(symbol, Timeframe::Min1, piece.to_vec(), more);
            self.s.handle(Input::Feed(ev));
        }
    }

    fn deliver(&mut self, events: Vec<BrokerEvent>) {
        for ev in events {
            self.s.handle(Input::Broker(ev));
        }
    }

    /// The broker's poller runs between steps (the simulator answers inside them).
    fn poll(&mut self) {
        if let Some(b) = &self.broker {
            let events = b.lock().unwrap().poll();
            self.deliver(events);
        }
    }

    /// The process dies between two steps (every journal entry is committed: the rig does not
    /// batch, the crash tests of the real binary do), the market trades on for `down` bars,
    /// and a new process starts.
    fn restart(&mut self, down: usize) -> Result<(), TestCaseError> {
        let before = self.s.standing_exits();
        drop(std::mem::replace(&mut self.s, placeholder(&self.cfg)));
        self.restarts += 1;
        // A replay resumes after its last journaled bar, so it misses nothing; a venue trades on.
        let down = if self.on == On::Sim {
            0
        } else {
            down.min(self.live.len())
        };
        for _ in 0..down {
            let g = self.live.pop_front().unwrap();
            self.remember(&g);
            stand_in::trade_while_down(&self.venue, &g);
        }
        self.start();
        check(self, true)?;
        if down > 0 {
            return Ok(());
        }
        // No bar passed: the agents hold what they held, under the stops they had, once the
        // next bar has told the engine (the journal's fills reach it before that bar).
        self.advance(1)?;
        let after = self.s.standing_exits();
        for (sym, qty, stop) in before {
            let Some(a) = after.iter().find(|a| a.0 == sym && a.1 == qty) else {
                continue; // traded at that bar
            };
            let looser = if sym == Symbol::Iwm {
                a.2 < stop
            } else {
                a.2 > stop
            };
            prop_assert!(
                !looser,
                "{} {} stop {} before the restart, {} after",
                qty,
                sym,
                stop,
                a.2
            );
        }
        Ok(())
    }

    fn remember(&mut self, g: &Group) {
        for (symbol, bar) in g {
            if let Some((_, bars)) = self.seen.iter_mut().find(|(s, _)| s == symbol) {
                bars.push(*bar);
            }
        }
    }

    fn advance(&mut self, k: usize) -> Result<(), TestCaseError> {
        for _ in 0..k {
            let Some(g) = self.live.pop_front() else {
                break;
            };
            self.remember(&g);
            for (symbol, bar) in g {
                self.s.handle(Input::Feed(FeedEvent::Bar {
                    symbol,
                    timeframe: Timeframe::Min1,
                    bar,
                }));
                if symbol == Symbol::Iwm {
                    // the agents size from the equity marked at the bar, not at the last fill
                    prop_assert_eq!(self.s.engine_view().equity, self.s.store.marked_equity());
                }
            }
            self.poll();
            check(self, false)?;
        }
        check(self, true)
    }

    fn act(&mut self, a: Action) -> Result<(), TestCaseError> {
        self.s.handle(Input::Action(a));
        self.poll();
        check(self, true)
    }

    fn run(&mut self, st: Step) -> Result<(), TestCaseError> {
        match st {
            Step::Act(a) => self.act(a),
            Step::Bars(k) => self.advance(k),
            Step::Restart { down } => self.restart(down),
        }
    }

    /// The rest of the market in auto mode: whatever was left is managed to the end.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        while self.s.store.mode != Mode::Auto {
            self.s.handle(Input::Action(Action::CycleMode));
        }
        if self.s.kill_switch() {
            self.s.handle(Input::Action(Action::ToggleKill));
        }
        self.advance(N)
    }
}

/// Stands in for the process between its death and the next start.
fn placeholder(cfg: &Config) -> Session {
    Session::new(
        cfg.clone(),
        Box::new(PaperBroker::new(&cfg.paper)),
        Timeframe::Min1,
        "down",
    )
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
fn check(r: &Rig, journal: bool) -> Result<(), TestCaseError> {
    let s = &r.s;
    let held = held(s);
    if r.on == On::StandIn {
        let venue = r.venue.lock().unwrap();
        prop_assert_eq!(
            &venue.held(),
            &held,
            "the venue's positions vs the session's"
        );
        prop_assert!(venue.cash() >= Decimal::ZERO, "venue cash {}", venue.cash());
    }
    for sym in Symbol::ALL {
        let mut q = held.get(&sym).copied().unwrap_or_default();
        if sym == Symbol::Iwm {
            // Hedge mode: the trader's book is IWM no agent owns.
            q -= s.book_shares();
        }
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
    // Reg T: a debit never beyond the margin the equity carries (cash + equity ≥ 0 at 2×).
    prop_assert!(
        s.store.cash + s.store.equity >= Decimal::ZERO,
        "cash {}",
        s.store.cash
    );
    if journal {
        let rec = s.journal_ref().unwrap().recover().unwrap();
        let journaled: BTreeMap<_, _> = rec.positions.iter().map(|p| (p.symbol, p.qty)).collect();
        prop_assert_eq!(&journaled, &held, "Σ journaled fills vs positions");
        // Each fill counts once: the journal and the session agree on every order's fills
        // (an order recovered from a previous process included).
        let mut per_order: BTreeMap<_, Decimal> = BTreeMap::new();
        for (f, _) in &rec.fills {
            *per_order.entry(f.client_order_id.clone()).or_default() += f.qty;
        }
        for o in s.store.orders.iter() {
            let id = &o.request.client_order_id;
            let journaled = per_order.get(id).copied().unwrap_or_default();
            prop_assert_eq!(journaled, o.filled_qty, "journaled fills of {}", id);
        }
    }
    for o in s.store.orders.iter() {
        let here: Decimal = o.fills.iter().map(|f| f.qty).sum();
        let id = &o.request.client_order_id;
        prop_assert!(
            here <= o.filled_qty,
            "fills of {} seen here exceed its fills",
            id
        );
        prop_assert!(o.filled_qty <= o.request.qty, "{} over-filled", id);
    }
    Ok(())
}

fn sessions(on: On, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut r = Rig::new(on);
    for st in steps {
        r.run(st)?;
    }
    r.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn positions_agents_exits_cash_and_journal_always_agree(
        steps in proptest::collection::vec(step(), 20..120),
    ) {
        sessions(On::Sim, steps)?;
    }

    #[test]
    fn the_same_holds_on_an_alpaca_stand_in_that_trades_while_the_app_is_down(
        steps in proptest::collection::vec(step(), 20..120),
    ) {
        sessions(On::StandIn, steps)?;
    }
}

/// Guards the properties against passing vacuously: in auto mode this market opens and closes
/// agent positions on both venues, across restarts.
#[test]
fn the_random_sessions_do_trade() {
    for on in [On::Sim, On::StandIn] {
        let mut r = Rig::new(on);
        r.s.handle(Input::Action(Action::CycleMode));
        while r.s.store.mode != Mode::Auto {
            r.s.handle(Input::Action(Action::CycleMode));
        }
        r.advance(N / 2).unwrap();
        let exits_before = exits(&r.s);
        r.restart(0).unwrap();
        r.finish().unwrap();
        let fills = r.s.journal_ref().unwrap().recover().unwrap().fills.len();
        assert!(
            fills >= 6 && exits_before + exits(&r.s) >= 2,
            "{on:?}: {fills} fills, {exits_before} + {} exits",
            exits(&r.s)
        );
    }
}

fn exits(s: &Session) -> usize {
    s.store
        .signals
        .all()
        .iter()
        .filter(|e| e.signal.kind.is_exit())
        .count()
}
