//! A daily-bar session on the Alpaca broker against the loopback venue, end to end: the close
//! decision passes the risk gate on the wall clock, goes out as one `time_in_force: cls` order,
//! the venue fills it at the close, and the Bear holds the decision's stop; the closed bar does
//! not buy again.

use std::time::Duration;

use axum::http::Method;
use chrono::Utc;
use double_agent::broker::alpaca::AlpacaBroker;
use double_agent::broker::BrokerEvent;
use double_agent::config::{Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::live::market_clock::MarketState;
use double_agent::model::{Symbol, Timeframe};
use double_agent::session::{Input, Session};
use serde_json::json;
use tokio::sync::mpsc;

use super::mock::{self, fixture, Mock};
use super::{assert_no_violations, client};
use crate::live_trading::{
    bars, bear_state, entries, first_entry, refusals, restamped, today_bar_start, warm_up,
};

type Rx = mpsc::UnboundedReceiver<BrokerEvent>;

/// Hand the broker's events to the session until one satisfies `done`.
async fn pump(s: &mut Session, rx: &mut Rx, mut done: impl FnMut(&BrokerEvent) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => {
                let stop = done(&ev);
                s.handle(Input::Broker(ev));
                if stop {
                    return;
                }
            }
            other => panic!("the broker never said it ({other:?})"),
        }
    }
}

#[tokio::test]
async fn a_daily_close_decision_on_alpaca_is_one_cls_order_filled_with_the_decisions_stop() {
    let tf = Timeframe::Day1;
    let (k, reference, bear) = first_entry(tf);
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let broker = AlpacaBroker::start(client(&url), super::broker::cfg(), tx);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    cfg.signals.decide_before_close_minutes = 15;
    let mut s = Session::new(cfg, Box::new(broker), tf, "lc");
    pump(&mut s, &mut rx, |e| {
        matches!(e, BrokerEvent::Account { .. })
    })
    .await;

    let today = today_bar_start(Utc::now());
    let (history, steps) = restamped(tf, k, today);
    warm_up(&mut s, tf, history, &steps[..k]);
    s.handle(Input::Feed(FeedEvent::Market(MarketState {
        open: true,
        next_close: Some(today + chrono::Duration::hours(16)),
        next_open: None,
    })));
    for &(symbol, bar) in &steps[k] {
        s.handle(Input::Feed(FeedEvent::Forming {
            symbol,
            timeframe: tf,
            bar,
        }));
    }
    let decided = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: Utc::now(),
        close: today + chrono::Duration::hours(16),
    }));
    assert_eq!(refusals(&decided), Vec::<String>::new(), "refused live");
    assert_eq!(entries(&decided).len(), 1, "{decided:#?}");
    pump(&mut s, &mut rx, |e| {
        matches!(e, BrokerEvent::Accepted { .. })
    })
    .await;
    let posts = m.requests(Method::POST, "/v2/orders");
    assert_eq!(posts.len(), 1, "one order");
    let body = posts[0].body.clone().unwrap();
    assert_eq!(body["time_in_force"], "cls", "{body}");
    let coid = body["client_order_id"].as_str().unwrap().to_string();
    let symbol: Symbol = body["symbol"].as_str().unwrap().parse().unwrap();
    let qty = body["qty"].as_str().unwrap().to_string();

    // The closing auction: the venue holds the shares and reports the order filled.
    let close = steps[k].iter().find(|(s, _)| *s == symbol).unwrap().1.close;
    let px = format!("{close:.2}");
    let mut pos = fixture("positions.alpaca-py.json")[0].clone();
    pos["symbol"] = json!(symbol.as_str());
    pos["qty"] = json!(qty);
    pos["avg_entry_price"] = json!(px);
    m.positions.lock().unwrap().push(pos);
    m.update_order(&coid, |o| {
        o["status"] = json!("filled");
        o["filled_qty"] = json!(qty);
        o["filled_avg_price"] = json!(px);
        o["filled_at"] = json!(Utc::now().to_rfc3339());
    });
    pump(&mut s, &mut rx, |e| matches!(e, BrokerEvent::Filled(_))).await;
    pump(&mut s, &mut rx, |e| {
        matches!(e, BrokerEvent::Account { .. })
    })
    .await;
    assert_eq!(
        bear_state(&s.engine_view().bear),
        bear_state(&bear),
        "the Bear holds the decision's stop, level and entry"
    );

    let closed = bars(&mut s, tf, &steps[k]);
    assert!(
        entries(&closed).iter().all(|e| e.kind != reference.kind),
        "the closed bar buys it again: {closed:#?}"
    );
    assert_eq!(
        bear_state(&s.engine_view().bear),
        bear_state(&bear),
        "and keeps them past the closed bar"
    );
    assert_eq!(m.requests(Method::POST, "/v2/orders").len(), 1);
    assert_no_violations(&m);
}
