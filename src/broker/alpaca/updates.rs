//! Order state as it happens: Alpaca's `trade_updates` stream folded into the same book as the
//! REST poll. Each event carries the REST order object, so a fill is reported once whichever way
//! it arrives first (the book reports deltas of `filled_qty`). The REST poll keeps running: the
//! stream makes fills arrive in a second instead of a poll interval, it is not trusted alone.
//! After every (re)connect the open orders, positions and account are read again by REST, so an
//! event missed while the stream was down is never missed for good.

use std::time::Duration;

use super::poll::{reconcile, refresh_account};
use super::Ctx;
use crate::alpaca::jittered;
use crate::alpaca::stream::{connect_trading, Credentials, ErrorClass, StreamError};
use crate::broker::BrokerEvent;

/// How the stream connects and backs off (the `[stream]` settings).
#[derive(Debug, Clone)]
pub struct UpdatesConfig {
    pub url: String,
    pub creds: Credentials,
    pub step_timeout: Duration,
    pub reconnect_base: Duration,
    pub reconnect_max: Duration,
}

impl UpdatesConfig {
    /// `url` from `AlpacaClient::trading_stream_url`; timeouts and back-off from `[stream]`.
    pub fn from_config(c: &crate::config::StreamConfig, url: String, creds: Credentials) -> Self {
        let ms = |v: u64| Duration::from_millis(v.max(1));
        UpdatesConfig {
            url,
            creds,
            step_timeout: ms(c.step_timeout_ms),
            reconnect_base: ms(c.reconnect_base_ms),
            reconnect_max: ms(c.reconnect_max_ms),
        }
    }
}

pub(super) async fn run(ctx: Ctx, cfg: UpdatesConfig) {
    let mut attempt: u32 = 0;
    loop {
        if ctx.tx.is_closed() {
            return;
        }
        match connect_trading(&cfg.url, &cfg.creds, cfg.step_timeout).await {
            Ok(mut conn) => {
                attempt = 0;
                tracing::info!("trade_updates stream connected");
                // What changed while no stream watched comes from REST first.
                if let Err(e) = reconcile(&ctx).await {
                    ctx.emit(vec![error(format!("Alpaca reconcile failed: {e}"))]);
                }
                let lost = loop {
                    let update = tokio::select! {
                        u = conn.next() => u,
                        _ = ctx.tx.closed() => {
                            conn.close().await;
                            return;
                        }
                    };
                    match update {
                        Ok(u) => {
                            tracing::debug!(event = %u.event, order = %u.order.client_order_id, "trade update");
                            if ctx.apply(&u.order) {
                                if let Err(e) = refresh_account(&ctx).await {
                                    tracing::warn!(error = %e, "Alpaca account refresh failed");
                                }
                            }
                        }
                        Err(e @ StreamError::Malformed { .. }) => {
                            ctx.emit(vec![error(format!("trade_updates: skipped {e}"))]);
                        }
                        Err(e) => break e,
                    }
                };
                ctx.emit(vec![error(format!(
                    "trade_updates stream lost ({lost}); REST polling carries order state, reconnecting"
                ))]);
            }
            Err(e) if e.class() == ErrorClass::Fatal => {
                ctx.emit(vec![error(format!(
                    "trade_updates stream refused ({e}); order state by REST polling only"
                ))]);
                return;
            }
            Err(e) => {
                if attempt == 0 {
                    ctx.emit(vec![error(format!(
                        "trade_updates stream unavailable ({e}); REST polling carries order state, retrying"
                    ))]);
                }
            }
        }
        attempt = attempt.saturating_add(1);
        tokio::time::sleep(jittered(cfg.reconnect_base, attempt, cfg.reconnect_max)).await;
    }
}

fn error(message: String) -> BrokerEvent {
    BrokerEvent::Error { message }
}
