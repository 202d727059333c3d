//! Backtest: the live pipeline (session → engine → auto-acknowledged signals → paper broker) run
//! over recorded or synthetic bars as fast as possible, with the figures a trader compares.

mod metrics;
pub mod plot;
mod render;
mod report;
mod study;
pub mod sweep;
pub mod synthetic;
mod trades_csv;
mod trips;

use std::time::Instant;

use chrono::{DateTime, Datelike, Utc};

pub use metrics::{curve_stats, CurveAcc, CurveStats};
pub use render::render;
pub use report::{AgentPnl, KindFigures, Report};
pub use study::{AgentFigures, Benchmarks, Decline, Figures, StudyReport};
pub use trades_csv::TradesCsv;

use crate::broker::paper::PaperBroker;
use crate::config::{AgentsMode, Config, Mode};
use crate::data::LoadWarning;
use crate::feed::replay::{Part, ReplayPlan};
use crate::feed::FeedEvent;
use crate::model::money::to_f64;
use crate::model::{AgentBook, Bar, ClientOrderId, Side, Symbol, Timeframe};
use crate::session::{Input, Notice, Session};
use crate::store::lots::Lot;

/// Where a backtest starts trading when `--from` is not given: after the first 250 IWM bars,
/// which warm the indicators up (the last bar, if there are fewer).
pub fn default_start<'a>(iwm: impl Iterator<Item = &'a Bar>) -> Option<DateTime<Utc>> {
    iwm.take(251).last().map(|b| b.time)
}

/// The record of each signal kind over the embedded daily history before `until`, under `cfg`'s
/// rules (its first 250 bars warm up): where a session's records start.
pub fn history_records(cfg: &Config, until: DateTime<Utc>) -> crate::store::lots::Records {
    let (series, _) = crate::data::embedded::series_of(&cfg.feed_symbols());
    let Some(start) = default_start(series[0].1.iter()).filter(|s| *s < until) else {
        return Vec::new();
    };
    let plan = ReplayPlan::new(Timeframe::Day1, series, start);
    let to = until - chrono::Duration::seconds(1);
    run(cfg.clone(), plan, Some(to), false, |_| {}, |_| {}).records
}

/// Run a backtest over a replay plan up to `to` (the plan's history warms the indicators up).
/// Rows the plan's files skip go to `on_skipped` as they are read.
pub fn run(
    cfg: Config,
    plan: ReplayPlan,
    to: Option<DateTime<Utc>>,
    progress: bool,
    mut on_skipped: impl FnMut(LoadWarning),
    on_trade: impl FnMut(&Lot),
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
    run_steps(cfg, timeframe, feed, None, progress, on_trade)
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
        |_| {},
    )
}

/// What the backtest loop is fed: warm-up bars, then one timestamp at a time.
enum Fed<G> {
    History(FeedEvent),
    Step(DateTime<Utc>, G),
}

/// Bars a backtest's store keeps per symbol: the last one. The session's checks, the marks and
/// the study read only it; the engine keeps its own windows, and only a restored session looks
/// further back (the closes before its day), which a backtest never is.
const BACKTEST_BARS: usize = 1;

/// Answered signals and settled orders a backtest's store keeps: a few, not the dashboard's
/// thousands. Nothing reads them once their orders are done (the loop counts trades from its
/// notices; open signals and working orders, and the signals of working orders, are always
/// kept), and freeing each one thousands of signals after it was made, out of cache, was a
/// quarter of a signal's time.
const BACKTEST_SIGNALS: usize = 64;
const BACKTEST_ORDERS: usize = 64;

/// The loop both share: history first, then every step through the session in auto mode.
fn run_steps<G: IntoIterator<Item = (Symbol, Bar)>>(
    mut cfg: Config,
    timeframe: Timeframe,
    feed: impl Iterator<Item = Fed<G>>,
    steps: Option<usize>,
    progress: bool,
    mut on_trade: impl FnMut(&Lot),
) -> Report {
    cfg.signals.mode = Mode::Auto;
    // Nobody looks at a backtest's chart: the study reads the last bar and indicator row, the
    // engine keeps its own windows. A one-bar tail is replaced in place (trimming a year of
    // 1-minute bars moved 100 000 items per batch, 15 % of a run; 1,024-bar tails still moved
    // one bar a push).
    cfg.history.bars = cfg.history.bars.min(BACKTEST_BARS);
    cfg.history.signals = cfg.history.signals.min(BACKTEST_SIGNALS);
    cfg.history.orders = cfg.history.orders.min(BACKTEST_ORDERS);
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let starting = to_f64(cfg.paper.starting_cash);
    let mode = cfg.agents.mode;
    let book_symbol = cfg.book.symbol;
    let slippage = cfg.paper.slippage_bps / 10_000.0;
    let mut session = Session::new(cfg, broker, timeframe, "bt")
        .for_backtest()
        .with_probe();
    // A file read as it goes has no length up front: a count then, not a bar.
    let bar = match steps {
        Some(n) => indicatif::ProgressBar::new(n as u64),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if !progress || steps.is_some_and(|n| n < 200_000) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let mut study = study::Study::new(starting, mode == AgentsMode::Hedge);
    let mut curve = Curve::default();
    let mut trips = trips::Trips::default();
    let mut notices = Vec::new();
    let mut n = 0usize;
    let mut symbol_bars = 0usize;
    let mut first_iwm: Option<f64> = None;
    let (mut start, mut end) = (None, None);
    // The book's purchase, and what its fills cost.
    let mut book_orders: Vec<ClientOrderId> = Vec::new();
    let mut book_cost = 0.0;
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
        let mut iwm_open = None;
        for (symbol, b) in group {
            symbol_bars += 1;
            if symbol == Symbol::Iwm {
                iwm_open = Some(b.open);
            }
            session.bar_into(symbol, timeframe, b, &mut notices);
            // Most bars bring no order or fill.
            if notices.is_empty() {
                continue;
            }
            trips.observe(&session, &notices);
            for notice in &notices {
                match notice {
                    Notice::Order { order, .. }
                        if order.book == Some(AgentBook::TraderBook) && order.side == Side::Buy =>
                    {
                        book_orders.push(order.client_order_id.clone());
                    }
                    Notice::Fill { fill } if book_orders.contains(&fill.client_order_id) => {
                        book_cost += to_f64(fill.qty * fill.price + fill.commission);
                    }
                    _ => {}
                }
            }
            notices.clear();
        }
        for lot in session.store.lots.take_closed() {
            on_trade(&lot);
        }
        let step = step_view(&session, t, iwm_open, book_cost);
        let first = *first_iwm.get_or_insert(step.iwm_close);
        study.push(&step, slippage);
        // The curve keeps a thinning sample of the steps: a point is worked out only if kept.
        curve.push_with(|| {
            let bh = starting * step.iwm_close / first;
            let book_curve = if mode == AgentsMode::Hedge {
                starting + step.book_value - step.book_cost
            } else {
                step.account
            };
            (year_fraction(t), step.account, book_curve, bh)
        });
        if n % 4096 == 0 {
            bar.set_position(n as u64);
        }
        n += 1;
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let probe = session.probe_figures();
    let years = match (start, end) {
        (Some(a), Some(b)) => (b - a).num_days() as f64 / 365.25,
        _ => 0.0,
    };
    let per_year = if timeframe == Timeframe::Day1 {
        252.0
    } else {
        252.0 * 23_400.0 / timeframe.seconds() as f64
    };
    let records: crate::store::lots::Records =
        session.store.lots.records().map(|(k, r)| (k, *r)).collect();
    let signals = session
        .store
        .lots
        .records()
        .map(|(kind, r)| KindFigures {
            kind,
            record: (*r).into(),
            pnl: r.pnl,
        })
        .collect();
    Report {
        mode,
        book_symbol,
        from: start,
        to: end,
        bars: n,
        bars_per_second: if elapsed > 0.0 {
            n as f64 / elapsed
        } else {
            0.0
        },
        elapsed_ms: elapsed * 1_000.0,
        ns_per_bar: if n > 0 { elapsed * 1e9 / n as f64 } else { 0.0 },
        symbol_bars,
        ns_per_symbol_bar: if symbol_bars > 0 {
            elapsed * 1e9 / symbol_bars as f64
        } else {
            0.0
        },
        engine_ns_per_iwm_bar: probe.engine_ns_per_iwm_bar,
        ns_per_signal: probe.ns_per_signal,
        peak_rss_mb: crate::process::procstat::peak_rss_mb(),
        starting_equity: starting,
        final_equity: to_f64(session.store.equity),
        study: study.finish(years, per_year),
        signals,
        trades: trips.trades,
        fills: trips.fills,
        signal_count: session.store.signals.total() as usize,
        pnl_per_agent: trips.pnl(&session),
        curve: curve.points,
        records,
    }
}

/// The account as the study reads it after a step: the book, and the agents' beta against the
/// dollars they hedge, as the engine sizes with them.
fn step_view(
    s: &Session,
    time: DateTime<Utc>,
    iwm_open: Option<f64>,
    book_cost: f64,
) -> study::Step {
    let st = &s.store;
    let iwm_close = st.series(Symbol::Iwm).last().map_or(0.0, |b| b.close);
    let book_close = st.series(s.book_symbol()).last().map_or(0.0, |b| b.close);
    let book_value = to_f64(s.book_shares()) * book_close;
    let (net_beta, gross_beta, hedged) = s.agents_exposure();
    study::Step {
        time,
        iwm_open,
        iwm_close,
        iwm_sma_slow: st.indicators.last().and_then(|r| r.sma_slow),
        account: to_f64(st.equity),
        book_value,
        book_cost: if book_value > 0.0 { book_cost } else { 0.0 },
        net_beta,
        gross_beta,
        hedged,
    }
}

/// The equity curve for `--plot`, thinned as it grows: at most `2 × CURVE_POINTS` points
/// (every 2^k-th step), so a run of millions of bars does not keep one point per bar.
const CURVE_POINTS: usize = 4_096;

#[derive(Debug)]
struct Curve {
    points: Vec<(f64, f64, f64, f64)>,
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
    /// The next step, its point made by `point` if it is kept.
    fn push_with(&mut self, point: impl FnOnce() -> (f64, f64, f64, f64)) {
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
                self.points.push(point());
            }
        }
        self.seen += 1;
    }
}

fn year_fraction(t: DateTime<Utc>) -> f64 {
    f64::from(t.year()) + f64::from(t.ordinal0()) / 365.25
}
