//! Backtest: the live pipeline (session → engine → auto-acknowledged signals → paper broker) run
//! over recorded or synthetic bars as fast as possible, with the figures a trader compares.

mod metrics;
pub mod plot;
pub mod synthetic;
mod trips;

use std::time::Instant;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

pub use metrics::{curve_stats, CurveAcc, CurveStats};

use crate::broker::paper::{to_f64, PaperBroker};
use crate::config::{Config, Mode};
use crate::data::LoadWarning;
use crate::feed::replay::{Part, ReplayPlan};
use crate::feed::FeedEvent;
use crate::model::{Bar, Symbol, Timeframe};
use crate::session::{Input, Session};

#[derive(Debug, Clone, Serialize)]
pub struct AgentPnl {
    pub bear: f64,
    pub bull: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Replayed timestamps (each carries up to one bar per symbol).
    pub bars: usize,
    pub bars_per_second: f64,
    pub elapsed_ms: f64,
    /// Wall time of the replay loop per replayed timestamp (one bar of each symbol).
    pub ns_per_bar: f64,
    /// The process's peak resident memory (VmHWM) at the end, in MB; 0 where /proc is missing.
    pub peak_rss_mb: f64,
    pub starting_equity: f64,
    pub final_equity: f64,
    #[serde(flatten)]
    pub strategy: CurveStats,
    /// Closed round trips (flat → position → flat) per agent and symbol.
    pub trades: usize,
    pub win_rate: f64,
    pub fills: usize,
    pub signals: usize,
    /// Fraction of bars with any position held.
    pub exposure: f64,
    pub pnl_per_agent: AgentPnl,
    pub buy_and_hold: CurveStats,
    #[serde(skip)]
    pub curve: Vec<(f64, f64, f64)>,
}

/// Where a backtest starts trading when `--from` is not given: after the first 250 IWM bars,
/// which warm the indicators up (the last bar, if there are fewer).
pub fn default_start<'a>(iwm: impl Iterator<Item = &'a Bar>) -> Option<DateTime<Utc>> {
    iwm.take(251).last().map(|b| b.time)
}

/// Run a backtest over a replay plan up to `to` (the plan's history warms the indicators up).
/// Rows the plan's files skip go to `on_skipped` as they are read.
pub fn run(
    cfg: Config,
    plan: ReplayPlan,
    to: Option<DateTime<Utc>>,
    progress: bool,
    mut on_skipped: impl FnMut(LoadWarning),
) -> Report {
    let timeframe = plan.timeframe;
    let feed = plan
        .filter_map(move |part| match part {
            Part::History { symbol, bars, more } => Some(Fed::History(FeedEvent::history(
                symbol, timeframe, bars, more,
            ))),
            Part::Step((t, group)) => Some(Fed::Step(t, group)),
            Part::Skipped(w) => {
                on_skipped(w);
                None
            }
        })
        .take_while(|f| !matches!(f, Fed::Step(t, _) if to.is_some_and(|to| *t > to)));
    run_steps(cfg, timeframe, feed, None, progress)
}

/// `backtest --synthetic n`: the walk streamed step by step (its first 250 bars warm up), so
/// memory stays flat however long the run; the same bars and figures as `run` over
/// `synthetic::series(n)`.
pub fn run_synthetic(cfg: Config, n: usize, progress: bool) -> Report {
    let warm = 250.min(n.saturating_sub(1));
    let mut walk = synthetic::Walk::new();
    let mut history: Vec<(Symbol, Vec<Bar>)> = Symbol::ALL
        .iter()
        .map(|s| (*s, Vec::with_capacity(warm)))
        .collect();
    for step in walk.by_ref().take(warm) {
        for (k, b) in step.into_iter().enumerate() {
            history[k].1.push(b);
        }
    }
    let history = history.into_iter().map(|(symbol, bars)| {
        Fed::History(FeedEvent::History {
            symbol,
            timeframe: Timeframe::Min1,
            bars,
        })
    });
    // As `ReplayPlan` orders a timestamp: the vehicles before IWM.
    let steps = walk.take(n - warm).map(|[iwm, twm, srty]| {
        let group = [(Symbol::Twm, twm), (Symbol::Srty, srty), (Symbol::Iwm, iwm)];
        Fed::Step(iwm.time, group)
    });
    run_steps(
        cfg,
        Timeframe::Min1,
        history.chain(steps),
        Some(n - warm),
        progress,
    )
}

/// What the backtest loop is fed: warm-up bars, then one timestamp at a time.
enum Fed<G> {
    History(FeedEvent),
    Step(DateTime<Utc>, G),
}

/// The loop both share: history first, then every step through the session in auto mode.
fn run_steps<G: IntoIterator<Item = (Symbol, Bar)>>(
    mut cfg: Config,
    timeframe: Timeframe,
    feed: impl Iterator<Item = Fed<G>>,
    steps: Option<usize>,
    progress: bool,
) -> Report {
    cfg.signals.mode = Mode::Auto;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let starting = to_f64(cfg.paper.starting_cash);
    let mut session = Session::new(cfg, broker, timeframe, "bt");
    // A file read as it goes has no length up front: a count then, not a bar.
    let bar = match steps {
        Some(n) => indicatif::ProgressBar::new(n as u64),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if !progress || steps.is_some_and(|n| n < 200_000) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let (mut strategy, mut hold) = (CurveAcc::default(), CurveAcc::default());
    let mut curve = Curve::default();
    let mut trips = trips::Trips::default();
    let mut notices = Vec::new();
    let (mut n, mut held_bars) = (0usize, 0usize);
    let mut first_iwm: Option<f64> = None;
    let (mut start, mut end) = (None, None);
    for fed in feed {
        let (t, group) = match fed {
            Fed::History(ev) => {
                session.handle(Input::Feed(ev));
                continue;
            }
            Fed::Step(t, group) => (t, group),
        };
        start.get_or_insert(t);
        end = Some(t);
        for (symbol, b) in group {
            let ev = FeedEvent::Bar {
                symbol,
                timeframe,
                bar: b,
            };
            session.handle_into(Input::Feed(ev), &mut notices);
            trips.observe(&session, &notices);
            notices.clear();
        }
        let eq = to_f64(session.store.equity);
        let iwm = session
            .store
            .series(Symbol::Iwm)
            .last()
            .map(|b| b.close)
            .unwrap_or(1.0);
        let bh = starting * iwm / *first_iwm.get_or_insert(iwm);
        if session.store.positions.values().any(|p| !p.qty.is_zero()) {
            held_bars += 1;
        }
        strategy.push(eq);
        hold.push(bh);
        curve.push((year_fraction(t), eq, bh));
        if n % 4096 == 0 {
            bar.set_position(n as u64);
        }
        n += 1;
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let years = match (start, end) {
        (Some(a), Some(b)) => (b - a).num_days() as f64 / 365.25,
        _ => 0.0,
    };
    let per_year = if timeframe == Timeframe::Day1 {
        252.0
    } else {
        252.0 * 23_400.0 / timeframe.seconds() as f64
    };
    Report {
        start,
        end,
        bars: n,
        bars_per_second: if elapsed > 0.0 {
            n as f64 / elapsed
        } else {
            0.0
        },
        elapsed_ms: elapsed * 1_000.0,
        ns_per_bar: if n > 0 { elapsed * 1e9 / n as f64 } else { 0.0 },
        peak_rss_mb: crate::procstat::peak_rss_mb(),
        starting_equity: starting,
        final_equity: strategy.last().unwrap_or(starting),
        strategy: strategy.stats(years, per_year),
        trades: trips.trades,
        win_rate: if trips.trades > 0 {
            trips.wins as f64 / trips.trades as f64
        } else {
            0.0
        },
        fills: trips.fills,
        signals: session.store.signals.total() as usize,
        exposure: if n > 0 {
            held_bars as f64 / n as f64
        } else {
            0.0
        },
        pnl_per_agent: trips.pnl(&session),
        buy_and_hold: hold.stats(years, per_year),
        curve: curve.points,
    }
}

/// The equity curve for `--plot`, thinned as it grows: at most `2 × CURVE_POINTS` points
/// (every 2^k-th step), so a run of millions of bars does not keep one point per bar.
const CURVE_POINTS: usize = 4_096;

#[derive(Debug)]
struct Curve {
    points: Vec<(f64, f64, f64)>,
    /// Keep every `every`-th step.
    every: usize,
    seen: usize,
}

impl Default for Curve {
    fn default() -> Self {
        Curve {
            points: Vec::new(),
            every: 1,
            seen: 0,
        }
    }
}

impl Curve {
    fn push(&mut self, p: (f64, f64, f64)) {
        if self.seen % self.every == 0 {
            if self.points.len() == 2 * CURVE_POINTS {
                // The kept points sit at multiples of `every`: keeping the even ones leaves
                // the multiples of `2 × every`.
                let mut i = 0;
                self.points.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.every *= 2;
            }
            if self.seen % self.every == 0 {
                self.points.push(p);
            }
        }
        self.seen += 1;
    }
}

fn year_fraction(t: DateTime<Utc>) -> f64 {
    f64::from(t.year()) + f64::from(t.ordinal0()) / 365.25
}

/// The human-readable table.
pub fn render(r: &Report) -> String {
    let d = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "—".into())
    };
    let pct = |x: f64| format!("{:+.1} %", x * 100.0);
    let mut s = format!(
        "backtest {} → {}   {} bars in {:.1} ms ({:.0} bars/s)\n\n{:<16}{:>14}{:>18}\n",
        d(r.start),
        d(r.end),
        r.bars,
        r.elapsed_ms,
        r.bars_per_second,
        "",
        "double-agent",
        "buy & hold IWM"
    );
    let rows = [
        (
            "total return",
            pct(r.strategy.total_return),
            pct(r.buy_and_hold.total_return),
        ),
        ("CAGR", pct(r.strategy.cagr), pct(r.buy_and_hold.cagr)),
        (
            "max drawdown",
            pct(-r.strategy.max_drawdown),
            pct(-r.buy_and_hold.max_drawdown),
        ),
        (
            "Sharpe",
            format!("{:.2}", r.strategy.sharpe),
            format!("{:.2}", r.buy_and_hold.sharpe),
        ),
    ];
    for (k, a, b) in rows {
        s.push_str(&format!("{k:<16}{a:>14}{b:>18}\n"));
    }
    s.push_str(&format!(
        "\nequity ${:.2} → ${:.2}\ntrades {} closed (win rate {:.0} %), {} fills, {} signals, exposure {:.0} % of bars\nP&L by agent: bear {:+.2}  bull {:+.2}\n",
        r.starting_equity,
        r.final_equity,
        r.trades,
        r.win_rate * 100.0,
        r.fills,
        r.signals,
        r.exposure * 100.0,
        r.pnl_per_agent.bear,
        r.pnl_per_agent.bull
    ));
    s
}
