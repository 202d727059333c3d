//! The pure decision engine: bars, fills and positioning evidence in; signals out. No I/O, no clock:
//! time arrives inside the events, so live, replay and backtest run the same code.
//!
//! Per IWM bar, in this order: indicators → levels (a break of the active support is reported) →
//! reversal evidence → re-engagement on a reclaim (Bear scales out, Bull goes long; checked before
//! stops) → stops and hedge exits → Bear entries → Bull hedge. Nothing is proposed while data is
//! stale or the agents are paused, and a bar that is impossible or not newer than the last is ignored.

pub mod bear;
pub mod bull;
pub mod context;
mod fixfmt;
pub mod indicators;
pub mod ledger;
pub mod levels;
mod pivot_set;
mod propose;
pub mod report;
#[cfg(test)]
mod rules_tests;
pub mod sizing;
mod types;

pub use report::write_indicators_csv;
pub use types::{
    BearView, BullView, EngineEvent, EngineOutput, EngineView, IndicatorRow, Level, LevelSource,
    LevelState,
};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::broker::paper::to_f64;
use crate::config::Config;
use crate::model::{Bar, ShortEvidence, Symbol};
use bear::Bear;
use bull::Bull;
use context::Ctx;
use indicators::{IndicatorSet, Snapshot};
use ledger::Ledger;
use levels::LevelBook;

/// The engine: one instance per signal timeframe.
pub struct Engine {
    cfg: Config,
    ind: IndicatorSet,
    levels: LevelBook,
    bear: Bear,
    bull: Bull,
    ledger: Ledger,
    view: EngineView,
    evidence: Option<ShortEvidence>,
    equity: f64,
    stale: bool,
    paused: bool,
    next_id: u64,
    last_time: [Option<DateTime<Utc>>; 3],
    last_close: [Option<f64>; 3],
    prev_iwm: Option<Bar>,
    /// Scratch buffer for the exact ATR% median (sizing), so sizing does not allocate.
    scratch: Vec<f64>,
    /// Beta dollars and IWM dollars proposed earlier on this bar (fills come later).
    pending: (f64, f64),
    /// Vehicle shares the Bear proposed since it engaged (its hypothetical position).
    bear_proposed: Decimal,
    /// Level-book version last copied into the view.
    levels_seen: u64,
    /// Shares held (Bear vehicle, IWM) as f64, refreshed on fills, for per-bar exposure.
    held_f64: (f64, f64),
    /// The Bear's shares over all tiers, refreshed on fills (a Decimal sum is slow per bar).
    bear_held: Decimal,
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
            ledger: Ledger::new(cfg.bear.max_tiers, bear.vehicle()),
            bear,
            bull: Bull::new(cfg),
            view,
            evidence: None,
            equity: to_f64(cfg.paper.starting_cash),
            stale: false,
            paused: false,
            next_id: 1,
            last_time: [None; 3],
            last_close: [None; 3],
            prev_iwm: None,
            scratch: Vec::with_capacity(cfg.risk.vol_lookback),
            pending: (0.0, 0.0),
            bear_proposed: Decimal::ZERO,
            levels_seen: u64::MAX,
            held_f64: (0.0, 0.0),
            bear_held: Decimal::ZERO,
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
        &self.view
    }

    pub fn process(&mut self, event: EngineEvent) -> Vec<EngineOutput> {
        let mut out = Vec::new();
        self.process_into(event, &mut out);
        out
    }

    /// Like `process`, appending to `out`: with a reused buffer the per-bar path allocates
    /// nothing unless a signal fires (its reasons are text).
    pub fn process_into(&mut self, event: EngineEvent, out: &mut Vec<EngineOutput>) {
        match event {
            EngineEvent::Bar { symbol, bar } => self.on_bar(symbol, bar, out),
            EngineEvent::Fill { fill, signal_id } => {
                self.ledger.apply(&fill, signal_id);
                self.bear_held = self.ledger.bear_total();
                self.held_f64 = (
                    to_f64(self.bear_held),
                    to_f64(self.ledger.hedge + self.ledger.bull),
                );
                self.refresh_exposure();
            }
            EngineEvent::Account { equity } => {
                self.equity = to_f64(equity);
                self.view.equity = equity;
                self.refresh_exposure();
            }
            EngineEvent::Evidence(ev) => self.evidence = Some(ev),
            EngineEvent::DataStale(s) => {
                self.stale = s;
                self.view.stale = s;
            }
            EngineEvent::Paused(p) => {
                self.paused = p;
                self.view.paused = p;
            }
        }
    }

    fn on_bar(&mut self, symbol: Symbol, bar: Bar, out: &mut Vec<EngineOutput>) {
        let k = symbol.index();
        // Impossible bars and bars not newer than the last one never reach the rules.
        if self.last_time[k].is_some_and(|t| bar.time <= t) || !plausible(&bar) {
            return;
        }
        self.last_time[k] = Some(bar.time);
        self.last_close[k] = Some(bar.close);
        if symbol != Symbol::Iwm {
            self.refresh_exposure();
            return;
        }
        let snap = self.ind.push(&bar);
        let seq = self.ind.bars() - 1;
        let brk = self
            .levels
            .update(seq, bar.close, snap.atr, snap.poc, snap.pivots);
        out.push(EngineOutput::Indicators(row(&bar, &snap)));
        if let Some(atr) = snap.atr {
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
        self.refresh_view(seq, &snap, bar.close);
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
        // Re-engagement first: a reclaim hands the market to the Bull before any stop fires.
        if let Some((entry, why)) = self.bull.check_reengage(c, reclaim) {
            for p in self.bear.scale_out(&why) {
                self.emit(c, p, out);
            }
            self.ledger.fold_hedge_into_bull();
            self.emit(c, entry, out);
        }
        // The hedge reacts to the bar against the Bear as it stood when the bar opened, so an
        // oversold thrust that also stops the Bear yields both signals (hedge, then stop).
        let level = self.bear.pos().map(|p| p.level);
        if let Some(p) = self.bull.check_hedge(c, level) {
            self.emit(c, p, out);
        }
        if let Some(p) = self.bear.check_stop(c) {
            self.emit(c, p, out);
        }
        for p in self.bull.check_exits(c).into_iter().flatten() {
            self.emit(c, p, out);
        }
        // Borrowed, not cloned: the evidence holds Strings, and a clone on every bar would
        // allocate on bars that fire nothing.
        if let Some(p) = self.bear.check_entry(c, self.evidence.as_ref()) {
            self.emit(c, p, out);
        }
        if let Some(b) = self.bear.take_entry_break() {
            self.bull.on_bear_break(b);
        }
    }

    fn price(&self, s: Symbol) -> Option<f64> {
        self.last_close[s.index()]
    }

    /// Net and gross beta of what the agents really hold, as multiples of equity.
    fn refresh_exposure(&mut self) {
        let (net, gross) = self.beta_dollars();
        let eq = self.equity.max(f64::MIN_POSITIVE);
        self.view.net_beta = net / eq;
        self.view.gross_beta = gross / eq;
    }

    /// (net, gross) IWM-beta dollars held by the agents.
    fn beta_dollars(&self) -> (f64, f64) {
        let v = self.ledger.bear_symbol;
        let mut net = 0.0;
        let mut gross = 0.0;
        for (s, q) in [(v, self.held_f64.0), (Symbol::Iwm, self.held_f64.1)] {
            let value = q * self.price(s).unwrap_or(0.0);
            net += f64::from(s.leverage()) * value;
            gross += f64::from(s.leverage()).abs() * value;
        }
        (net, gross)
    }

    fn refresh_view(&mut self, seq: u64, snap: &Snapshot, close: f64) {
        let v = &mut self.view;
        if self.levels.version() != self.levels_seen {
            self.levels_seen = self.levels.version();
            self.levels.levels_into(&mut v.levels);
        }
        v.active_support = self.levels.active_support();
        v.active_resistance = self.levels.active_resistance();
        v.atr_pct_median = snap.atr_pct_median;
        v.poc = snap.poc;
        let lev = f64::from(self.bear.vehicle().leverage()).abs();
        let decay = snap.return_var.map(|var| (lev * lev - lev) / 2.0 * var);
        let b = &mut v.bear;
        b.held = self.bear_held;
        match self.bear.pos() {
            Some(p) => {
                b.engaged = true;
                b.tiers = p.tiers;
                b.since = Some(p.since);
                b.broken_level = Some(p.level);
                b.entry_iwm = Some(p.entry_iwm);
                b.stop_iwm = Some(p.stop);
                b.confidence = p.confidence;
                b.magnitude = Some(p.magnitude);
                b.days_held = (seq - p.first_bar) as u32;
                b.decay_per_day = decay;
                b.decay_total = decay.map(|d| d * f64::from(b.days_held));
                let vp = self.last_close[self.bear.vehicle().index()];
                // From today's prices: the vehicle moves ≈ −L × IWM's move to the stop.
                b.stop_vehicle = vp.map(|pv| sizing::vehicle_stop(pv, lev, p.stop, close));
            }
            None => {
                *b = BearView {
                    max_tiers: b.max_tiers,
                    vehicle: b.vehicle,
                    held: b.held,
                    decay_per_day: decay,
                    ..BearView::default()
                };
            }
        }
        let u = &mut v.bull;
        let ev = self.bull.evidence(seq);
        for (slot, present) in u.evidence.iter_mut().zip(ev) {
            slot.1 = present;
        }
        u.hedge_active = self.bull.hedge().is_some();
        u.hedge_target = self.bull.hedge().and_then(|h| h.target);
        u.hedge_stop = self.bull.hedge().map(|h| h.stop);
        u.engaged = self.bull.pos().is_some();
        u.since = self.bull.pos().map(|p| p.since);
        u.stop_iwm = self.bull.pos().map(|p| p.stop);
        u.hedge_held = self.ledger.hedge;
        u.held = self.ledger.bull;
        self.refresh_exposure();
    }
}

/// `Bar::impossibility` without building its message (the per-bar path stays allocation-free).
fn plausible(b: &Bar) -> bool {
    let p = [b.open, b.high, b.low, b.close];
    let finite = p.iter().all(|x| x.is_finite() && *x > 0.0) && b.volume.is_finite();
    let tol = 1e-9 * b.high.abs().max(1.0);
    let ok = finite
        && b.volume >= 0.0
        && b.high >= b.low
        && b.open <= b.high + tol
        && b.open >= b.low - tol
        && b.close <= b.high + tol
        && b.close >= b.low - tol;
    debug_assert_eq!(ok, b.impossibility().is_none());
    ok
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
