//! `[stream]`: the Alpaca websockets of `--feed alpaca`: market data during market hours, and
//! the trading stream's order updates.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    pub enabled: bool,
    pub trade_updates: bool,
    pub url: String,
    pub step_timeout_ms: u64,
    pub reconnect_base_ms: u64,
    pub reconnect_max_ms: u64,
    pub limit_backoff_secs: u64,
    pub mute_secs: u64,
    pub fallback_after: u32,
    pub fallback_retry_secs: u64,
    pub clock_poll_secs: u64,
}

/// `[alerts]`: telling a trader who looks away that a signal waits or a stop is near.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    pub enabled: bool,
    pub in_replay: bool,
    pub bell: bool,
    pub title: bool,
    pub desktop: bool,
    pub webhook_url: String,
    pub min_interval_secs: u64,
    pub stop_near_atr: f64,
}
