//! What a backtest reports: the figures of the book, the agents and the benchmarks, each signal
//! kind's record, the equity curve, and the run's own speed (the `--json` object).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StudyReport;
use crate::config::AgentsMode;
use crate::model::{SignalRecord, Symbol};
use crate::store::lots::TradeKind;

#[derive(Debug, Clone, Serialize)]
pub struct AgentPnl {
    pub bear: f64,
    pub bull: f64,
}

/// One signal kind's closed trades over the run: its record, as a signal shows it, and its P&L.
#[derive(Debug, Clone, Serialize)]
pub struct KindFigures {
    pub kind: TradeKind,
    #[serde(flatten)]
    pub record: SignalRecord,
    pub pnl: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `hedge` or `book` (`agents.mode`).
    pub mode: AgentsMode,
    /// The book's symbol (`book.symbol`: IWM, QQQ or SPY); what `book` and `overlay` hold.
    pub book_symbol: Symbol,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Replayed timestamps (each carries up to one bar per symbol).
    pub bars: usize,
    pub bars_per_second: f64,
    pub elapsed_ms: f64,
    /// Wall time of the replay loop per replayed timestamp (one bar of each symbol).
    pub ns_per_bar: f64,
    /// Bars replayed after the warm-up, every symbol's (a timestamp carries up to one of each).
    pub symbol_bars: usize,
    /// Wall time of the replay loop per symbol bar (issue 27's unit).
    pub ns_per_symbol_bar: f64,
    /// The engine alone on an IWM bar, timed on one bar in 16 (each sample includes reading
    /// the clock, ≈ 20–40 ns here).
    pub engine_ns_per_iwm_bar: f64,
    /// From a signal's draft to its order sent (rendered, risk-checked, ordered, announced).
    pub ns_per_signal: f64,
    /// The process's peak resident memory (VmHWM) at the end, in MB; 0 where /proc is missing.
    pub peak_rss_mb: f64,
    pub starting_equity: f64,
    /// The account at the end (hedge mode: the book included).
    pub final_equity: f64,
    #[serde(flatten)]
    pub study: StudyReport,
    /// Closed trades per signal kind (lots: each entry's shares until sold).
    pub signals: Vec<KindFigures>,
    /// Closed round trips (flat → position → flat) per agent and symbol.
    pub trades: usize,
    pub fills: usize,
    pub signal_count: usize,
    pub pnl_per_agent: AgentPnl,
    /// (year, the account, the book alone (hedge mode) or the account, buy-and-hold IWM), thinned.
    #[serde(skip)]
    pub curve: Vec<(f64, f64, f64, f64)>,
    /// Each kind's record at the end, whole (the seed of a later session's records).
    #[serde(skip)]
    pub records: crate::store::lots::Records,
}
