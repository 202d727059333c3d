//! The config file's sections, one struct each, every field documented in config/default.toml.

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::model::Symbol;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    pub start: chrono::NaiveDate,
    pub speed: f64,
    pub speed_step: f64,
    pub pause_on_signal: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperConfig {
    pub starting_cash: Decimal,
    pub slippage_bps: f64,
    pub commission_per_share: Decimal,
    pub commission_min: Decimal,
    pub commission_max_pct: Decimal,
    pub buying_power: f64,
    pub margin_rate: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorConfig {
    pub rsi_period: usize,
    pub atr_period: usize,
    pub sma_fast: usize,
    pub sma_mid: usize,
    pub sma_slow: usize,
    pub ema_period: usize,
    pub volume_sma: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PivotConfig {
    pub k: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelsConfig {
    pub support: Vec<f64>,
    pub resistance: Vec<f64>,
    pub index_levels: Vec<f64>,
    pub profile_bars: usize,
    pub bucket_atr: f64,
    pub cluster_atr: f64,
    pub active_within_atr: f64,
    pub max_pivots: usize,
    pub configured_strength: u32,
    pub poc_strength: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BearConfig {
    pub vehicle: Symbol,
    pub break_atr: f64,
    pub confirm_closes: usize,
    pub break_memory_bars: usize,
    pub max_tiers: usize,
    pub tier_gap_bars: usize,
    pub tier_extension_atr: f64,
    pub tier_rebound_atr: f64,
    pub beta_per_tier: f64,
    pub stop_atr: f64,
    pub target_atr: f64,
    pub cooldown_bars: usize,
    pub cooldown_atr: f64,
    pub break_scale: bool,
    pub vol_scale: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BullConfig {
    pub hedge_fraction: f64,
    pub oversold_rsi: f64,
    pub hedge_rsi_bars: usize,
    pub hedge_stop_atr: f64,
    pub hedge_time_bars: usize,
    pub evidence_bars: usize,
    pub dryup_low_bars: usize,
    pub dryup_ratio: f64,
    pub reclaim_memory_bars: usize,
    pub reclaim_atr: f64,
    pub reclaim_min_evidence: usize,
    pub beta: f64,
    pub trend_rise_bars: usize,
    pub trend_high_bars: usize,
    pub stop_atr: f64,
}

impl PaperConfig {
    /// Buying power beyond cash per dollar of equity: `buying_power` − 1 (Reg T: 1, cash: 0).
    pub fn margin_per_equity(&self) -> Decimal {
        Decimal::from_f64_retain(self.buying_power - 1.0)
            .unwrap_or_default()
            .max(Decimal::ZERO)
    }
}

/// What the agents are for (`[agents]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsConfig {
    pub mode: AgentsMode,
}

/// `hedge`: the Bear hedges a declared long book; `book`: the agents run the account alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentsMode {
    Hedge,
    Book,
}

impl AgentsMode {
    pub fn label(self) -> &'static str {
        match self {
            AgentsMode::Hedge => "hedge",
            AgentsMode::Book => "book",
        }
    }
}

/// The trader's long book the Bear hedges in hedge mode: a symbol (IWM, QQQ, SPY) and dollars.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    pub symbol: Symbol,
    pub value: BookValue,
}

/// What the book is worth: declared dollars, or the venue's own positions in the book's symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookValue {
    Dollars(Decimal),
    /// The shares of `book.symbol` the venue holds that no agent proposed.
    Venue,
}

impl<'de> Deserialize<'de> for BookValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(i64),
            Float(f64),
        }
        let bad = || {
            serde::de::Error::custom(
                "expected dollars (e.g. \"100000\") or \"venue\" (the venue's positions)",
            )
        };
        match Raw::deserialize(d)? {
            Raw::Text(t) if t.trim().eq_ignore_ascii_case("venue") => Ok(BookValue::Venue),
            Raw::Text(t) => t.trim().parse().map(BookValue::Dollars).map_err(|_| bad()),
            Raw::Int(i) => Ok(BookValue::Dollars(Decimal::from(i))),
            Raw::Float(f) => rust_decimal::prelude::FromPrimitive::from_f64(f)
                .map(BookValue::Dollars)
                .ok_or_else(bad),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    pub scale_base: f64,
    pub scale_per_m: f64,
    pub scale_min: f64,
    pub scale_max: f64,
    pub vol_lookback: usize,
    pub vol_min: f64,
    pub vol_max: f64,
    pub max_beta_exposure: f64,
    pub max_position: f64,
    pub max_vehicle_fraction: f64,
    pub max_order_notional: Decimal,
    pub max_orders_per_minute: u32,
    pub daily_loss_limit: f64,
    pub stale_after_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Manual,
    Auto,
    Observe,
}

impl Mode {
    pub fn next(self) -> Mode {
        match self {
            Mode::Manual => Mode::Auto,
            Mode::Auto => Mode::Observe,
            Mode::Observe => Mode::Manual,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Mode::Manual => "MANUAL",
            Mode::Auto => "AUTO",
            Mode::Observe => "OBSERVE",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsConfig {
    pub mode: Mode,
    pub timeout_bars: u32,
    pub snooze_bars: u32,
    /// Minutes before the close at which the agents decide on the forming daily bar; 0: off.
    pub decide_before_close_minutes: u32,
}

/// How much of the session the store keeps for the panes: memory follows these, not the run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    pub bars: usize,
    pub signals: usize,
    pub orders: usize,
    pub tracks: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    pub frame_ms: u64,
    pub chart_bars: usize,
    pub theme: String,
    pub colors: ColorsConfig,
}

/// Colours over the theme's: a name (`red`, `lightblue`), `#rrggbb` or a 256-colour index; empty
/// keeps the theme's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorsConfig {
    pub up: String,
    pub down: String,
    pub bear: String,
    pub bull: String,
    pub accent: String,
    pub dim: String,
    pub warn: String,
    pub error: String,
    pub support: String,
    pub resistance: String,
}

impl ColorsConfig {
    pub fn all(&self) -> [(&'static str, &str); 10] {
        [
            ("up", &self.up),
            ("down", &self.down),
            ("bear", &self.bear),
            ("bull", &self.bull),
            ("accent", &self.accent),
            ("dim", &self.dim),
            ("warn", &self.warn),
            ("error", &self.error),
            ("support", &self.support),
            ("resistance", &self.resistance),
        ]
    }
}

/// The named themes `ui.theme` takes.
pub const THEMES: [&str; 3] = ["dark", "light", "high-contrast"];

/// Alpaca's market-data feeds and price adjustments (`alpaca.data_feed`, `alpaca.adjustment`).
pub const DATA_FEEDS: [&str; 4] = ["iex", "sip", "otc", "boats"];
pub const ADJUSTMENTS: [&str; 5] = ["raw", "split", "dividend", "spin-off", "all"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlpacaConfig {
    pub timeframe: String,
    pub data_feed: String,
    pub adjustment: String,
    pub backfill_bars: usize,
    pub poll_interval_ms: u64,
    pub timeout_ms: u64,
    pub max_requests_per_minute: u32,
    pub stale_after_bars: u32,
    pub client_side_stops: bool,
    pub page_limit: u32,
    pub order_poll_ms: u64,
    pub account_poll_ms: u64,
    pub max_retries: u32,
    pub retry_base_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinraConfig {
    pub api_url: String,
    pub cdn_url: String,
    pub symbols: Vec<String>,
    pub poll_interval_secs: u64,
    pub stale_after_days: i64,
    pub page_limit: usize,
    pub history_days: i64,
    pub regsho_days: i64,
    pub regsho_stale_after_days: i64,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CftcConfig {
    pub api_url: String,
    pub dataset: String,
    pub russell_code: String,
    pub nasdaq_code: String,
    pub poll_interval_secs: u64,
    pub stale_after_days: i64,
    pub history_weeks: usize,
    pub timeout_ms: u64,
}
