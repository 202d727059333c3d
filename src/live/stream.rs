//! `--feed alpaca` during market hours: the market clock task and the market-data stream, with
//! REST polling as backfill, closed-bar source and fallback for the forming bar.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::alpaca::stream::{Credentials, StreamError, ENV_STREAM_URL};
use crate::alpaca::AlpacaClient;
use crate::alpaca::ENV_DATA_URL;
use crate::config::Config;
use crate::feed::alpaca::{AlpacaFeedConfig, RestForming};
use crate::feed::alpaca_stream::{self, FallbackFlag, StreamFeedConfig};
use crate::feed::FeedEvent;
use crate::live::market_clock::MarketState;

pub struct StreamPlan {
    stream: Option<(StreamFeedConfig, Credentials, FallbackFlag)>,
}

/// Decide who reports the forming bar: the stream (REST only while it has fallen back), or REST
/// alone when `stream.enabled = false`.
pub fn plan(
    cfg: &Config,
    feed: &mut AlpacaFeedConfig,
    creds: Credentials,
) -> Result<StreamPlan, StreamError> {
    if !cfg.stream.enabled {
        feed.forming = RestForming::Always;
        return Ok(StreamPlan { stream: None });
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let url = stream_base(env(ENV_STREAM_URL), env(ENV_DATA_URL));
    let mut s = StreamFeedConfig::from_config(&cfg.stream, &feed.data_feed, feed.timeframe, url)?;
    s.symbols = feed.symbols.clone();
    let flag = FallbackFlag::default();
    feed.forming = RestForming::WhenFallback(flag.clone());
    Ok(StreamPlan {
        stream: Some((s, creds, flag)),
    })
}

/// The market-data stream's base URL when it is not `stream.url`: `APCA_API_STREAM_URL`, else
/// the data URL's host when `APCA_API_DATA_URL` points away from Alpaca (a loopback venue): the
/// user's keys must not go to Alpaca's real stream host while every REST call goes elsewhere.
/// `http://` becomes `ws://`, which the stream accepts only to localhost; anything else is
/// refused there with the reason.
fn stream_base(stream_env: Option<String>, data_env: Option<String>) -> Option<String> {
    if stream_env.is_some() {
        return stream_env;
    }
    let data = data_env?;
    let data = data.trim().trim_end_matches('/');
    let (scheme, rest) = data.split_once("://")?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host == "alpaca.markets" || host.ends_with(".alpaca.markets") {
        return None;
    }
    let ws = if scheme.eq_ignore_ascii_case("https") {
        "wss"
    } else {
        "ws"
    };
    let authority = rest.split('/').next().unwrap_or_default();
    Some(format!("{ws}://{authority}"))
}

/// Alpaca takes no market-on-close order after 15:50 New York: a close decision later than that
/// against Alpaca's own hosts would only be refused. A warning, not an error: a loopback venue
/// or another broker may take them later.
pub fn close_decision_warning(minutes: u32, trading_host: &str) -> Option<String> {
    let alpaca = trading_host == "alpaca.markets" || trading_host.ends_with(".alpaca.markets");
    (alpaca && (1..CLS_CUTOFF_MINUTES).contains(&minutes)).then(|| {
        format!(
            "signals.decide_before_close_minutes = {minutes}: Alpaca refuses market-on-close \
             orders after 15:50 ET, so a close decision needs {CLS_CUTOFF_MINUTES} minutes or more"
        )
    })
}

/// 10 minutes of cut-off, plus room for the trader to answer and the order to travel.
const CLS_CUTOFF_MINUTES: u32 = 12;

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
    let mut tasks = vec![tokio::spawn(crate::live::market_clock::run(
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

#[cfg(test)]
mod tests {
    use super::stream_base;

    #[test]
    fn a_close_decision_after_the_cls_cutoff_is_warned_about_on_alpaca_only() {
        use super::close_decision_warning as w;
        assert!(w(10, "paper-api.alpaca.markets").is_some());
        assert!(w(12, "paper-api.alpaca.markets").is_none());
        assert!(w(0, "api.alpaca.markets").is_none());
        assert!(w(5, "127.0.0.1").is_none());
    }

    #[test]
    fn a_loopback_data_url_keeps_the_stream_on_loopback() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            stream_base(None, s("http://127.0.0.1:4567/")),
            s("ws://127.0.0.1:4567")
        );
        assert_eq!(
            stream_base(s("ws://127.0.0.1:9"), s("http://127.0.0.1:4567")),
            s("ws://127.0.0.1:9")
        );
        assert_eq!(stream_base(None, s("https://data.alpaca.markets")), None);
        assert_eq!(stream_base(None, None), None);
        assert_eq!(
            stream_base(None, s("https://proxy.example/v1")),
            s("wss://proxy.example")
        );
    }
}
