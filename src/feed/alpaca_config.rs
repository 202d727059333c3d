//! Settings of `--feed alpaca`, checked once at start so a typo fails before any request.

use std::time::Duration;

use crate::alpaca::AlpacaError;
use crate::config::AlpacaConfig;
use crate::model::{Symbol, Timeframe};

#[derive(Debug, Clone)]
pub struct AlpacaFeedConfig {
    pub timeframe: Timeframe,
    pub symbols: Vec<Symbol>,
    /// `iex` (free plan) or `sip`.
    pub data_feed: String,
    pub adjustment: String,
    pub backfill_bars: usize,
    pub page_limit: u32,
    pub poll_interval: Duration,
    pub stale_after_bars: u32,
    pub retry_base: Duration,
    /// When the REST poll also reports the bar still forming (the stream's job when it runs).
    pub forming: RestForming,
}

#[derive(Debug, Clone, Default)]
pub enum RestForming {
    #[default]
    Never,
    Always,
    /// While the stream has fallen back to REST.
    WhenFallback(crate::feed::alpaca_stream::FallbackFlag),
}

impl RestForming {
    pub fn wanted(&self) -> bool {
        match self {
            RestForming::Never => false,
            RestForming::Always => true,
            RestForming::WhenFallback(f) => f.get(),
        }
    }
}

use crate::config::{ADJUSTMENTS, DATA_FEEDS as FEEDS};

impl AlpacaFeedConfig {
    /// From `[alpaca]`; `timeframe` (the CLI's `--timeframe`) overrides `alpaca.timeframe`.
    pub fn from_config(
        c: &AlpacaConfig,
        timeframe: Option<Timeframe>,
    ) -> Result<Self, AlpacaError> {
        let timeframe = match timeframe {
            Some(t) => t,
            None => c.timeframe.parse().map_err(AlpacaError::Config)?,
        };
        let data_feed = c.data_feed.trim().to_ascii_lowercase();
        if !FEEDS.contains(&data_feed.as_str()) {
            return Err(AlpacaError::Config(format!(
                "alpaca.data_feed `{data_feed}`: expected one of {FEEDS:?}"
            )));
        }
        let adjustment = c.adjustment.trim().to_ascii_lowercase();
        if adjustment.is_empty() || !adjustment.split(',').all(|a| ADJUSTMENTS.contains(&a)) {
            return Err(AlpacaError::Config(format!(
                "alpaca.adjustment `{adjustment}`: expected {ADJUSTMENTS:?} (comma-combinable)"
            )));
        }
        if !(1..=10_000).contains(&c.page_limit) {
            return Err(AlpacaError::Config(
                "alpaca.page_limit must be 1..=10000".into(),
            ));
        }
        let poll_interval = match c.poll_interval_ms {
            0 => derive_poll_interval(timeframe),
            ms => Duration::from_millis(ms),
        };
        Ok(AlpacaFeedConfig {
            timeframe,
            symbols: Symbol::ALL.to_vec(),
            data_feed,
            adjustment,
            backfill_bars: c.backfill_bars.max(1),
            page_limit: c.page_limit,
            poll_interval,
            stale_after_bars: c.stale_after_bars.max(1),
            retry_base: Duration::from_millis(c.retry_base_ms.max(1)),
            forming: RestForming::Never,
        })
    }
}

/// A fifth of a bar, between 5 s and 60 s: new bars show within a fifth of their length
/// without spending the rate limit on 1Day polls.
pub fn derive_poll_interval(tf: Timeframe) -> Duration {
    Duration::from_secs((tf.seconds() / 5).clamp(5, 60) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_are_valid_and_typos_are_named() {
        let mut c = Config::default_config().alpaca;
        let f = AlpacaFeedConfig::from_config(&c, None).unwrap();
        assert_eq!(
            (f.timeframe, f.data_feed.as_str()),
            (Timeframe::Day1, "iex")
        );
        assert_eq!(f.poll_interval, Duration::from_secs(60));
        let f = AlpacaFeedConfig::from_config(&c, Some(Timeframe::Min1)).unwrap();
        assert_eq!(f.poll_interval, Duration::from_secs(12));
        c.data_feed = "sipp".into();
        let err = AlpacaFeedConfig::from_config(&c, None).unwrap_err();
        assert!(err.to_string().contains("alpaca.data_feed"), "{err}");
        c.data_feed = "sip".into();
        c.adjustment = "split,dividend".into();
        assert!(AlpacaFeedConfig::from_config(&c, None).is_ok());
        c.adjustment = "splits".into();
        assert!(AlpacaFeedConfig::from_config(&c, None).is_err());
    }
}
