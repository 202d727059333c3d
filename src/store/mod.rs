//! The state of the app: one owner (the session) mutates it, the UI and headless printer read it.

/// The forming bars and the market clock of live market hours, beside the closed bars.
pub mod live;
pub mod lots;
mod signals;
mod tail;

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

pub use signals::{SignalBook, SignalEntry};
pub use tail::Tail;

use crate::broker::BrokerKind;
use crate::config::Mode;
use crate::engine::IndicatorRow;
use crate::model::FeedHealth;
use crate::model::{
    Bar, ClientOrderId, Fill, OrderRequest, OrderStatus, Position, Positions, Symbol, Timeframe,
};

pub use crate::model::Severity;

/// One line of the event log pane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// Market time: the bar clock, so a replay's log reads like the day it replays; live, the
    /// wall clock (a daily bar's clock would date every line at midnight).
    pub time: Option<DateTime<Utc>>,
    pub severity: Severity,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEntry {
    pub request: OrderRequest,
    pub status: OrderStatus,
    pub broker_order_id: Option<compact_str::CompactString>,
    pub filled_qty: Decimal,
    pub fills: Vec<Fill>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplayStatus {
    pub speed: f64,
    pub paused: bool,
    pub ended: bool,
}

/// Bars kept per symbol: the newest `history.bars` (a year of 1-minute bars for three symbols is
/// ~300 k bars, ~14 MB). The engine keeps its own windows, so nothing needs older bars.
#[derive(Debug, Default, Clone)]
pub struct Series {
    bars: Tail<Bar>,
    /// The last close as money, converted when first asked for and kept until the next bar:
    /// marks of held positions read it on every bar, while a flat symbol's close is never
    /// needed as money (converting every close was a fifth of a backtest over 1-minute files).
    close: std::cell::Cell<Option<Decimal>>,
    /// Bars ever taken before the first live one (history / warm-up), trimmed ones included.
    pub live_from: u64,
}

impl Series {
    pub fn push(&mut self, bar: Bar) {
        self.close.set(None);
        self.bars.push(bar);
    }

    /// The last close as money (`price` of the last bar's close).
    pub fn close(&self) -> Option<Decimal> {
        if let Some(c) = self.close.get() {
            return Some(c);
        }
        let c = crate::broker::paper::price(self.bars.last()?.close);
        self.close.set(Some(c));
        Some(c)
    }

    pub fn bars(&self) -> &Tail<Bar> {
        &self.bars
    }

    pub fn last(&self) -> Option<&Bar> {
        self.bars.last()
    }
    /// Change of the last close against the previous one, in percent.
    pub fn change_pct(&self) -> Option<f64> {
        let n = self.bars.len();
        (n >= 2).then(|| (self.bars[n - 1].close / self.bars[n - 2].close - 1.0) * 100.0)
    }
}

/// Whether signal `id` has a working order.
fn ordered(orders: &Tail<OrderEntry>, id: u64) -> bool {
    orders
        .live()
        .iter()
        .any(|o| o.request.signal_id == Some(id) && o.status.is_working())
}

/// Feeds that bring bars. Only their health can make the data stale for trading; a late
/// short-interest file lowers the Bear's confidence instead.
pub fn is_bar_source(source: &str) -> bool {
    matches!(source, "replay" | "alpaca")
}

pub const LOG_CAPACITY: usize = 500;
/// Live IWM bars a warning stays in the status line (it stays in the event log for good).
pub const STATUS_BARS: u64 = 20;

#[derive(Debug, Clone)]
pub struct Store {
    pub timeframe: Timeframe,
    pub series: [Series; Symbol::COUNT],
    /// Indicator values, one per IWM bar, aligned with `series[IWM].bars` (same capacity, so
    /// both trim at the same length).
    pub indicators: Tail<IndicatorRow>,
    pub health: BTreeMap<String, FeedHealth>,
    pub signals: SignalBook,
    /// The newest orders and every working one (pinned until it is done).
    pub orders: Tail<OrderEntry>,
    pub positions: Positions,
    pub cash: Decimal,
    pub equity: Decimal,
    pub starting_equity: Decimal,
    pub day_start_equity: Decimal,
    /// The trader's book (hedge mode) at the start of the day: its move is not the agents' loss.
    /// A QQQ or SPY book's measured IWM beta (the engine's), once it has one.
    pub book_beta: Option<(Symbol, Decimal)>,
    pub day_start_book: Decimal,
    pub log: VecDeque<LogLine>,
    pub status: Option<LogLine>,
    /// The status line clears itself after this many live IWM bars without a new problem.
    pub status_until_bar: u64,
    pub mode: Mode,
    pub agents_paused: bool,
    pub broker: BrokerKind,
    pub replay: Option<ReplayStatus>,
    /// The market clock: time of the newest bar.
    pub now: Option<DateTime<Utc>>,
    /// Short interest, short volume and futures positioning (bundled snapshots, then pollers).
    pub positioning: crate::positioning::PositioningBook,
    /// The instant the positioning pane stands at (the newest IWM bar's close): see
    /// [`Store::positioning_summary`].
    pub positioning_at: Option<crate::positioning::AsOf>,
    /// The pane's figures at `positioning_at`, built when first drawn after a new report became
    /// public (emptied then): a backtest, which draws nothing, never builds one.
    pub positioning_view: std::sync::OnceLock<crate::positioning::PositioningSummary>,
    /// Count of live IWM bars: the clock signal timeouts and snoozes are measured in.
    pub bar_index: u64,
    /// Every proposal's hypothetical result beside the trader's answer (fed by the session).
    pub scorecard: crate::scorecard::Scorecard,
    /// The agents' trades as lots, and the record of each signal kind.
    pub lots: lots::LotBook,
    /// Live market hours: forming bars and the market clock (empty in replays).
    pub live: live::LiveView,
    /// Log lines are dated by the wall clock (live sessions), not the bar clock.
    pub wall_clock: bool,
}

impl Store {
    /// What the positioning pane shows now (`None` before the first IWM bar).
    pub fn positioning_summary(&self) -> Option<&crate::positioning::PositioningSummary> {
        let at = self.positioning_at?;
        Some(
            self.positioning_view
                .get_or_init(|| self.positioning.summary_at(&at)),
        )
    }

    pub fn new(timeframe: Timeframe, mode: Mode, broker: BrokerKind, cash: Decimal) -> Self {
        Store {
            timeframe,
            series: Default::default(),
            indicators: Tail::default(),
            health: BTreeMap::new(),
            signals: SignalBook::default(),
            orders: Tail::pinned(usize::MAX),
            positions: Positions::default(),
            cash,
            equity: cash,
            starting_equity: cash,
            day_start_equity: cash,
            day_start_book: Decimal::ZERO,
            book_beta: None,
            log: VecDeque::with_capacity(LOG_CAPACITY),
            status: None,
            status_until_bar: 0,
            mode,
            agents_paused: false,
            broker,
            replay: None,
            now: None,
            bar_index: 0,
            positioning: crate::positioning::PositioningBook::with_embedded(),
            positioning_at: None,
            positioning_view: Default::default(),
            scorecard: Default::default(),
            lots: lots::LotBook::new(5_000),
            live: Default::default(),
            wall_clock: false,
        }
    }

    /// Bound what the store keeps to `h` (the session calls this with the config's `[history]`).
    pub fn set_history(&mut self, h: &crate::config::HistoryConfig) {
        for s in &mut self.series {
            s.bars.set_capacity(h.bars);
        }
        self.indicators.set_capacity(h.bars);
        self.orders.set_capacity(h.orders);
        self.signals = SignalBook::with_capacity(h.signals);
        self.scorecard = crate::scorecard::Scorecard::with_capacity(h.tracks);
        self.lots = lots::LotBook::new(h.tracks);
    }

    /// True while any bar feed is stale, reconnecting or failed.
    pub fn bars_unhealthy(&self) -> bool {
        self.health
            .iter()
            .any(|(src, h)| is_bar_source(src) && h.is_bad())
    }

    pub fn series(&self, s: Symbol) -> &Series {
        &self.series[s.index()]
    }

    pub fn last_price(&self, s: Symbol) -> Option<Decimal> {
        self.series(s).close()
    }

    pub fn push_log(&mut self, severity: Severity, text: impl Into<String>) {
        let line = LogLine {
            time: if self.wall_clock {
                Some(Utc::now())
            } else {
                self.now
            },
            severity,
            text: text.into(),
        };
        if severity != Severity::Info {
            self.status = Some(line.clone());
            self.status_until_bar = self.bar_index + STATUS_BARS;
        }
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    pub fn order(&self, id: &ClientOrderId) -> Option<&OrderEntry> {
        self.orders
            .iter()
            .rev()
            .find(|o| &o.request.client_order_id == id)
    }

    pub fn order_mut(&mut self, id: &ClientOrderId) -> Option<&mut OrderEntry> {
        // Settled before this change: the pin only ever lags, it never skips a working order.
        self.orders.advance(|o| !o.status.is_working());
        self.orders
            .iter_mut()
            .rev()
            .find(|o| &o.request.client_order_id == id)
    }

    /// A signal into the book, which keeps every signal whose order still works.
    pub fn push_signal(&mut self, entry: SignalEntry) {
        let orders = &self.orders;
        self.signals.push(entry, |id| ordered(orders, id));
    }

    /// The signal book's pin past what is settled, and the selection on an answerable signal.
    pub fn settle_signals(&mut self) {
        let orders = &self.orders;
        self.signals.settle(|id| ordered(orders, id));
        self.signals.fix_selection();
    }

    pub fn working_orders(&self) -> impl Iterator<Item = &OrderEntry> {
        self.orders.live().iter().filter(|o| o.status.is_working())
    }

    /// Position value marked at the last close.
    pub fn position_value(&self, p: &Position) -> Decimal {
        p.market_value(self.last_price(p.symbol).unwrap_or(p.avg_price))
    }

    /// A symbol's IWM beta: its leverage (IWM +1, TWM −2, SRTY −3), or a QQQ/SPY book's measured
    /// beta.
    pub fn beta_of(&self, symbol: Symbol) -> Decimal {
        match self.book_beta {
            Some((s, b)) if s == symbol => b,
            _ => Decimal::from(symbol.leverage()),
        }
    }

    /// Net IWM-beta dollars: long IWM +1×, TWM −2×, SRTY −3× value, a QQQ/SPY book at its beta.
    pub fn net_beta_dollars(&self) -> Decimal {
        self.positions
            .values()
            .map(|p| self.position_value(p) * self.beta_of(p.symbol))
            .sum()
    }

    pub fn gross_beta_dollars(&self) -> Decimal {
        self.positions
            .values()
            .map(|p| (self.position_value(p) * self.beta_of(p.symbol)).abs())
            .sum()
    }

    /// Cash plus positions at the last close before the day of the newest bar: the equity a
    /// day starts from, even when some of that day's bars are already in (a restart that
    /// stopped between the bars of one timestamp).
    pub fn marked_at_day_start(&self) -> Decimal {
        if self.now.is_none() {
            return self.marked_equity();
        }
        self.cash
            + self
                .positions
                .values()
                .filter(|p| !p.qty.is_zero())
                .map(|p| p.market_value(self.close_before_day(p.symbol).unwrap_or(p.avg_price)))
                .sum::<Decimal>()
    }

    /// A symbol's last close before the day of the newest bar (its last close, before any bar).
    pub fn close_before_day(&self, s: Symbol) -> Option<Decimal> {
        let day = self.now.map(|t| t.date_naive());
        self.series(s)
            .bars()
            .iter()
            .rev()
            .find(|b| day.is_none_or(|d| b.time.date_naive() < d))
            .map(|b| crate::model::price::price(b.close))
    }

    /// Cash plus positions at the last close.
    pub fn marked_equity(&self) -> Decimal {
        self.cash
            + self
                .positions
                .values()
                .filter(|p| !p.qty.is_zero())
                .map(|p| self.position_value(p))
                .sum::<Decimal>()
    }
}
