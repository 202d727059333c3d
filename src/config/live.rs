//! `[stream]`: the Alpaca market-data websocket used by `--feed alpaca` during market hours.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    pub enabled: bool,
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
