//! The market-data stream as a feed: connect while the market is open, reconnect with jittered
//! back-off, respect the one-connection limit (406), reconnect a mute stream, and hand the
//! forming bar to REST polling when the stream keeps failing. Health is reported as data.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::alpaca::jittered;
use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::forming::{Forming, Update};
use super::{FeedEvent, FeedHealth};
use crate::alpaca::stream::{connect, Credentials, ErrorClass, StreamConn, StreamError, StreamMsg};
use crate::model::MarketState;
use crate::model::{Symbol, Timeframe};

#[derive(Debug, Clone)]
pub struct StreamFeedConfig {
    /// Full URL, feed included: `wss://stream.data.alpaca.markets/v2/iex`.
    pub url: String,
    /// `iex` or `sip`, shown with the health.
    pub feed: String,
    pub symbols: Vec<Symbol>,
    pub timeframe: Timeframe,
    pub step_timeout: Duration,
    pub reconnect_base: Duration,
    pub reconnect_max: Duration,
    pub limit_backoff: Duration,
    pub mute_after: Duration,
    pub fallback_after: u32,
    pub fallback_retry: Duration,
}

impl StreamFeedConfig {
    /// From `[stream]`, the feed and timeframe of `[alpaca]`, and `url_override`
    /// (`APCA_API_STREAM_URL`). Only `wss://`, except plain `ws://` to a loopback mock.
    pub fn from_config(
        c: &crate::config::StreamConfig,
        data_feed: &str,
        timeframe: Timeframe,
        url_override: Option<String>,
    ) -> Result<Self, StreamError> {
        let base = url_override.unwrap_or_else(|| c.url.clone());
        let base = base.trim().trim_end_matches('/');
        let loopback = ["ws://127.0.0.1", "ws://localhost", "ws://[::1]"]
            .iter()
            .any(|p| base.starts_with(p));
        if !base.starts_with("wss://") && !loopback {
            return Err(StreamError::Config(format!(
                "stream.url `{base}` must be wss:// (plain ws:// only to localhost): keys travel on it"
            )));
        }
        let ms = |v: u64| Duration::from_millis(v.max(1));
        Ok(StreamFeedConfig {
            url: format!("{base}/v2/{data_feed}"),
            feed: data_feed.to_string(),
            symbols: Symbol::ALL.to_vec(),
            timeframe,
            step_timeout: ms(c.step_timeout_ms),
            reconnect_base: ms(c.reconnect_base_ms),
            reconnect_max: ms(c.reconnect_max_ms),
            limit_backoff: Duration::from_secs(c.limit_backoff_secs.max(1)),
            mute_after: Duration::from_secs(c.mute_secs.max(1)),
            fallback_after: c.fallback_after.max(1),
            fallback_retry: Duration::from_secs(c.fallback_retry_secs.max(1)),
        })
    }

    /// The health source name, which carries the feed label to the status bar.
    pub fn source(&self) -> String {
        format!("stream {}", self.feed)
    }
}

/// Set while the stream cannot deliver: the REST feed then emits the forming bar itself.
#[derive(Debug, Clone, Default)]
pub struct FallbackFlag(Arc<AtomicBool>);

impl FallbackFlag {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }
}

/// The receiver is gone: stop quietly.
struct Closed;

struct Supervisor {
    cfg: StreamFeedConfig,
    creds: Credentials,
    market: watch::Receiver<MarketState>,
    tx: mpsc::Sender<FeedEvent>,
    fallback: FallbackFlag,
    health: Option<FeedHealth>,
    failures: u32,
}

pub async fn run(
    cfg: StreamFeedConfig,
    creds: Credentials,
    market: watch::Receiver<MarketState>,
    tx: mpsc::Sender<FeedEvent>,
    fallback: FallbackFlag,
) {
    let mut s = Supervisor {
        cfg,
        creds,
        market,
        tx,
        fallback,
        health: None,
        failures: 0,
    };
    let _ = s.run().await;
}

impl Supervisor {
    async fn run(&mut self) -> Result<(), Closed> {
        let symbols: Vec<String> = self.cfg.symbols.iter().map(|s| s.to_string()).collect();
        loop {
            if !self.market.borrow().open {
                self.fallback.set(false);
                self.set_health(FeedHealth::Idle).await?;
                self.wait_for_open().await?;
                continue;
            }
            let attempt =
                connect(&self.cfg.url, &self.creds, &symbols, self.cfg.step_timeout).await;
            let err = match attempt {
                Ok((conn, sub)) => {
                    tracing::info!(feed = %self.cfg.feed, bars = ?sub.bars, "stream subscribed");
                    self.set_health(FeedHealth::Connected).await?;
                    self.fallback.set(false);
                    match self.session(conn).await? {
                        Some(e) => e,
                        None => continue,
                    }
                }
                Err(e) => e,
            };
            self.on_error(err).await?;
        }
    }

    /// Read until an error or the close of the market (`None`).
    async fn session(&mut self, mut conn: StreamConn) -> Result<Option<StreamError>, Closed> {
        let mut forming = Forming::new(self.cfg.timeframe);
        let mute = self.cfg.mute_after;
        let mut deadline = Instant::now() + mute;
        loop {
            let frame = tokio::select! {
                f = tokio::time::timeout_at(deadline, conn.next()) => f,
                _ = self.tx.closed() => return Err(Closed),
                _ = wait_closed(&mut self.market) => {
                    conn.close().await;
                    return Ok(None);
                }
            };
            let msgs = match frame {
                Err(_) => {
                    conn.close().await;
                    return Ok(Some(StreamError::Mute {
                        secs: mute.as_secs(),
                    }));
                }
                Ok(Err(e @ StreamError::Malformed { .. })) => {
                    tracing::warn!(error = %e, "stream frame skipped");
                    self.send(FeedEvent::Warning {
                        source: self.cfg.source(),
                        message: e.to_string(),
                    })
                    .await?;
                    continue;
                }
                Ok(Err(e)) => return Ok(Some(e)),
                Ok(Ok(m)) => m,
            };
            deadline = Instant::now() + mute;
            for m in msgs {
                let (update, wire) = match m {
                    StreamMsg::Bar(b) => (Update::Minute, b),
                    StreamMsg::UpdatedBar(b) => (Update::Corrected, b),
                    StreamMsg::DailyBar(b) => (Update::Daily, b),
                    StreamMsg::Error { code, msg } => {
                        conn.close().await;
                        return Ok(Some(StreamError::Server { code, msg }));
                    }
                    StreamMsg::Status(s) => {
                        let message =
                            format!("{} trading status {}: {} {}", s.symbol, s.sc, s.sm, s.rm);
                        self.send(FeedEvent::Warning {
                            source: self.cfg.source(),
                            message: message.trim_end().to_string(),
                        })
                        .await?;
                        continue;
                    }
                    _ => continue,
                };
                // Data flows: whatever failed before is over.
                self.failures = 0;
                let Some((symbol, bar)) = wire.to_bar() else {
                    continue;
                };
                if let Some(why) = bar.impossibility() {
                    let message = format!("skipped impossible streamed {symbol} bar: {why}");
                    self.send(FeedEvent::Warning {
                        source: self.cfg.source(),
                        message,
                    })
                    .await?;
                    continue;
                }
                if let Some(bar) = forming.apply(symbol, update, bar) {
                    self.send(FeedEvent::Forming {
                        symbol,
                        timeframe: self.cfg.timeframe,
                        bar,
                    })
                    .await?;
                }
            }
        }
    }

    async fn on_error(&mut self, e: StreamError) -> Result<(), Closed> {
        self.failures += 1;
        let class = e.class();
        tracing::warn!(error = %e, ?class, failures = self.failures, "alpaca stream error");
        let rest = "REST polling".to_string();
        match class {
            ErrorClass::Fatal => {
                self.fallback.set(true);
                self.set_health(FeedHealth::Fallback {
                    reason: e.to_string(),
                    to: rest,
                })
                .await?;
                // Keys or plan are wrong: only a restart with other settings can help.
                Err(Closed)
            }
            ErrorClass::ConnectionLimit => {
                self.fallback.set(true);
                let wait = self.cfg.limit_backoff;
                let retry_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                self.set_health(FeedHealth::Backoff {
                    reason: format!("{e}; bars from REST polling meanwhile"),
                    retry_at,
                })
                .await?;
                self.sleep(wait).await
            }
            ErrorClass::Retry if self.failures >= self.cfg.fallback_after => {
                self.fallback.set(true);
                self.set_health(FeedHealth::Fallback {
                    reason: format!("{} failures, last: {e}", self.failures),
                    to: rest,
                })
                .await?;
                self.sleep(self.cfg.fallback_retry).await
            }
            ErrorClass::Retry => {
                self.set_health(FeedHealth::Reconnecting {
                    attempt: self.failures,
                })
                .await?;
                let wait = jittered(
                    self.cfg.reconnect_base,
                    self.failures - 1,
                    self.cfg.reconnect_max,
                );
                self.sleep(wait).await
            }
        }
    }

    async fn wait_for_open(&mut self) -> Result<(), Closed> {
        tokio::select! {
            r = self.market.wait_for(|m| m.open) => r.map(|_| ()).map_err(|_| Closed),
            _ = self.tx.closed() => Err(Closed),
        }
    }

    /// Sleep, cut short when the market closes (nothing to reconnect for then).
    async fn sleep(&mut self, d: Duration) -> Result<(), Closed> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = wait_closed(&mut self.market) => Ok(()),
            _ = self.tx.closed() => Err(Closed),
        }
    }

    async fn set_health(&mut self, health: FeedHealth) -> Result<(), Closed> {
        if self.health.as_ref() == Some(&health) {
            return Ok(());
        }
        self.health = Some(health.clone());
        self.send(FeedEvent::Health {
            source: self.cfg.source(),
            health,
        })
        .await
    }

    async fn send(&self, ev: FeedEvent) -> Result<(), Closed> {
        self.tx.send(ev).await.map_err(|_| Closed)
    }
}

/// Resolves when the market is (or becomes) closed; never if the clock task is gone.
async fn wait_closed(market: &mut watch::Receiver<MarketState>) {
    if market.wait_for(|m| !m.open).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_build_the_iex_url_and_plain_ws_is_loopback_only() {
        let c = Config::default_config().stream;
        let f = StreamFeedConfig::from_config(&c, "iex", Timeframe::Day1, None).unwrap();
        assert_eq!(f.url, "wss://stream.data.alpaca.markets/v2/iex");
        assert_eq!(f.source(), "stream iex");
        assert_eq!(f.limit_backoff, Duration::from_secs(300));
        let mock = Some("ws://127.0.0.1:9/".to_string());
        let f = StreamFeedConfig::from_config(&c, "sip", Timeframe::Day1, mock).unwrap();
        assert_eq!(f.url, "ws://127.0.0.1:9/v2/sip");
        let remote = Some("ws://stream.example.com".to_string());
        assert!(StreamFeedConfig::from_config(&c, "iex", Timeframe::Day1, remote).is_err());
    }
}
