//! The trading stream, `<trading host>/stream`: `trade_updates`, each carrying the order object
//! the REST API returns, as it changes (new, partial fill, fill, canceled, rejected, ...).
//!
//! Protocol (contracts/alpaca/docs-legacy-2022/trading-api__streaming.md): send `authenticate`
//! with the keys, expect `authorization` `authorized`, send `listen` `trade_updates`, expect
//! `listening` naming it. Frames are `{"stream": …, "data": …}`; the paper host sends them as
//! binary frames, which are read as the same JSON.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use super::{Credentials, StreamError};
use crate::alpaca::wire::Order;

/// One order event: what happened (`fill`, `partial_fill`, `canceled`, ...) and the order after it.
#[derive(Debug, Clone, Deserialize)]
pub struct TradeUpdate {
    pub event: String,
    pub order: Order,
}

#[derive(Debug, Deserialize)]
struct Frame {
    stream: String,
    #[serde(default)]
    data: serde_json::Value,
}

pub struct TradingConn {
    ws: super::conn::Socket,
    creds: Credentials,
}

/// Connect to `url`, authenticate and listen to `trade_updates`, each step within `step_timeout`.
pub async fn connect_trading(
    url: &str,
    creds: &Credentials,
    step_timeout: Duration,
) -> Result<TradingConn, StreamError> {
    let mut conn = TradingConn {
        ws: super::conn::open(url, step_timeout).await?,
        creds: creds.clone(),
    };
    let auth = serde_json::json!({
        "action": "authenticate",
        "data": {"key_id": creds.key_id.expose(), "secret_key": creds.secret_key.expose()},
    });
    conn.send(auth).await?;
    let f = conn.control(step_timeout, "authenticating").await?;
    match (f.stream.as_str(), f.data["status"].as_str()) {
        ("authorization", Some("authorized")) => {}
        // Keys the venue refuses: retrying cannot help (the market-data stream's 402).
        ("authorization", Some(status)) => {
            return Err(StreamError::Server {
                code: 402,
                msg: format!("trading stream {status}"),
            })
        }
        _ => return Err(protocol("authenticating", &f)),
    }
    conn.send(serde_json::json!({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        .await?;
    let f = conn.control(step_timeout, "listening").await?;
    let listening = f.data["streams"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s == "trade_updates"));
    if f.stream != "listening" || !listening {
        return Err(protocol("listening", &f));
    }
    Ok(conn)
}

fn protocol(stage: &'static str, f: &Frame) -> StreamError {
    StreamError::Protocol {
        stage,
        got: format!("{} {}", f.stream, f.data),
    }
}

impl TradingConn {
    async fn send(&mut self, v: serde_json::Value) -> Result<(), StreamError> {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .map_err(|e| StreamError::Connect(e.to_string()))
    }

    async fn control(&mut self, d: Duration, stage: &'static str) -> Result<Frame, StreamError> {
        tokio::time::timeout(d, self.frame())
            .await
            .map_err(|_| StreamError::Timeout {
                stage,
                ms: d.as_millis() as u64,
            })?
    }

    async fn frame(&mut self) -> Result<Frame, StreamError> {
        loop {
            let text = match self.ws.next().await {
                None => return Err(StreamError::Closed(None)),
                Some(Err(e)) => return Err(StreamError::Connect(e.to_string())),
                Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                Some(Ok(Message::Close(c))) => {
                    return Err(StreamError::Closed(c.map(|c| {
                        self.creds
                            .redact(format!("{} {}", u16::from(c.code), c.reason))
                    })))
                }
                Some(Ok(_)) => continue,
            };
            let text = self.creds.redact(text);
            return serde_json::from_str(&text).map_err(|e| StreamError::Malformed {
                reason: e.to_string(),
                frame: text.chars().take(200).collect(),
            });
        }
    }

    /// The next order event. Frames of other streams are skipped; a `Malformed` error (a frame
    /// that is not JSON, an order that does not parse) leaves the connection usable.
    pub async fn next(&mut self) -> Result<TradeUpdate, StreamError> {
        loop {
            let f = self.frame().await?;
            if f.stream != "trade_updates" {
                continue;
            }
            return serde_json::from_value(f.data.clone()).map_err(|e| StreamError::Malformed {
                reason: e.to_string(),
                frame: f.data.to_string().chars().take(200).collect(),
            });
        }
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}
