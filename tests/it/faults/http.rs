//! The Alpaca broker behind the fault proxy, driven through the session: resets, timeouts
//! (accept-then-hang on the order POST), 5xx, 429, malformed and truncated answers.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use chrono::{DateTime, Utc};
use double_agent::broker::alpaca::{AlpacaBroker, AlpacaBrokerConfig};
use double_agent::broker::BrokerEvent;
use double_agent::config::Mode;
use double_agent::feed::FeedEvent;
use double_agent::model::{
    Agent, Bar, ClientOrderId, OrderStatus, Side, Signal, SignalKind, Symbol, Timeframe,
};
use double_agent::session::{Action, Input, Session};
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

use super::proxy::{self, Fault, Faults};
use super::{audit, journaled};
use crate::alpaca::mock::{self, Mock};
use crate::alpaca::{assert_no_violations, client};

pub struct Rig {
    pub mock: Arc<Mock>,
    pub faults: Faults,
    pub session: Session,
    pub rx: UnboundedReceiver<BrokerEvent>,
    _dir: tempfile::TempDir,
}

fn bar(t: DateTime<Utc>, px: f64) -> Bar {
    Bar {
        time: t,
        open: px,
        high: px + 0.5,
        low: px - 0.5,
        close: px,
        volume: 1e5,
    }
}

impl Rig {
    /// Mock, proxy, broker and a journaled session that has seen fresh bars and the account.
    pub async fn start() -> Rig {
        let m = Mock::new();
        let up = mock::serve(m.clone()).await;
        let faults = Faults::default();
        let url = proxy::start(&up, faults.clone()).await;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let cfg = AlpacaBrokerConfig {
            // Slower than the client's 200 ms timeout: the submit path settles, not the poller.
            order_poll: Duration::from_millis(300),
            account_poll: Duration::from_secs(60),
            max_retries: 3,
            retry_base: Duration::from_millis(10),
            client_side_stops: true,
        };
        let broker = AlpacaBroker::start(client(&url), cfg, tx);
        let (session, dir) = journaled(Box::new(broker), Timeframe::Min1, Mode::Manual);
        let mut rig = Rig {
            mock: m,
            faults,
            session,
            rx,
            _dir: dir,
        };
        let t = Utc::now() - chrono::Duration::seconds(90);
        for (symbol, px) in [(Symbol::Twm, 31.0), (Symbol::Iwm, 200.0)] {
            rig.session.handle(Input::Feed(FeedEvent::Bar {
                symbol,
                timeframe: Timeframe::Min1,
                bar: bar(t, px),
            }));
        }
        rig.pump_until(|s| s.store.equity > dec!(0) && s.store.cash > dec!(0))
            .await;
        // The start-up reconcile ends with the open-orders list: let it pass before any fault.
        for _ in 0..100 {
            if !rig.mock.requests(Method::GET, "/v2/orders").is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        rig
    }

    /// Feed broker events into the session until `pred` holds (5 s at most).
    pub async fn pump_until(&mut self, mut pred: impl FnMut(&Session) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !pred(&self.session) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => {
                    self.session.handle(Input::Broker(ev));
                }
                other => panic!(
                    "condition not reached ({other:?}); log: {:#?}",
                    self.session.store.log
                ),
            }
        }
    }

    /// A Bear entry for 10 TWM, acknowledged by the trader: the one order of the test.
    pub fn acknowledge(&mut self, id: u64) -> ClientOrderId {
        self.session.inject_signal(Signal {
            id,
            time: Utc::now(),
            agent: Agent::Bear,
            kind: SignalKind::BearEntry { tier: 1 },
            symbol: Symbol::Twm,
            side: Side::Buy,
            qty: dec!(10),
            reference_price: dec!(31),
            stop_price: Some(dec!(28)),
            iwm_stop: Some(205.0),
            record: None,
            confidence: 0.7,
            reasons: vec![],
        });
        let n = self.session.store.orders.len();
        self.session.handle(Input::Action(Action::Acknowledge {
            id: Some(id),
            qty: None,
        }));
        assert_eq!(
            self.session.store.orders.len(),
            n + 1,
            "{:#?}",
            self.session.store.log
        );
        self.session.store.orders[n].request.client_order_id.clone()
    }

    pub fn status_of(&self, coid: &ClientOrderId) -> OrderStatus {
        self.session.store.order(coid).unwrap().status
    }

    pub fn at_venue(&self, coid: &ClientOrderId) -> usize {
        let orders = self.mock.orders.lock().unwrap();
        orders
            .iter()
            .filter(|o| o["client_order_id"] == coid.as_str())
            .count()
    }

    /// The venue fills the order; the session must learn it, once, and the journal must say so.
    pub async fn fill_and_audit(&mut self, coid: &ClientOrderId) {
        self.mock.update_order(coid.as_str(), |o| {
            o["status"] = json!("filled");
            o["filled_qty"] = json!("10");
            o["filled_avg_price"] = json!("31.25");
        });
        let c = coid.clone();
        self.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Filled)
            .await;
        assert_eq!(self.session.store.positions[&Symbol::Twm].qty, dec!(10));
        assert_eq!(self.at_venue(coid), 1, "one order per client order id");
        audit(&self.session, true);
        assert_no_violations(&self.mock);
    }

    fn log_has(&self, needle: &str) -> bool {
        self.session
            .store
            .log
            .iter()
            .any(|l| l.text.contains(needle))
    }
}

/// One fault on the order POST; the order must end up placed exactly once and filled.
async fn post_fault(fault: Fault, venue_acted: bool, says: &str) {
    let mut rig = Rig::start().await;
    rig.faults.arm("POST /v2/orders ", fault.clone(), 1);
    let coid = rig.acknowledge(1);
    let c = coid.clone();
    rig.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Accepted)
        .await;
    assert_eq!(rig.faults.hit_count(), 1, "{fault:?} was injected");
    assert!(
        rig.log_has(&format!("order {coid}: state unknown")) && rig.log_has(says),
        "{fault:?}: the log says what went wrong: {:#?}",
        rig.session.store.log
    );
    let posts = rig.faults.sent("POST /v2/orders ");
    assert_eq!(
        posts,
        if venue_acted { 1 } else { 2 },
        "{fault:?}: re-POST only when absent"
    );
    assert_eq!(
        rig.mock.requests(Method::POST, "/v2/orders").len(),
        1,
        "placed once"
    );
    assert_eq!(rig.at_venue(&coid), 1, "{fault:?}");
    rig.fill_and_audit(&coid).await;
    assert_eq!(rig.status_of(&coid), OrderStatus::Filled);
}

#[tokio::test]
async fn fault_post_connection_reset_before_the_venue_sees_it() {
    post_fault(Fault::Reset, false, "unreachable").await;
}

#[tokio::test]
async fn fault_post_reset_after_the_venue_placed_it() {
    post_fault(Fault::ForwardThenReset, true, "unreachable").await;
}

#[tokio::test]
async fn fault_post_accepted_then_timeout() {
    let hang = Fault::ForwardThenHang(Duration::from_millis(700));
    post_fault(hang, true, "timed out").await;
}

#[tokio::test]
async fn fault_post_5xx_and_429() {
    let body = r#"{"code":50010000,"message":"internal server error"}"#;
    post_fault(Fault::Raw(503, body), false, "HTTP 503").await;
    let body = r#"{"code":42910000,"message":"rate limit exceeded"}"#;
    post_fault(Fault::Raw(429, body), false, "HTTP 429").await;
}

#[tokio::test]
async fn fault_post_placed_but_answer_truncated_or_malformed() {
    post_fault(
        Fault::ForwardThenRaw(200, r#"{"id":"7b08df51-c1ac"#),
        true,
        "payload",
    )
    .await;
    post_fault(
        Fault::ForwardThenRaw(200, "<html>502</html>"),
        true,
        "payload",
    )
    .await;
    // Content-Length promises more than arrives: the body breaks off mid-stream.
    let short =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":";
    post_fault(Fault::ForwardThenBytes(short), true, "unreachable").await;
}

#[tokio::test]
async fn fault_lookups_failing_too_leave_the_order_unknown_then_the_poller_settles_it() {
    let mut rig = Rig::start().await;
    rig.faults
        .arm("POST /v2/orders ", Fault::ForwardThenReset, 1);
    let lookup = "GET /v2/orders:by_client_order_id";
    rig.faults
        .arm(lookup, Fault::Raw(503, r#"{"message":"busy"}"#), 9);
    rig.faults
        .arm("GET /v2/orders?", Fault::Raw(200, "[{\"id\":"), 1);
    let coid = rig.acknowledge(1);
    let c = coid.clone();
    rig.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Unknown)
        .await;
    rig.pump_until(|s| {
        s.store
            .status
            .as_ref()
            .is_some_and(|l| l.text.contains("not settled yet"))
    })
    .await;
    // The open-orders poll got garbage once: shown, then the next poll recovers.
    rig.pump_until(|s| {
        s.store
            .log
            .iter()
            .any(|l| l.text.contains("order poll failed"))
    })
    .await;
    let c = coid.clone();
    rig.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Accepted)
        .await;
    assert_eq!(rig.mock.requests(Method::POST, "/v2/orders").len(), 1);
    rig.fill_and_audit(&coid).await;
}

#[tokio::test]
async fn fault_kill_switch_cancel_survives_a_failing_delete() {
    let mut rig = Rig::start().await;
    let coid = rig.acknowledge(1);
    let c = coid.clone();
    rig.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Accepted)
        .await;
    // The first two DELETEs fail (503, then a reset): the kill switch must still cancel.
    rig.faults.arm(
        "DELETE /v2/orders/",
        Fault::Raw(503, r#"{"message":"busy"}"#),
        1,
    );
    rig.faults.arm("DELETE /v2/orders/", Fault::Reset, 1);
    rig.session.handle(Input::Action(Action::ToggleKill));
    let c = coid.clone();
    rig.pump_until(move |s| s.store.order(&c).unwrap().status == OrderStatus::Canceled)
        .await;
    assert_eq!(rig.faults.hit_count(), 2);
    assert!(rig.log_has("KILL SWITCH"), "{:#?}", rig.session.store.log);
    assert!(
        rig.log_has(&format!("cancel {coid}: Alpaca HTTP 503")),
        "failures are shown"
    );
    let venue = rig.mock.order_by_coid(coid.as_str()).unwrap();
    assert_eq!(venue["status"], "canceled", "canceled at the venue");
    // Killed: a new acknowledgement sends nothing.
    rig.session.inject_signal(Signal {
        id: 2,
        time: Utc::now(),
        agent: Agent::Bear,
        kind: SignalKind::BearEntry { tier: 1 },
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(10),
        reference_price: dec!(31),
        stop_price: None,
        iwm_stop: None,
        record: None,
        confidence: 0.7,
        reasons: vec![],
    });
    rig.session.handle(Input::Action(Action::Acknowledge {
        id: Some(2),
        qty: None,
    }));
    assert_eq!(rig.session.store.orders.len(), 1);
    assert_eq!(rig.faults.sent("POST /v2/orders "), 1);
    audit(&rig.session, true);
    assert_no_violations(&rig.mock);
}
