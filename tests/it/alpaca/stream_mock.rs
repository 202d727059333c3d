//! A loopback Market Data v2 websocket: welcome, auth (checked against the mock keys), subscribe
//! ack echoing what was asked, then a scripted behaviour per connection. Error frames are the
//! documented ones (`stream_control_and_error_messages.docs.json`).

use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::mock::{fixture, KEY, SECRET};

/// What one connection does after the subscribe ack (or instead of authenticating).
#[derive(Debug, Clone)]
pub enum Conn {
    /// Send these frames, then stay open and silent.
    Serve(Vec<String>),
    /// Send these frames, then close the socket.
    ServeThenClose(Vec<String>),
    /// Answer the auth with this documented error code and close.
    RejectAuth(u16),
    /// Accept the TCP/websocket handshake and close at once.
    Drop,
}

pub struct StreamMock {
    pub url: String,
    /// Every client message, in order, per connection.
    pub seen: Arc<Mutex<Vec<Vec<Value>>>>,
}

impl StreamMock {
    pub fn connections(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// The documented error frame with `code`.
pub fn error_frame(code: u16) -> String {
    let all = fixture("stream_control_and_error_messages.docs.json");
    let frame = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0]["T"] == "error" && f[0]["code"] == code)
        .unwrap_or_else(|| panic!("no documented error {code}"));
    frame.to_string()
}

/// A bar message from the documented one, with our symbol, kind, time and prices.
pub fn bar_frame(kind: &str, sym: &str, t: &str, ohlcv: [f64; 5]) -> String {
    let mut b = fixture("stream_bar_message.current-docs.json");
    b["T"] = json!(kind);
    b["S"] = json!(sym);
    b["t"] = json!(t);
    for (k, v) in ["o", "h", "l", "c", "v"].into_iter().zip(ohlcv) {
        b[k] = json!(v);
    }
    json!([b]).to_string()
}

/// Serve connection i with `plan[i]` (the last one repeats).
pub async fn start(plan: Vec<Conn>) -> StreamMock {
    let (url, seen) = accept_each("/v2/iex", plan, serve).await;
    StreamMock { url, seen }
}

pub type Log = Arc<Mutex<Vec<Vec<Value>>>>;
pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A loopback websocket at `path`: connection i is handed to `serve` with `plan[i]` (the last
/// one repeats) and its own slot in the log of client messages. Returns the URL and the log.
pub async fn accept_each<C, F, Fut>(path: &str, plan: Vec<C>, serve: F) -> (String, Log)
where
    C: Clone + Send + 'static,
    F: Fn(Ws, C, Log, usize) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}{path}", listener.local_addr().unwrap());
    let seen: Log = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((tcp, _)) = listener.accept().await {
            let conn = plan[n.min(plan.len() - 1)].clone();
            n += 1;
            let log = log.clone();
            let idx = {
                let mut l = log.lock().unwrap();
                l.push(Vec::new());
                l.len() - 1
            };
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                serve(ws, conn, log, idx).await;
            });
        }
    });
    (url, seen)
}

async fn serve(mut ws: Ws, conn: Conn, log: Log, idx: usize) {
    if matches!(conn, Conn::Drop) {
        let _ = ws.close(None).await;
        return;
    }
    let send = |t: String| Message::text(t);
    let _ = ws
        .send(send(r#"[{"T":"success","msg":"connected"}]"#.into()))
        .await;
    let Some(auth) = recv(&mut ws, &log, idx).await else {
        return;
    };
    let reply = match conn {
        Conn::RejectAuth(code) => error_frame(code),
        _ if auth["action"] != "auth" => error_frame(401),
        _ if auth["key"] != KEY || auth["secret"] != SECRET => error_frame(402),
        _ => r#"[{"T":"success","msg":"authenticated"}]"#.into(),
    };
    let ok = reply.contains("authenticated") && !reply.contains("error");
    let _ = ws.send(send(reply)).await;
    if !ok {
        let _ = ws.close(None).await;
        return;
    }
    let Some(sub) = recv(&mut ws, &log, idx).await else {
        return;
    };
    let mut ack = json!({"T": "subscription", "trades": [], "quotes": []});
    for ch in ["bars", "updatedBars", "dailyBars", "statuses"] {
        ack[ch] = sub.get(ch).cloned().unwrap_or(json!([]));
    }
    let _ = ws.send(send(json!([ack]).to_string())).await;
    let (frames, close) = match conn {
        Conn::Serve(f) => (f, false),
        Conn::ServeThenClose(f) => (f, true),
        _ => (Vec::new(), true),
    };
    for f in frames {
        let _ = ws.send(send(f)).await;
    }
    if close {
        let _ = ws.close(None).await;
        return;
    }
    // Hold the socket open (and answer pings) until the client leaves.
    while recv(&mut ws, &log, idx).await.is_some() {}
}

/// The next text message of the client, logged.
pub async fn recv(ws: &mut Ws, log: &Mutex<Vec<Vec<Value>>>, idx: usize) -> Option<Value> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                log.lock().unwrap()[idx].push(v.clone());
                return Some(v);
            }
            Some(Ok(_)) => continue,
            _ => return None,
        }
    }
}
