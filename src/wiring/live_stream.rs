//! `--feed alpaca` during market hours: the market clock task and the market-data stream, with
//! REST polling as backfill, closed-bar source and fallback for the forming bar.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::WiringError;
use crate::alpaca::stream::{Credentials, ENV_STREAM_URL};
use crate::alpaca::AlpacaClient;
use crate::config::Config;
use crate::feed::alpaca::{AlpacaFeedConfig, RestForming};
use crate::feed::alpaca_stream::{self, FallbackFlag, StreamFeedConfig};
use crate::feed::FeedEvent;
use crate::market_clock::MarketState;

pub struct StreamPlan {
    stream: Option<(StreamFeedConfig, Credentials, FallbackFlag)>,
}

/// Decide who reports the forming bar: the stream (REST only while it has fallen back), or REST
/// alone when `stream.enabled = false`.
pub fn plan(
    cfg: &Config,
    feed: &mut AlpacaFeedConfig,
    creds: Credentials,
) -> Result<StreamPlan, WiringError> {
    if !cfg.stream.enabled {
        feed.forming = RestForming::Always;
        return Ok(StreamPlan { stream: None });
    }
    let url = std::env::var(ENV_STREAM_URL)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let s = StreamFeedConfig::from_config(&cfg.stream, &feed.data_feed, feed.timeframe, url)
        .map_err(|e| WiringError::Other(e.to_string()))?;
    let flag = FallbackFlag::default();
    feed.forming = RestForming::WhenFallback(flag.clone());
    Ok(StreamPlan {
        stream: Some((s, creds, flag)),
    })
}

/// The clock task always (the status bar shows time to the close), the stream when planned.
pub fn spawn(
    plan: StreamPlan,
    client: &AlpacaClient,
    cfg: &Config,
    tx: &mpsc::Sender<FeedEvent>,
) -> Vec<JoinHandle<()>> {
    let (state_tx, state_rx) = watch::channel(MarketState::default());
    let every = Duration::from_secs(cfg.stream.clock_poll_secs.max(1));
    let decide_before = (cfg.signals.decide_before_close_minutes > 0)
        .then(|| chrono::Duration::minutes(i64::from(cfg.signals.decide_before_close_minutes)));
    let mut tasks = vec![tokio::spawn(crate::market_clock::run(
        client.clone(),
        every,
        decide_before,
        state_tx,
        tx.clone(),
    ))];
    if let Some((s, creds, flag)) = plan.stream {
        tasks.push(tokio::spawn(alpaca_stream::run(
            s,
            creds,
            state_rx,
            tx.clone(),
            flag,
        )));
    }
    tasks
}
