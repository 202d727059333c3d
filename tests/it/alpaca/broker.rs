//! The Alpaca broker: a lost POST answer, duplicate client ids, 5xx, 403, cancel, restart.

use std::time::Duration;

use axum::http::Method;
use chrono::Utc;
use double_agent::broker::alpaca::{AlpacaBroker, AlpacaBrokerConfig};
use double_agent::broker::{Broker, BrokerEvent, BrokerKind};
use double_agent::model::{ClientOrderId, OrderRequest, OrderType, Side, Symbol};
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::sync::mpsc;

use super::mock::{self, fixture, Mock, Scripted};
use super::routes::order_json;
use super::{assert_no_violations, client, until};

pub(super) fn cfg() -> AlpacaBrokerConfig {
    AlpacaBrokerConfig {
        order_poll: Duration::from_millis(20),
        account_poll: Duration::from_secs(60),
        max_retries: 3,
        retry_base: Duration::from_millis(10),
        client_side_stops: true,
    }
}

pub(super) fn order(coid: &str, order_type: OrderType) -> OrderRequest {
    OrderRequest {
        client_order_id: ClientOrderId::from(coid),
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(10),
        order_type,
        signal_id: Some(1),
        book: None,
        created: Utc::now(),
    }
}

pub(super) type Rx = mpsc::UnboundedReceiver<BrokerEvent>;

/// Everything that arrives within `d`.
pub(super) async fn drain_for(rx: &mut Rx, d: Duration) -> Vec<BrokerEvent> {
    tokio::time::sleep(d).await;
    let mut v = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        v.push(ev);
    }
    v
}

async fn start(m: &std::sync::Arc<Mock>) -> (AlpacaBroker, Rx) {
    start_with(m, cfg()).await
}

/// Start and wait for the start-up reconcile to finish (its Account event).
async fn start_with(m: &std::sync::Arc<Mock>, c: AlpacaBrokerConfig) -> (AlpacaBroker, Rx) {
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let broker = AlpacaBroker::start(client(&url), c, tx);
    until(&mut rx, |e| matches!(e, BrokerEvent::Account { .. })).await;
    (broker, rx)
}

/// Until the broker has POSTed an order.
async fn until_post(m: &Mock) {
    for _ in 0..250 {
        if !m.requests(Method::POST, "/v2/orders").is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no POST /v2/orders");
}

fn accepted(e: &BrokerEvent, coid: &str) -> bool {
    matches!(e, BrokerEvent::Accepted { client_order_id, .. } if client_order_id.as_str() == coid)
}

fn count_orders(m: &Mock, coid: &str) -> usize {
    let orders = m.orders.lock().unwrap();
    orders
        .iter()
        .filter(|o| o["client_order_id"] == coid)
        .count()
}

#[tokio::test]
async fn alpaca_post_without_answer_is_settled_by_lookup_exactly_one_order() {
    let m = Mock::new();
    *m.post_delay.lock().unwrap() = Some(Duration::from_millis(600));
    // Polls slower than the 200 ms timeout, so the lookup (not the poller) settles the order.
    let slow_poll = AlpacaBrokerConfig {
        order_poll: Duration::from_millis(300),
        ..cfg()
    };
    let (mut broker, mut rx) = start_with(&m, slow_poll).await;
    assert_eq!(broker.kind(), BrokerKind::Paper);
    assert!(broker
        .submit(&order("da-s1-1", OrderType::Market))
        .is_empty());
    let got = until(&mut rx, |e| accepted(e, "da-s1-1")).await;
    assert!(
        got.iter().any(|e| matches!(e, BrokerEvent::Unknown { client_order_id, .. } if client_order_id.as_str() == "da-s1-1")),
        "{got:?}"
    );
    assert_eq!(count_orders(&m, "da-s1-1"), 1);
    let posts = m.requests(Method::POST, "/v2/orders");
    assert_eq!(posts.len(), 1, "never re-posted: the lookup found it");
    let body = posts[0].body.clone().unwrap();
    assert_eq!(
        body,
        json!({"symbol": "TWM", "qty": "10", "side": "buy", "type": "market",
               "time_in_force": "day", "client_order_id": "da-s1-1"})
    );
    let lookups = m.requests(Method::GET, "/v2/orders:by_client_order_id");
    assert_eq!(lookups[0].query["client_order_id"], "da-s1-1");

    // The venue fills it: one Filled, not one per poll.
    m.update_order("da-s1-1", |o| {
        o["status"] = json!("filled");
        o["filled_qty"] = json!("10");
        o["filled_avg_price"] = json!("31.25");
    });
    let got = until(&mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    let Some(BrokerEvent::Filled(f)) = got.last() else {
        unreachable!()
    };
    assert_eq!(
        (f.qty, f.price, f.symbol),
        (dec!(10), dec!(31.25), Symbol::Twm)
    );
    let later = drain_for(&mut rx, Duration::from_millis(200)).await;
    assert!(
        !later.iter().any(|e| matches!(e, BrokerEvent::Filled(_))),
        "{later:?}"
    );
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_duplicate_client_order_id_422_is_looked_up_not_failed() {
    let m = Mock::new();
    // A previous run's POST got through; this run submits the same journaled id again.
    m.orders
        .lock()
        .unwrap()
        .push(order_json("da-s2-1", "TWM", "buy", "10", "new"));
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut broker = AlpacaBroker::start(client(&url), cfg(), tx);
    // The start-up reconcile finds it open and announces it, before the account.
    let mut got = until(&mut rx, |e| matches!(e, BrokerEvent::Account { .. })).await;
    assert!(got.iter().any(|e| accepted(e, "da-s2-1")), "{got:?}");
    broker.submit(&order(
        "da-s2-1",
        OrderType::Limit {
            limit_price: dec!(30.5),
        },
    ));
    // The 422 is looked up; the order is the one already announced.
    until_post(&m).await;
    got.extend(drain_for(&mut rx, Duration::from_millis(150)).await);
    assert!(
        !got.iter()
            .any(|e| matches!(e, BrokerEvent::Rejected { .. })),
        "{got:?}"
    );
    assert_eq!(count_orders(&m, "da-s2-1"), 1);
    let later = drain_for(&mut rx, Duration::from_millis(150)).await;
    assert!(!later
        .iter()
        .any(|e| accepted(e, "da-s2-1") || matches!(e, BrokerEvent::Rejected { .. })));
    let posts = m.requests(Method::POST, "/v2/orders");
    let body = posts.last().unwrap().body.clone().unwrap();
    assert_eq!(
        (body["type"].as_str(), body["limit_price"].as_str()),
        (Some("limit"), Some("30.5"))
    );
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_5xx_on_post_is_unknown_then_reposted_once_with_the_same_id() {
    let m = Mock::new();
    m.script(Scripted {
        method: Method::POST,
        path: "/v2/orders",
        status: 500,
        body: json!({"code": 50010000, "message": "internal server error"}),
        headers: vec![],
        times: 1,
    });
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-s3-1", OrderType::Market));
    let got = until(&mut rx, |e| accepted(e, "da-s3-1")).await;
    assert!(
        got.iter().any(|e| matches!(e, BrokerEvent::Unknown { .. })),
        "{got:?}"
    );
    let posts = m.requests(Method::POST, "/v2/orders");
    assert_eq!(posts.len(), 2, "500 → lookup 404 → one re-POST");
    assert!(posts
        .iter()
        .all(|p| p.body.as_ref().unwrap()["client_order_id"] == "da-s3-1"));
    assert_eq!(count_orders(&m, "da-s3-1"), 1);
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_403_rejects_and_cancel_reports_canceled() {
    let m = Mock::new();
    let body = fixture("error_bodies.observed.json")["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["body"]["message"] == "insufficient buying power")
        .unwrap()["body"]
        .clone();
    m.script(Scripted {
        method: Method::POST,
        path: "/v2/orders",
        status: 403,
        body,
        headers: vec![],
        times: 1,
    });
    let (mut broker, mut rx) = start(&m).await;
    broker.submit(&order("da-s4-1", OrderType::Market));
    let got = until(&mut rx, |e| matches!(e, BrokerEvent::Rejected { .. })).await;
    let Some(BrokerEvent::Rejected { reason, .. }) = got.last() else {
        unreachable!()
    };
    assert!(
        reason.contains("insufficient buying power") && reason.contains("40310000"),
        "{reason}"
    );
    assert_eq!(
        m.requests(Method::POST, "/v2/orders").len(),
        1,
        "a 403 is final"
    );

    // Stops are client-side: refused at once, nothing sent.
    let ev = broker.submit(&order(
        "da-s4-2",
        OrderType::Stop {
            stop_price: dec!(25),
        },
    ));
    assert!(
        matches!(ev.as_slice(), [BrokerEvent::Rejected { .. }]),
        "{ev:?}"
    );

    broker.submit(&order("da-s4-3", OrderType::Market));
    until(&mut rx, |e| accepted(e, "da-s4-3")).await;
    broker.cancel(&ClientOrderId::from("da-s4-3"));
    until(&mut rx, |e| matches!(e, BrokerEvent::Canceled { client_order_id } if client_order_id.as_str() == "da-s4-3")).await;
    assert_eq!(
        m.requests(
            Method::DELETE,
            &format!(
                "/v2/orders/{}",
                m.order_by_coid("da-s4-3").unwrap()["id"].as_str().unwrap()
            )
        )
        .len(),
        1
    );
    let later = drain_for(&mut rx, Duration::from_millis(150)).await;
    assert!(
        !later
            .iter()
            .any(|e| matches!(e, BrokerEvent::Canceled { .. })),
        "{later:?}"
    );
    assert_no_violations(&m);
}

/// The venue a restarted app finds: 5 TWM held at 31, from `coid`, a buy of 10 half filled.
fn half_filled_before_the_restart(coid: &str) -> std::sync::Arc<Mock> {
    let m = Mock::new();
    let mut pos = fixture("positions.alpaca-py.json")[0].clone();
    pos["symbol"] = json!("TWM");
    pos["qty"] = json!("5");
    pos["avg_entry_price"] = json!("31");
    m.positions.lock().unwrap().push(pos);
    let mut half = order_json(coid, "TWM", "buy", "10", "partially_filled");
    half["filled_qty"] = json!("5");
    half["filled_avg_price"] = json!("31");
    m.orders.lock().unwrap().push(half);
    m
}

#[tokio::test]
async fn alpaca_restart_reconciles_position_and_working_order_without_duplicates() {
    let m = half_filled_before_the_restart("da-prev-7");

    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let broker = AlpacaBroker::start(client(&url), cfg(), tx);
    let got = until(&mut rx, |e| matches!(e, BrokerEvent::Account { .. })).await;
    assert!(got.iter().any(|e| accepted(e, "da-prev-7")), "{got:?}");
    let positions = got
        .iter()
        .find_map(|e| match e {
            BrokerEvent::Positions { positions: p } => Some(p.clone()),
            _ => None,
        })
        .expect("positions reported at start");
    let twm = positions.iter().find(|p| p.symbol == Symbol::Twm).unwrap();
    assert_eq!((twm.qty, twm.avg_price), (dec!(5), dec!(31)));
    assert!(positions
        .iter()
        .filter(|p| p.symbol != Symbol::Twm)
        .all(|p| p.qty.is_zero()));
    assert!(got.iter().any(|e| matches!(e, BrokerEvent::Account { .. })));
    assert!(
        !got.iter().any(|e| matches!(e, BrokerEvent::Filled(_))),
        "past fills are in the position"
    );

    broker.reconcile();
    let again = drain_for(&mut rx, Duration::from_millis(200)).await;
    assert!(
        again
            .iter()
            .any(|e| matches!(e, BrokerEvent::Positions { .. })),
        "{again:?}"
    );
    assert!(
        !again
            .iter()
            .any(|e| accepted(e, "da-prev-7") || matches!(e, BrokerEvent::Filled(_))),
        "{again:?}"
    );

    // The rest fills at 32: one Filled for the 5 new shares only.
    m.update_order("da-prev-7", |o| {
        o["status"] = json!("filled");
        o["filled_qty"] = json!("10");
        o["filled_avg_price"] = json!("31.5");
    });
    let got = until(&mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    let Some(BrokerEvent::Filled(f)) = got.last() else {
        unreachable!()
    };
    assert_eq!((f.qty, f.price), (dec!(5), dec!(32)));
    let later = drain_for(&mut rx, Duration::from_millis(150)).await;
    assert!(
        !later.iter().any(|e| matches!(e, BrokerEvent::Filled(_))),
        "{later:?}"
    );
    assert_eq!(
        m.requests(Method::POST, "/v2/orders").len(),
        0,
        "reconcile never posts"
    );
    assert_no_violations(&m);
}

/// A journaled working order that half filled while no process ran: the start-up reconcile
/// reports the fill, and the positions come after it, already holding it (never a fill on top of a snapshot
/// that counts it, which the session would add twice).
#[tokio::test]
async fn alpaca_restart_reports_a_fill_made_while_down_before_the_positions_that_hold_it() {
    // Still open, half filled: the start-up reconcile of open orders is what reports it.
    let m = half_filled_before_the_restart("da-prev-8");

    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let broker = AlpacaBroker::start(client(&url), cfg(), tx);
    // The journal left it working with nothing filled (as `flight::to_settle` hands it over).
    broker.settle([(&order("da-prev-8", OrderType::Market), dec!(0))]);
    let got = until(&mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    let Some(BrokerEvent::Filled(f)) = got.last() else {
        unreachable!()
    };
    assert_eq!((f.qty, f.price), (dec!(5), dec!(31)));
    let later = drain_for(&mut rx, Duration::from_millis(300)).await;
    let all: Vec<_> = got.iter().chain(&later).collect();
    let fill_at = all
        .iter()
        .position(|e| matches!(e, BrokerEvent::Filled(_)))
        .unwrap();
    let last_positions = all
        .iter()
        .rposition(|e| matches!(e, BrokerEvent::Positions { .. }))
        .expect("positions reported");
    assert!(fill_at < last_positions, "{all:?}");
    assert_eq!(
        all.iter()
            .filter(|e| matches!(e, BrokerEvent::Filled(_)))
            .count(),
        1,
        "{all:?}"
    );
    assert_eq!(m.requests(Method::POST, "/v2/orders").len(), 0);
    assert_no_violations(&m);
}
