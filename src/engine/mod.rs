//! The pure decision engine: bars, fills and positioning evidence in; signals out. No I/O, no clock:
//! time arrives inside the events, so live, replay and backtest run the same code.
//!
//! Per IWM bar, in this order: indicators → levels (a break of the active support is reported) →
//! reversal evidence → re-engagement on a reclaim (Bear scales out, Bull goes long; checked before
//! stops) → stops and hedge exits → Bear entries → Bull hedge. Nothing is proposed while data is
//! stale or the agents are paused, and a bar that is impossible or not newer than the last is ignored.

pub mod bear;
pub mod book_beta;
pub mod bull;
mod clusters;
pub mod context;
mod draft;
mod fixfmt;
mod holdings;
pub mod indicators;
pub mod ledger;
pub mod levels;
mod memory;
mod propose;
pub mod report;
#[cfg(test)]
mod rules_tests;
pub mod sizing;
mod types;
mod view;
pub mod why;

pub use draft::SignalDraft;
pub use memory::AgentMemory;
pub use report::write_indicators_csv;
pub use types::{
    BearView, BullView, EngineEvent, EngineOutput, EngineView, IndicatorRow, Level, LevelSource,
    LevelState,
};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::config::{AgentsMode, BookValue, Config};
use crate::model::money::to_f64;
use crate::model::{Bar, SignalKind, Symbol};
use bear::Bear;
use bull::Bull;
use context::{Ctx, ShortCheck};
use indicators::{IndicatorSet, Snapshot};
use ledger::Ledger;
use levels::LevelBook;
use view::ViewAtBar;

/// The engine: one instance per signal timeframe.
#[derive(Clone)]
pub struct Engine {
    cfg: Config,
    ind: IndicatorSet,
    levels: LevelBook,
    bear: Bear,
    bull: Bull,
    ledger: Ledger,
    /// The view as it stands when the engine was created (no IWM bar yet): levels empty, agents idle.
    view0: EngineView,
    /// The view, assembled on demand by `view()` and dropped by every event.
    view: std::sync::OnceLock<EngineView>,
    /// What the view needs from the last IWM bar (None before the first).
    at_bar: Option<ViewAtBar>,
    /// Equity as the `Account` event gave it (the paper starting cash before). Its f64 (`equity`)
    /// is taken when sizing or the view reads it: an `Account` event comes on every step, a
    /// signal on a few.
    equity_dec: Decimal,
    /// Short-interest validation of the latest evidence, worked out when it arrives.
    short: ShortCheck,
    stale: bool,
    paused: bool,
    next_id: u64,
    last_time: [Option<DateTime<Utc>>; Symbol::COUNT],
    last_close: [Option<f64>; Symbol::COUNT],
    prev_iwm: Option<Bar>,
    /// Scratch buffer for the exact ATR% median (sizing), so sizing does not allocate.
    scratch: Vec<f64>,
    /// Beta dollars and IWM dollars proposed earlier on this bar (fills come later).
    pending: (f64, f64),
    /// Proposals that may still trade: the agents' state waits on them (see `holdings`).
    open: Vec<holdings::Open>,
    /// The last IWM bar with a known ATR, for agents taking charge of shares they did not propose.
    adopt_at: Option<context::AdoptAt>,
    /// Shares arrived before any bar could give them a stop: adopted at the next one.
    adopt_later: bool,
    /// Stops a previous process journaled, taken by the agents when they adopt its shares.
    restored: crate::model::Stops,
    /// Entries decided on a copy of this engine (the close decision), with the stop the copy
    /// set for them: their fills hand it to the agent that adopts the shares.
    decided: Vec<(u64, crate::model::StandingStop)>,
    /// Shares held (Bear vehicle, IWM) as f64, refreshed on fills, for per-bar exposure.
    held_f64: (f64, f64),
    /// The Bear's shares over all tiers, refreshed on fills (a Decimal sum is slow per bar).
    bear_held: Decimal,
    /// A QQQ or SPY book's IWM beta, from the daily returns of both.
    book_beta: book_beta::BookBeta,
    /// `book.value` in f64 (0 for "venue"): `hedged_dollars` is read on every step.
    book_dollars: f64,
}

impl Engine {
    pub fn new(cfg: &Config) -> Self {
        let bear = Bear::new(cfg);
        let mut view = EngineView {
            equity: cfg.paper.starting_cash,
            ..EngineView::default()
        };
        view.bear.max_tiers = bear.max_tiers();
        view.bear.vehicle = Some(bear.vehicle());
        view.bull.evidence = bull::EVIDENCE
            .iter()
            .map(|s| (s.to_string(), false))
            .collect();
        Engine {
            cfg: cfg.clone(),
            ind: IndicatorSet::new(cfg),
            levels: LevelBook::new(cfg),
            ledger: Ledger::new(
                cfg.bear.max_tiers,
                bear.vehicle(),
                cfg.agents.mode == AgentsMode::Hedge,
            )
            .with_book_symbol(cfg.book.symbol),
            book_beta: book_beta::BookBeta::default(),
            bear,
            bull: Bull::new(cfg),
            view0: view,
            view: std::sync::OnceLock::new(),
            at_bar: None,
            equity_dec: cfg.paper.starting_cash,
            short: ShortCheck::new(None),
            stale: false,
            paused: false,
            next_id: 1,
            last_time: [None; Symbol::COUNT],
            last_close: [None; Symbol::COUNT],
            prev_iwm: None,
            scratch: Vec::with_capacity(cfg.risk.vol_lookback),
            pending: (0.0, 0.0),
            open: Vec::new(),
            adopt_at: None,
            adopt_later: false,
            restored: [None; 3],
            decided: Vec::new(),
            held_f64: (0.0, 0.0),
            bear_held: Decimal::ZERO,
            book_dollars: match cfg.book.value {
                BookValue::Dollars(v) => to_f64(v),
                BookValue::Venue => 0.0,
            },
        }
    }

    /// Continue signal numbering after a restart (ids stay unique across sessions).
    pub fn set_next_signal_id(&mut self, id: u64) {
        self.next_id = id.max(1);
    }

    pub fn next_signal_id(&self) -> u64 {
        self.next_id
    }

    pub fn view(&self) -> &EngineView {
        self.view.get_or_init(|| self.build_view())
    }

    pub fn process(&mut self, event: EngineEvent) -> Vec<EngineOutput> {
        let mut out = Vec::new();
        self.process_into(event, &mut out);
        out
    }

    /// Like `process`, appending to `out`: with a reused buffer the per-bar path allocates
    /// nothing unless a signal fires (one `Vec` of reasons).
    pub fn process_into(&mut self, event: EngineEvent, out: &mut Vec<EngineOutput>) {
        // Any event may change what the view shows; it is rebuilt at the next `view()`. Looked at
        // first: a backtest never builds it, and `take` writes and drops an empty one.
        if self.view.get().is_some() {
            self.view.take();
        }
        match event {
            EngineEvent::Bar { symbol, bar } => self.on_bar(symbol, bar, out),
            EngineEvent::Fill {
                fill,
                book,
                signal_id,
            } => self.on_fill(&fill, book, signal_id),
            EngineEvent::Unfilled { signal_id } => self.on_unfilled(signal_id),
            EngineEvent::Held { positions } => self.on_held(&positions),
            EngineEvent::Restored(stops) => self.restored = *stops,
            EngineEvent::Journaled { fills } => {
                for (fill, book) in &fills {
                    self.ledger.apply(fill, *book);
                }
                self.sync_agents();
            }
            EngineEvent::Account { equity } => self.equity_dec = equity,
            EngineEvent::Evidence(ev) => self.short = ShortCheck::new(Some(&ev)),
            EngineEvent::IndexLevels(prices) => self.levels.set_index_levels(&prices),
            EngineEvent::DataStale(s) => self.stale = s,
            EngineEvent::Paused(p) => self.paused = p,
        }
    }

    fn on_bar(&mut self, symbol: Symbol, bar: Bar, out: &mut Vec<EngineOutput>) {
        let k = symbol.index();
        // Impossible bars and bars not newer than the last one never reach the rules.
        if self.last_time[k].is_some_and(|t| bar.time <= t) || !bar.plausible() {
            return;
        }
        self.last_time[k] = Some(bar.time);
        self.last_close[k] = Some(bar.close);
        let book = self.ledger.book_symbol;
        if book != Symbol::Iwm {
            if symbol == book {
                self.book_beta.observe_book(bar.time, bar.close);
            } else if symbol == Symbol::Iwm {
                self.book_beta.observe_iwm(bar.time, bar.close);
            }
        }
        if symbol == Symbol::Iwm {
            self.on_iwm_bar(bar, out);
        }
    }

    /// The rules' bar. Kept out of `process_into` (not inlined): the vehicles' bars and the
    /// account events, two thirds of the events in a backtest, then run without this path's
    /// large frame.
    #[inline(never)]
    fn on_iwm_bar(&mut self, bar: Bar, out: &mut Vec<EngineOutput>) {
        let snap = self.ind.push(&bar);
        let seq = self.ind.bars() - 1;
        let brk = self
            .levels
            .update(seq, bar.close, snap.atr, snap.poc, snap.pivots);
        out.push(EngineOutput::Indicators(row(&bar, &snap)));
        if let Some(atr) = snap.atr {
            self.adopt_at = Some(context::AdoptAt {
                seq,
                time: bar.time,
                close: bar.close,
                low: bar.low,
                atr,
            });
            if std::mem::take(&mut self.adopt_later) {
                self.sync_agents();
            }
            let c = Ctx {
                seq,
                bar: &bar,
                prev_high: self.prev_iwm.map(|p| p.high),
                ind: &snap,
                atr,
            };
            self.decide(&c, brk, out);
        }
        self.prev_iwm = Some(bar);
        self.pending = (0.0, 0.0);
        // Only what the view cannot read later from the engine's state is kept from this bar.
        self.at_bar = Some(ViewAtBar {
            seq,
            close: bar.close,
            poc: snap.poc,
            vehicle_px: self.last_close[self.bear.vehicle().index()],
            atr: snap.atr,
            bear_held: self.bear_held,
            hedge_held: self.ledger.hedge,
            bull_held: self.ledger.bull,
        });
    }

    /// The agents' turn on one bar.
    fn decide(&mut self, c: &Ctx, brk: Option<levels::Break>, out: &mut Vec<EngineOutput>) {
        if let Some(b) = brk {
            self.bear.on_break(b);
        }
        self.bear.age_memory(c.seq, c.close());
        let reclaim = self.bull.observe(c);
        if self.stale || self.paused {
            return;
        }
        let book_mode = self.cfg.agents.mode == AgentsMode::Book;
        // Book mode, re-engagement first: a reclaim hands the market to the Bull before any stop
        // fires; with both agents flat, a recovered trend does. (Hedge mode: the reclaim is
        // evidence only: scaling the Bear out made it a worse hedge.)
        if book_mode {
            if let Some((entry, why)) = self.bull.check_reengage(c, reclaim) {
                for p in self.bear.scale_out(&why) {
                    self.emit(c, p, out);
                }
                self.ledger.fold_hedge_into_bull();
                self.emit(c, entry, out);
            } else if self.bear.pos().is_none_or(|p| p.exiting) {
                if let Some(entry) = self.bull.check_trend(c) {
                    self.ledger.fold_hedge_into_bull();
                    self.emit(c, entry, out);
                }
            }
        }
        if let Some(p) = self.bear.check_stop(c) {
            self.emit(c, p, out);
        }
        // A hedge protects shares the Bear really holds and keeps: never a position still waiting
        // for its fill, nor one whose stop has just fired on this bar.
        let level = self
            .bear
            .pos()
            .filter(|p| !p.exiting && self.bear_held > Decimal::ZERO)
            .map(|p| p.level);
        if let Some(p) = self.bull.check_hedge(c, level) {
            self.emit(c, p, out);
        }
        let bear_in = self
            .bear
            .pos()
            .is_some_and(|p| !p.exiting && self.bear_held > Decimal::ZERO);
        if let Some(p) = self.bull.check_hedge_exit(c, bear_in) {
            self.emit(c, p, out);
        }
        if let Some(p) = self.bull.check_stop(c) {
            self.emit(c, p, out);
        }
        if let Some(p) = self.bear.check_entry(c, &self.short) {
            // Book mode: a tier 1 and the Bull's hand-off are one pair, the sale first.
            if book_mode && p.kind == (SignalKind::BearEntry { tier: 1 }) {
                if let Some(h) = self.bull.hand_off() {
                    self.emit(c, h, out);
                }
            }
            self.emit(c, p, out);
        }
        if let Some(b) = self.bear.take_entry_break() {
            self.bull.on_bear_break(b);
        }
    }

    /// The account's equity as the sizing arithmetic takes it.
    fn equity_f64(&self) -> f64 {
        to_f64(self.equity_dec)
    }

    fn price(&self, s: Symbol) -> Option<f64> {
        self.last_close[s.index()]
    }
}

fn row(bar: &Bar, s: &Snapshot) -> IndicatorRow {
    IndicatorRow {
        time: bar.time,
        close: bar.close,
        rsi: s.rsi,
        atr: s.atr,
        sma_fast: s.sma_fast,
        sma_mid: s.sma_mid,
        sma_slow: s.sma_slow,
        ema: s.ema,
        volume_sma: s.volume_sma,
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default_config())
    }
}
