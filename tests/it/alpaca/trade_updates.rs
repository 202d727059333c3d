//! The trading stream against a loopback websocket speaking Alpaca's protocol (legacy docs):
//! `authenticate` → `authorization`, `listen` → `listening`, then `trade_updates` events in
//! binary frames as the paper host sends them. The REST mock serves the orders; its poll is
//! slowed to a minute so that a fill seen in time can only have come over the stream.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use double_agent::alpaca::stream::Credentials;
use double_agent::alpaca::Secret;
use double_agent::broker::alpaca::updates::UpdatesConfig;
use double_agent::broker::alpaca::{AlpacaBroker, AlpacaBrokerConfig};
use double_agent::broker::{Broker, BrokerEvent};
use double_agent::model::OrderType;
use futures::SinkExt;
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::broker::{drain_for, order, Rx};
use super::mock::{self, fixture, Mock, KEY, SECRET};
use super::stream_mock::{accept_each, recv, Log, Ws};
use super::{assert_no_violations, client, until};

/// What one connection does once it listens.
#[derive(Clone)]
enum Conn {
    /// Send these events, then hold the socket open.
    Events(Vec<Value>),
    /// Send these events, then close.
    EventsThenClose(Vec<Value>),
    /// Once the account has been read `reads` times in all (the connect's reconcile is past the
    /// open orders), fill `coid` at the venue without a word on the stream, then close.
    FillUnseenThenClose {
        mock: Arc<Mock>,
        coid: &'static str,
        reads: usize,
    },
}

fn fill_at_the_venue(m: &Mock, coid: &str) {
    m.update_order(coid, |o| {
        o["status"] = json!("filled");
        o["filled_qty"] = json!("10");
        o["filled_avg_price"] = json!("31.25");
        o["filled_at"] = json!(chrono::Utc::now().to_rfc3339());
    });
}

struct TradingMock {
    url: String,
    seen: Log,
}

async fn trading_mock(plan: Vec<Conn>) -> TradingMock {
    let (url, seen) = accept_each("/stream", plan, serve).await;
    TradingMock { url, seen }
}

async fn serve(mut ws: Ws, conn: Conn, log: Log, idx: usize) {
    let bin = |v: Value| Message::binary(v.to_string().into_bytes());
    let Some(auth) = recv(&mut ws, &log, idx).await else {
        return;
    };
    let ok = auth["action"] == "authenticate"
        && auth["data"]["key_id"] == KEY
        && auth["data"]["secret_key"] == SECRET;
    let status = if ok { "authorized" } else { "unauthorized" };
    let _ = ws
        .send(bin(json!({"stream": "authorization",
            "data": {"status": status, "action": "authenticate"}})))
        .await;
    if !ok {
        let _ = ws.close(None).await;
        return;
    }
    let Some(listen) = recv(&mut ws, &log, idx).await else {
        return;
    };
    let streams = listen["data"]["streams"].clone();
    let _ = ws
        .send(bin(
            json!({"stream": "listening", "data": {"streams": streams}}),
        ))
        .await;
    let (events, close) = match conn {
        Conn::Events(e) => (e, false),
        Conn::EventsThenClose(e) => (e, true),
        Conn::FillUnseenThenClose { mock, coid, reads } => {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while mock.requests(Method::GET, "/v2/account").len() < reads
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            fill_at_the_venue(&mock, coid);
            (Vec::new(), true)
        }
    };
    for e in events {
        let _ = ws.send(bin(e)).await;
    }
    if close {
        let _ = ws.close(None).await;
        return;
    }
    // Hold the socket open (and answer pings) until the client leaves.
    while recv(&mut ws, &log, idx).await.is_some() {}
}

/// The documented fill event, made ours: symbol, client order id, quantity, price.
fn fill_event(coid: &str, qty: &str, px: &str) -> Value {
    let mut e = fixture("stream_trade_updates_fill.legacy-docs.json");
    let d = &mut e["data"];
    d["qty"] = json!(qty);
    d["price"] = json!(px);
    let o = &mut d["order"];
    o["asset_class"] = json!("us_equity");
    o["symbol"] = json!("TWM");
    o["side"] = json!("buy");
    o["client_order_id"] = json!(coid);
    o["qty"] = json!(qty);
    o["filled_qty"] = json!(qty);
    o["filled_avg_price"] = json!(px);
    e
}

fn slow_poll() -> AlpacaBrokerConfig {
    AlpacaBrokerConfig {
        order_poll: Duration::from_secs(60),
        account_poll: Duration::from_secs(60),
        max_retries: 3,
        retry_base: Duration::from_millis(10),
        client_side_stops: true,
    }
}

fn updates(url: &str, key: &str) -> UpdatesConfig {
    UpdatesConfig {
        url: url.into(),
        creds: Credentials {
            key_id: Secret::new(key),
            secret_key: Secret::new(SECRET),
        },
        step_timeout: Duration::from_secs(2),
        reconnect_base: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(100),
    }
}

fn fills(evs: &[BrokerEvent]) -> Vec<(String, rust_decimal::Decimal, rust_decimal::Decimal)> {
    evs.iter()
        .filter_map(|e| match e {
            BrokerEvent::Filled(f) => Some((f.client_order_id.to_string(), f.qty, f.price)),
            _ => None,
        })
        .collect()
}

/// Whether the status bar heard a broker error saying `what`.
fn told(evs: &[BrokerEvent], what: &str) -> bool {
    evs.iter()
        .any(|e| matches!(e, BrokerEvent::Error { message } if message.contains(what)))
}

async fn start(m: &Arc<Mock>) -> (AlpacaBroker, Rx) {
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let broker = AlpacaBroker::start(client(&url), slow_poll(), tx);
    until(&mut rx, |e| matches!(e, BrokerEvent::Account { .. })).await;
    (broker, rx)
}

#[tokio::test]
async fn a_fill_arrives_over_the_stream_before_any_poll_and_only_once_after_a_reconnect() {
    let m = Mock::new();
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-s-1", OrderType::Market));
    until(&mut rx, |e| matches!(e, BrokerEvent::Accepted { .. })).await;
    let rest_reads = m.requests(Method::GET, "/v2/orders").len();
    let fill = fill_event("da-s-1", "10", "31.25");
    // The first connection sends the fill and drops; the second sends it again.
    let ws = trading_mock(vec![
        Conn::EventsThenClose(vec![fill.clone()]),
        Conn::Events(vec![fill]),
    ])
    .await;
    broker.stream_updates(updates(&ws.url, KEY));
    let evs = drain_for(&mut rx, Duration::from_millis(1500)).await;
    assert_eq!(
        fills(&evs),
        vec![("da-s-1".to_string(), dec!(10), dec!(31.25))],
        "one fill, from the stream (the REST poll is a minute away): {evs:#?}"
    );
    assert!(ws.seen.lock().unwrap().len() >= 2, "it reconnected");
    assert!(
        m.requests(Method::GET, "/v2/orders").len() >= rest_reads + 2,
        "every (re)connect reads the open orders by REST"
    );
    assert!(
        told(&evs, "trade_updates stream lost"),
        "the status bar hears of the drop: {evs:#?}"
    );
    let first = &ws.seen.lock().unwrap()[0];
    assert_eq!(
        first[1],
        json!({"action": "listen", "data": {"streams": ["trade_updates"]}})
    );
    assert_no_violations(&m);
}

#[tokio::test]
async fn refused_keys_stop_the_stream_and_leave_rest_polling() {
    let m = Mock::new();
    let (mut broker, mut rx) = start(&m).await;
    let ws = trading_mock(vec![Conn::Events(Vec::new())]).await;
    broker.stream_updates(updates(&ws.url, "not-the-key"));
    let evs = drain_for(&mut rx, Duration::from_millis(600)).await;
    assert!(told(&evs, "refused"), "{evs:#?}");
    assert_eq!(
        ws.seen.lock().unwrap().len(),
        1,
        "no retry loop on bad keys"
    );
}

#[tokio::test]
async fn a_malformed_event_is_skipped_and_the_next_one_counts() {
    let m = Mock::new();
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-s-2", OrderType::Market));
    until(&mut rx, |e| matches!(e, BrokerEvent::Accepted { .. })).await;
    let bad = json!({"stream": "trade_updates", "data": {"event": "fill", "order": {"id": 7}}});
    let ws = trading_mock(vec![Conn::Events(vec![
        bad,
        fill_event("da-s-2", "10", "30"),
    ])])
    .await;
    broker.stream_updates(updates(&ws.url, KEY));
    let evs = drain_for(&mut rx, Duration::from_millis(800)).await;
    assert!(told(&evs, "skipped"), "{evs:#?}");
    assert_eq!(
        fills(&evs),
        vec![("da-s-2".to_string(), dec!(10), dec!(30))]
    );
    assert_eq!(ws.seen.lock().unwrap().len(), 1, "the connection stayed up");
}

/// An order filled while no stream watched has left the open list: the (re)connect looks it up
/// by client order id, so its fill arrives then, not at the next poll a minute later.
#[tokio::test]
async fn a_fill_made_while_the_stream_was_down_arrives_with_the_connect() {
    let m = Mock::new();
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-gap-1", OrderType::MarketOnClose));
    until(&mut rx, |e| matches!(e, BrokerEvent::Accepted { .. })).await;
    fill_at_the_venue(&m, "da-gap-1");
    // The stream sends nothing: the fill can only come from the connect's lookup.
    let ws = trading_mock(vec![Conn::Events(vec![])]).await;
    broker.stream_updates(updates(&ws.url, KEY));
    let evs = until(&mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    assert_eq!(
        fills(&evs),
        vec![("da-gap-1".to_string(), dec!(10), dec!(31.25))]
    );
    assert!(
        !m.requests(Method::GET, "/v2/orders:by_client_order_id")
            .is_empty(),
        "looked up by client order id"
    );
    assert_no_violations(&m);
}

/// The same across a reconnect: the first connection's reconcile sees the order open, the order
/// fills while the stream is down, and the second connection's reconcile reports the fill.
#[tokio::test]
async fn a_fill_made_during_a_stream_gap_arrives_with_the_reconnect() {
    let m = Mock::new();
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-gap-2", OrderType::Market));
    until(&mut rx, |e| matches!(e, BrokerEvent::Accepted { .. })).await;
    let reads = m.requests(Method::GET, "/v2/account").len() + 1;
    let ws = trading_mock(vec![
        Conn::FillUnseenThenClose {
            mock: m.clone(),
            coid: "da-gap-2",
            reads,
        },
        Conn::Events(vec![]),
    ])
    .await;
    broker.stream_updates(updates(&ws.url, KEY));
    let evs = until(&mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    assert!(told(&evs, "trade_updates stream lost"), "{evs:#?}");
    assert_eq!(
        fills(&evs),
        vec![("da-gap-2".to_string(), dec!(10), dec!(31.25))]
    );
    assert_eq!(
        ws.seen.lock().unwrap().len(),
        2,
        "reported at the reconnect"
    );
    assert_no_violations(&m);
}
