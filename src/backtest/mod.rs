//! Backtest: the live pipeline (session → engine → auto-acknowledged signals → paper broker) run
//! over recorded or synthetic bars as fast as possible, with the figures a trader compares.

mod metrics;
pub mod plot;
pub mod synthetic;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

pub use metrics::{curve_stats, CurveStats};

use crate::broker::paper::{to_f64, PaperBroker};
use crate::config::{Config, Mode};
use crate::feed::replay::ReplayPlan;
use crate::feed::FeedEvent;
use crate::model::{Agent, Side, Symbol, Timeframe};
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

/// Run a backtest over `series` from `from` (earlier bars warm the indicators up) to `to`.
pub fn run(
    mut cfg: Config,
    timeframe: Timeframe,
    series: Vec<(Symbol, Vec<crate::model::Bar>)>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    progress: bool,
) -> Report {
    cfg.signals.mode = Mode::Auto;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let starting = to_f64(cfg.paper.starting_cash);
    let mut session = Session::new(cfg, broker, timeframe, "bt");
    let default_from = series
        .iter()
        .find(|(s, _)| *s == Symbol::Iwm)
        .and_then(|(_, b)| b.get(250.min(b.len().saturating_sub(1))))
        .map(|b| b.time);
    let plan = ReplayPlan::new(timeframe, series, from.or(default_from).unwrap_or_default());
    let steps: Vec<_> = plan
        .steps
        .into_iter()
        .take_while(|(t, _)| to.is_none_or(|to| *t <= to))
        .collect();
    let bar = indicatif::ProgressBar::new(steps.len() as u64);
    if !progress || steps.len() < 200_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    for (symbol, bars) in plan.history {
        session.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe,
            bars,
        }));
    }
    let mut equity = Vec::with_capacity(steps.len());
    let mut curve = Vec::with_capacity(steps.len());
    let mut held_bars = 0usize;
    let mut first_iwm: Option<f64> = None;
    let (start, end) = (steps.first().map(|s| s.0), steps.last().map(|s| s.0));
    for (i, (t, group)) in steps.into_iter().enumerate() {
        for (symbol, b) in group {
            session.handle(Input::Feed(FeedEvent::Bar {
                symbol,
                timeframe,
                bar: b,
            }));
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
        equity.push(eq);
        curve.push((year_fraction(t), eq, bh));
        if i % 4096 == 0 {
            bar.set_position(i as u64);
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let n = equity.len();
    let years = match (start, end) {
        (Some(a), Some(b)) => (b - a).num_days() as f64 / 365.25,
        _ => 0.0,
    };
    let per_year = if timeframe == Timeframe::Day1 {
        252.0
    } else {
        252.0 * 23_400.0 / timeframe.seconds() as f64
    };
    let bh: Vec<f64> = curve.iter().map(|c| c.2).collect();
    let (trades, wins, pnl) = round_trips(&session);
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
        starting_equity: starting,
        final_equity: equity.last().copied().unwrap_or(starting),
        strategy: curve_stats(&equity, years, per_year),
        trades,
        win_rate: if trades > 0 {
            wins as f64 / trades as f64
        } else {
            0.0
        },
        fills: session.store.orders.iter().map(|o| o.fills.len()).sum(),
        signals: session.store.signals.all().len(),
        exposure: if n > 0 {
            held_bars as f64 / n as f64
        } else {
            0.0
        },
        pnl_per_agent: pnl,
        buy_and_hold: curve_stats(&bh, years, per_year),
        curve,
    }
}

fn year_fraction(t: DateTime<Utc>) -> f64 {
    f64::from(t.year()) + f64::from(t.ordinal0()) / 365.25
}

/// Closed round trips per (agent, symbol), and each agent's P&L (cash flows + what it still holds).
fn round_trips(s: &Session) -> (usize, usize, AgentPnl) {
    let agent_of: HashMap<u64, Agent> = s
        .store
        .signals
        .all()
        .iter()
        .map(|e| (e.signal.id, e.signal.agent))
        .collect();
    let mut open: HashMap<(Agent, Symbol), (Decimal, Decimal)> = HashMap::new(); // (qty, cash flow)
    let (mut trades, mut wins) = (0, 0);
    let mut pnl = AgentPnl {
        bear: 0.0,
        bull: 0.0,
    };
    let mut fills: Vec<_> = s
        .store
        .orders
        .iter()
        .filter_map(|o| {
            o.request
                .signal_id
                .and_then(|id| agent_of.get(&id))
                .map(|a| (*a, &o.fills))
        })
        .flat_map(|(a, fs)| fs.iter().map(move |f| (a, f)))
        .collect();
    fills.sort_by_key(|(_, f)| f.time);
    for (agent, f) in fills {
        let slot = open
            .entry((agent, f.symbol))
            .or_insert((Decimal::ZERO, Decimal::ZERO));
        slot.0 += if f.side == Side::Buy { f.qty } else { -f.qty };
        slot.1 += f.cash_delta();
        if slot.0 <= Decimal::ZERO {
            trades += 1;
            wins += usize::from(slot.1 > Decimal::ZERO);
            *match agent {
                Agent::Bear => &mut pnl.bear,
                Agent::Bull => &mut pnl.bull,
            } += to_f64(slot.1);
            *slot = (Decimal::ZERO, Decimal::ZERO);
        }
    }
    // Still open at the end: marked at the last close.
    for ((agent, sym), (qty, cash)) in open {
        let value = s.store.last_price(sym).unwrap_or_default() * qty;
        *match agent {
            Agent::Bear => &mut pnl.bear,
            Agent::Bull => &mut pnl.bull,
        } += to_f64(cash + value);
    }
    (trades, wins, pnl)
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
