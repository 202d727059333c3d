//! The Alpaca bar feed behind the fault proxy, feeding the session: resets, timeouts, 5xx, 429,
//! malformed and truncated pages, duplicate bars and a bar from the future in the data.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use double_agent::config::Mode;
use double_agent::feed::alpaca::run;
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::model::{Symbol, Timeframe};
use double_agent::session::Input;
use tokio::sync::mpsc;

use super::proxy::{self, Fault, Faults};
use super::{audit, journaled};
use crate::alpaca::feed::cfg;
use crate::alpaca::mock::{self, Mock};
use crate::alpaca::{assert_no_violations, client};

fn minute_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(t.timestamp() / 60 * 60, 0).unwrap()
}

#[tokio::test]
async fn fault_feed_rides_out_broken_pages_and_delivers_each_bar_once_in_order() {
    let m = Mock::new();
    let base = minute_floor(Utc::now());
    for (i, sym) in ["IWM", "TWM", "SRTY"].iter().enumerate() {
        for k in 0..10 {
            let t = base - chrono::Duration::minutes(12 - k);
            m.push_bar(sym, t, 100.0 + (i * 10) as f64 + k as f64);
        }
    }
    // The venue repeats a bar and has one stamped far in the future.
    m.push_bar("IWM", base - chrono::Duration::minutes(5), 104.0);
    m.push_bar(
        "TWM",
        Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
        1.0,
    );
    let up = mock::serve(m.clone()).await;
    let faults = Faults::default();
    let bars = "GET /v2/stocks/bars?";
    // Three of each: the client's own GET retries are used up, so the feed itself must cope.
    faults.arm(bars, Fault::Reset, 3);
    faults.arm(bars, Fault::Raw(500, r#"{"message":"internal"}"#), 3);
    faults.arm(
        bars,
        Fault::Raw(429, r#"{"message":"too many requests"}"#),
        3,
    );
    faults.arm(bars, Fault::ForwardThenHang(Duration::from_millis(400)), 3);
    faults.arm(bars, Fault::Raw(200, r#"{"bars":{"IWM":[{"t":"2025-"#), 1);
    faults.arm(
        bars,
        Fault::Raw(200, r#"{"bars":[1,2,3],"next_page_token":7}"#),
        1,
    );
    let url = proxy::start(&up, faults.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(run(cfg(), client(&url), tx, false));
    let (mut s, _dir) = journaled(
        Box::new(double_agent::broker::paper::PaperBroker::new(
            &double_agent::config::Config::default_config().paper,
        )),
        Timeframe::Min1,
        Mode::Manual,
    );
    let mut reconnecting = 0;
    let mut histories = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while histories < 3 {
        let ev = tokio::time::timeout_at(deadline, rx.recv()).await;
        let ev = ev.expect("feed recovers in time").expect("feed alive");
        match &ev {
            FeedEvent::Health {
                health: FeedHealth::Reconnecting { .. },
                ..
            } => reconnecting += 1,
            FeedEvent::History { .. } => histories += 1,
            _ => {}
        }
        let was_reconnect = matches!(
            &ev,
            FeedEvent::Health {
                health: FeedHealth::Reconnecting { .. },
                ..
            }
        );
        s.handle(Input::Feed(ev));
        if was_reconnect {
            let st = s.store.status.as_ref().map(|l| l.text.clone());
            assert!(
                st.as_deref()
                    .is_some_and(|t| t.contains("feed alpaca: reconnecting")),
                "{st:?}"
            );
            assert!(
                s.store.bars_unhealthy(),
                "orders are held while bars are unhealthy"
            );
        }
    }
    assert_eq!(faults.hit_count(), 14, "every fault was served");
    assert_eq!(reconnecting, 6, "one reconnect per exhausted fault");
    assert_eq!(s.store.health["alpaca"], FeedHealth::Connected);
    assert!(!s.store.bars_unhealthy());
    // A new closed bar arrives once, in order; the future one never does.
    m.push_bar("IWM", base - chrono::Duration::minutes(2), 111.0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap()
            .unwrap();
        let done = matches!(
            &ev,
            FeedEvent::Bar {
                symbol: Symbol::Iwm,
                ..
            }
        );
        s.handle(Input::Feed(ev));
        if done {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Ok(ev) = rx.try_recv() {
        s.handle(Input::Feed(ev));
    }
    for sym in Symbol::ALL {
        let b = &s.store.series(sym).bars();
        assert!(
            b.windows(2).all(|w| w[0].time < w[1].time),
            "{sym}: ascending, no repeats"
        );
        assert!(
            b.iter().all(|b| b.time <= Utc::now()),
            "{sym}: nothing from the future"
        );
    }
    assert_eq!(s.store.series(Symbol::Iwm).last().unwrap().close, 111.0);
    audit(&s, true);
    task.abort();
    assert_no_violations(&m);
}
