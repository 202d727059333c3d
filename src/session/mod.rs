//! The session: the one owner of the store. Feed events, broker events and trader actions come in;
//! state changes, orders and notices go out. Synchronous and clock-free (time comes from bars),
//! so the TUI, headless mode, replay and backtest all drive the same code.

mod bars;
mod book;
mod close;
mod desk;
mod guard;
mod notice;
mod positioning;
mod probe;
mod recorded;
mod restore;
mod resumed;
mod signals;
mod venue;

pub use desk::{override_reason_text, Action, OVERRIDE_REASONS};
pub use notice::{health_text, no_bars_reason, Notice};
pub use probe::ProbeFigures;
pub use recorded::RecordedAnswer;
pub use restore::Restored;

use crate::broker::{Broker, BrokerEvent};
use crate::config::Config;
use crate::engine::{Engine, EngineEvent, EngineOutput, EngineView};
use crate::feed::FeedEvent;
use crate::model::{Symbol, Timeframe};
use crate::store::{Severity, Store};

/// Clock skew tolerated between a venue's bar stamps and ours before a bar counts as from the future.
const FUTURE_SLACK_MINUTES: i64 = 10;

/// Everything that can happen to a session.
#[derive(Debug, Clone)]
pub enum Input {
    Feed(FeedEvent),
    Broker(BrokerEvent),
    Action(Action),
}

pub struct Session {
    cfg: Config,
    pub store: Store,
    engine: Engine,
    broker: Box<dyn Broker>,
    /// Short tag that makes client order ids unique when there is no journal.
    tag: crate::model::IdPrefix,
    order_seq: u64,
    gate: crate::risk::RiskGate,
    journal: Option<crate::journal::Journal>,
    /// The first write the journal's file or disk refused: from then on nothing is recorded.
    journal_failed: Option<String>,
    /// Live trading: the risk gate's clock is the wall clock, not the bar clock.
    wall_clock: bool,
    recovery: restore::Pending,
    /// The engine's outputs of one bar, reused: the per-bar path allocates nothing.
    outputs: Vec<EngineOutput>,
    /// Broker events taken: cash and positions move only on them, so a bar's marked equity
    /// holds until the count moves.
    broker_events: u64,
    /// The venue's answers to the order being sent, kept between orders (see `send`).
    venue_answers: Vec<crate::broker::BrokerEvent>,
    /// The standing stops as last journaled: journaled again only when they move.
    stops_journaled: crate::model::Stops,
    /// What the agents remembered, as last journaled (live bars only).
    memory_journaled: Option<crate::engine::AgentMemory>,
    /// The last market day decided on its forming bar (see `close`).
    decided_close: Option<chrono::NaiveDate>,
    /// Wall-clock time the last forming bar arrived (live): data flowing, whatever its bar's start.
    forming_arrived: Option<chrono::DateTime<chrono::Utc>>,
    /// `replay --session`: the recorded answers still to give (see `recorded`).
    recorded: Vec<recorded::RecordedAnswer>,
    /// What the positioning refresh last saw and handed on (see `positioning`).
    positioning: positioning::Watch,
    /// A backtest: routine bookkeeping lines (the daily margin interest) are not written to the
    /// log file, the hot Info lines not to the Events pane (`info_log`), the Scorecard pane is
    /// not kept (its report reads the closed lots), and no bar, signal or positioning-report
    /// notice is built (its loop reads orders and fills). Nobody reads them, and formatting a
    /// log-file line cost as much as a day's bars.
    backtest: bool,
    /// A backtest's timings of the engine and the signal path (off otherwise).
    probe: probe::Probe,
    /// `paper.buying_power` as the gate's margin multiple, converted once (an f64 to a decimal
    /// on every order was a twentieth of the signal path).
    margin_per_equity: rust_decimal::Decimal,
}

impl Session {
    pub fn new(
        cfg: Config,
        broker: Box<dyn Broker>,
        timeframe: Timeframe,
        tag: impl Into<String>,
    ) -> Self {
        let mut store = Store::new(
            timeframe,
            cfg.signals.mode,
            broker.kind(),
            cfg.paper.starting_cash,
        );
        store.set_history(&cfg.history);
        let engine = Engine::new(&cfg);
        let costs = crate::broker::Costs::for_venue(broker.kind(), &cfg.paper);
        let gate =
            crate::risk::RiskGate::new(crate::risk::RiskLimits::from(&cfg.risk).with_costs(costs));
        let wall_clock = matches!(
            broker.kind(),
            crate::broker::BrokerKind::Paper | crate::broker::BrokerKind::Live
        );
        store.wall_clock = wall_clock;
        let margin_per_equity = cfg.paper.margin_per_equity();
        Session {
            cfg,
            store,
            engine,
            broker,
            tag: crate::model::IdPrefix::new(&tag.into()),
            order_seq: 0,
            gate,
            journal: None,
            journal_failed: None,
            wall_clock,
            recovery: Default::default(),
            outputs: Vec::new(),
            broker_events: 0,
            venue_answers: Vec::new(),
            stops_journaled: [None; 3],
            memory_journaled: None,
            decided_close: None,
            forming_arrived: None,
            recorded: Vec::new(),
            positioning: Default::default(),
            backtest: false,
            probe: Default::default(),
            margin_per_equity,
        }
    }

    /// A backtest's session: no log lines or notices nobody reads (see `backtest`).
    pub fn for_backtest(mut self) -> Self {
        self.backtest = true;
        // Only the newest indicator row is read in a backtest (the stop's ATR, the study's
        // SMA): no chart looks back through them.
        self.store.indicators.set_capacity(1);
        self
    }

    /// An Info line for the Events pane, formatted only when a pane can show it: a backtest has
    /// none, and the proposal, order, answer and fill lines were a third of its signal path.
    pub(super) fn info_log(&mut self, line: impl FnOnce() -> String) {
        if !self.backtest {
            self.store.push_log(Severity::Info, line());
        }
    }

    /// Time the engine (sampled) and the signal path for the report (see `probe`).
    pub fn with_probe(mut self) -> Self {
        self.probe = probe::Probe::on();
        self
    }

    /// What the probe measured so far.
    pub fn probe_figures(&self) -> ProbeFigures {
        self.probe.figures()
    }

    /// Record every decision in `journal` from now on.
    pub fn with_journal(mut self, journal: crate::journal::Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Journal bars in transactions of up to `max_rows` (see `Journal::batch_bars`); the caller
    /// then calls `flush_journal` whenever its queue of feed events is empty.
    pub fn batch_journal(&mut self, max_rows: usize) {
        self.journal("batching", |j| j.batch_bars(max_rows));
    }

    pub fn flush_journal(&mut self) {
        self.journal("commit", |j| j.flush());
    }

    /// The journal write that failed, if one did: a run that cannot record must stop.
    pub fn journal_failure(&self) -> Option<&str> {
        self.journal_failed.as_deref()
    }

    pub fn journal_ref(&self) -> Option<&crate::journal::Journal> {
        self.journal.as_ref()
    }

    /// Close the journal's session (a clean stop: nothing to recover).
    pub fn end(&mut self, reason: &str) {
        self.journal_final_positions();
        self.journal("session end", |j| j.end_session(reason));
    }

    /// The kill switch is the risk gate's state; this is the one place to read it.
    pub fn kill_switch(&self) -> bool {
        self.gate.is_killed()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn engine_view(&self) -> &EngineView {
        self.engine.view()
    }

    /// What the agents' positions book holds of `symbol` (it must equal the position).
    pub fn agents_held(&self, symbol: Symbol) -> rust_decimal::Decimal {
        self.engine.held(symbol)
    }

    /// The stop standing on each agent position: (symbol, shares, IWM-terms stop).
    pub fn standing_exits(&self) -> Vec<(Symbol, rust_decimal::Decimal, f64)> {
        self.engine.standing_exits()
    }

    pub fn handle(&mut self, input: Input) -> Vec<Notice> {
        let mut out = Vec::new();
        self.handle_into(input, &mut out);
        out
    }

    /// Like `handle`, appending to `out`: a loop that reuses its buffer allocates nothing per bar.
    pub fn handle_into(&mut self, input: Input, out: &mut Vec<Notice>) {
        match input {
            Input::Feed(ev) => self.on_feed(ev, out),
            Input::Broker(ev) => self.on_broker(ev, out),
            Input::Action(a) => {
                self.act(a, out);
                self.journal_stops();
                // A trader's answer is on disk before the next key, not with the next bars.
                self.flush_journal();
                return;
            }
        }
        self.journal_stops();
    }

    /// Whatever moved a stop (a bar's trail, a fill, a flatten), the journal keeps the latest.
    /// Called after every bar: without a journal (a backtest) nothing beyond the check.
    #[inline(always)]
    pub(super) fn journal_stops(&mut self) {
        if self.journal.is_some() {
            self.journal_stops_and_memory();
        }
    }

    fn journal_stops_and_memory(&mut self) {
        let stops = self.engine.stops();
        if stops != self.stops_journaled {
            self.stops_journaled = stops;
            self.journal("stops", |j| j.record_stops(&stops));
        }
        // On live bars only, once restored holdings are handed over: the warm-up's memory is
        // not the run's (nothing filled there).
        if self.store.bar_index == 0 || self.recovery.holdings_pending() {
            return;
        }
        let memory = self.engine.memory();
        let same = |m: &crate::engine::AgentMemory| {
            (m.bear_break, m.bear_last_stop, m.bull_break)
                == (memory.bear_break, memory.bear_last_stop, memory.bull_break)
        };
        if !self.memory_journaled.as_ref().is_some_and(same) {
            self.memory_journaled = Some(memory);
            self.journal("agent memory", |j| j.record_memory(&memory));
        }
    }

    fn process_engine(&mut self, ev: EngineEvent, out: &mut Vec<Notice>) {
        for o in self.engine.process(ev) {
            if let EngineOutput::Signal(s) = o {
                self.on_signal(s.into_signal(), out);
            }
        }
    }
}
