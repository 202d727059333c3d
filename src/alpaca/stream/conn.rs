//! One market-data connection: connect, authenticate, subscribe, then frames.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::wire::{parse_frame, Action, StreamMsg, Subscription};
use super::StreamError;
use crate::alpaca::Secret;

/// The keys, held as `Secret`s so no `Debug` of the feed can print them.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key_id: Secret,
    pub secret_key: Secret,
}

impl Credentials {
    /// Frames are venue text bound for errors, logs and the journal: our keys never ride along,
    /// even when the server (or a proxy) echoes the auth message back.
    pub(crate) fn redact(&self, text: String) -> String {
        let keys = [self.key_id.expose(), self.secret_key.expose()];
        if keys.iter().any(|k| !k.is_empty() && text.contains(k)) {
            crate::process::secrets::redact(&text, &keys)
        } else {
            text
        }
    }
}

pub struct StreamConn {
    ws: Socket,
    creds: Credentials,
}

/// Connect to `url`, authenticate and subscribe bars, updated bars, daily bars and statuses of
/// `symbols`. Each step waits at most `step_timeout` (Alpaca drops a socket that does not
/// authenticate within a few seconds: 404 auth timeout).
pub async fn connect(
    url: &str,
    creds: &Credentials,
    symbols: &[String],
    step_timeout: Duration,
) -> Result<(StreamConn, Subscription), StreamError> {
    let mut conn = StreamConn {
        ws: open(url, step_timeout).await?,
        creds: creds.clone(),
    };
    conn.expect_success("connected", "connecting", step_timeout)
        .await?;
    let auth = Action::Auth {
        key: creds.key_id.expose(),
        secret: creds.secret_key.expose(),
    };
    conn.send(&auth).await?;
    conn.expect_success("authenticated", "authenticating", step_timeout)
        .await?;
    conn.send(&Action::Subscribe {
        bars: symbols,
        updated_bars: symbols,
        daily_bars: symbols,
        statuses: symbols,
    })
    .await?;
    let stage = "subscribing";
    // Data for an earlier subscription may come first on a reused session; skip to the ack.
    loop {
        for m in conn.next_within(step_timeout, stage).await? {
            match m {
                StreamMsg::Subscription(s) => return Ok((conn, s)),
                StreamMsg::Error { code, msg } => return Err(StreamError::Server { code, msg }),
                _ => {}
            }
        }
    }
}

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The websocket handshake with `url`, within `step_timeout` (both Alpaca streams).
pub(super) async fn open(url: &str, step_timeout: Duration) -> Result<Socket, StreamError> {
    let (ws, _) = tokio::time::timeout(step_timeout, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| StreamError::Timeout {
            stage: "connecting",
            ms: step_timeout.as_millis() as u64,
        })?
        .map_err(|e| StreamError::Connect(e.to_string()))?;
    Ok(ws)
}

impl StreamConn {
    async fn send(&mut self, action: &Action<'_>) -> Result<(), StreamError> {
        let text = serde_json::to_string(action).map_err(|e| StreamError::Config(e.to_string()))?;
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| StreamError::Connect(e.to_string()))
    }

    async fn next_within(
        &mut self,
        d: Duration,
        stage: &'static str,
    ) -> Result<Vec<StreamMsg>, StreamError> {
        tokio::time::timeout(d, self.next())
            .await
            .map_err(|_| StreamError::Timeout {
                stage,
                ms: d.as_millis() as u64,
            })?
    }

    async fn expect_success(
        &mut self,
        want: &str,
        stage: &'static str,
        d: Duration,
    ) -> Result<(), StreamError> {
        let msgs = self.next_within(d, stage).await?;
        match msgs.first() {
            Some(StreamMsg::Success { msg }) if msg == want => Ok(()),
            Some(StreamMsg::Error { code, msg }) => Err(StreamError::Server {
                code: *code,
                msg: msg.clone(),
            }),
            other => Err(StreamError::Protocol {
                stage,
                got: format!("{other:?}"),
            }),
        }
    }

    /// The next frame's messages. Pings are answered by tungstenite and skipped here; a
    /// `Malformed` error leaves the connection usable.
    pub async fn next(&mut self) -> Result<Vec<StreamMsg>, StreamError> {
        loop {
            let msg = match self.ws.next().await {
                None => return Err(StreamError::Closed(None)),
                Some(Err(e)) => return Err(StreamError::Connect(e.to_string())),
                Some(Ok(m)) => m,
            };
            match msg {
                Message::Text(t) => return parse_frame(&self.creds.redact(t.as_str().into())),
                // The trading stream on the paper host sends its JSON in binary frames.
                Message::Binary(b) => {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    return parse_frame(&self.creds.redact(text));
                }
                Message::Close(c) => {
                    return Err(StreamError::Closed(c.map(|c| {
                        self.creds
                            .redact(format!("{} {}", u16::from(c.code), c.reason))
                    })))
                }
                _ => continue,
            }
        }
    }

    /// Say goodbye so the server frees the account's one connection at once.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}
