//! `--feed alpaca`: backfill across pages, closed-bar polling, empty answers, idle, stale, 401.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use double_agent::alpaca::wire::BarsPage;
use double_agent::alpaca::Api;
use double_agent::feed::alpaca::{run, AlpacaFeedConfig, RestForming};
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::model::{Symbol, Timeframe};
use tokio::sync::mpsc;

use axum::http::Method;
use serde_json::json;

use super::mock::{self, fixture, Mock, Scripted};
use super::{assert_no_violations, client, client_with, until};

/// A fast feed for tests: one-minute bars, small pages, a 20 ms poll.
pub fn cfg() -> AlpacaFeedConfig {
    AlpacaFeedConfig {
        timeframe: Timeframe::Min1,
        symbols: Symbol::ALL.to_vec(),
        data_feed: "iex".into(),
        adjustment: "split".into(),
        backfill_bars: 8,
        page_limit: 7,
        poll_interval: Duration::from_millis(20),
        stale_after_bars: 3,
        retry_base: Duration::from_millis(10),
        forming: RestForming::Never,
    }
}

fn minute_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(t.timestamp() / 60 * 60, 0).unwrap()
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

/// Ten closed 1Min bars per symbol ending at base-3min, plus a bar still forming for IWM.
fn seed(m: &Mock) -> DateTime<Utc> {
    let base = minute_floor(Utc::now());
    for (i, sym) in ["IWM", "TWM", "SRTY"].iter().enumerate() {
        for k in 0..10 {
            m.push_bar(
                sym,
                base - minutes(12 - k),
                100.0 + (i * 10) as f64 + k as f64,
            );
        }
    }
    m.push_bar("IWM", Utc::now() - chrono::Duration::seconds(10), 999.0);
    base
}

fn is_health(ev: &FeedEvent, want: fn(&FeedHealth) -> bool) -> bool {
    matches!(ev, FeedEvent::Health { health, .. } if want(health))
}

#[tokio::test]
async fn alpaca_feed_backfills_three_symbols_across_pages_then_emits_only_new_closed_bars() {
    let m = Mock::new();
    let base = seed(&m);
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(run(cfg(), client(&url), tx, false));
    let mut histories = 0;
    let got = until(&mut rx, |e| {
        histories += matches!(e, FeedEvent::History { .. }) as usize;
        histories == 3
    })
    .await;
    assert!(
        is_health(&got[0], |h| *h == FeedHealth::Connected),
        "{got:?}"
    );
    let hist: Vec<_> = got
        .iter()
        .filter_map(|e| match e {
            FeedEvent::History { symbol, bars, .. } => Some((*symbol, bars.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        hist.iter().map(|h| h.0).collect::<Vec<_>>(),
        Symbol::ALL.to_vec()
    );
    for (sym, bars) in &hist {
        assert_eq!(bars.len(), 8, "{sym}: backfill_bars per symbol");
        assert_eq!(bars.last().unwrap().time, base - minutes(3), "{sym}");
        assert!(bars.windows(2).all(|w| w[0].time < w[1].time));
        assert!(
            bars.iter().all(|b| b.close < 999.0),
            "forming bar in history"
        );
    }
    // 31 bars at 7 per page: five pages, the first holding IWM only; one consistent query.
    let reqs = m.requests(axum::http::Method::GET, "/v2/stocks/bars");
    assert!(reqs.len() >= 5, "{} pages", reqs.len());
    assert!(!reqs[0].query.contains_key("page_token"));
    assert_eq!(
        reqs[1].query.get("page_token").map(String::as_str),
        Some("pg-7")
    );
    for r in &reqs {
        assert_eq!(r.query["symbols"], "IWM,TWM,SRTY");
        assert_eq!(r.query["timeframe"], "1Min");
        assert_eq!(r.query["feed"], "iex");
        assert_eq!(r.query["adjustment"], "split");
        assert_eq!(r.query["limit"], "7");
    }

    // New closed bars for IWM and TWM, and a repeat of SRTY's last bar.
    m.push_bar("TWM", base - minutes(2), 121.0);
    m.push_bar("IWM", base - minutes(2), 111.0);
    m.push_bar("SRTY", base - minutes(3), 555.0);
    let mut bars = Vec::new();
    until(&mut rx, |e| {
        if let FeedEvent::Bar { symbol, bar, .. } = e {
            bars.push((*symbol, bar.time));
        }
        bars.len() == 2
    })
    .await;
    let t = base - minutes(2);
    assert_eq!(bars, vec![(Symbol::Iwm, t), (Symbol::Twm, t)]);
    tokio::time::sleep(Duration::from_millis(150)).await;
    while let Ok(ev) = rx.try_recv() {
        assert!(
            !matches!(ev, FeedEvent::Bar { .. }),
            "duplicate or unclosed bar: {ev:?}"
        );
    }
    drop(rx);
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("feed stops when the receiver goes away")
        .unwrap();
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_feed_empty_results_in_both_shapes_are_empty_history() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(run(cfg(), client(&url), tx, false));
    let mut n = 0;
    let got = until(&mut rx, |e| {
        n += matches!(e, FeedEvent::History { .. }) as usize;
        n == 3
    })
    .await;
    for e in &got {
        if let FeedEvent::History { bars, .. } = e {
            assert!(bars.is_empty());
        }
    }
    // Single-symbol `{"bars":[]}` from the mock, and the recorded empty/non-empty shapes.
    let c = client(&url);
    let q = [
        ("timeframe", "1Day".to_string()),
        ("feed", "iex".to_string()),
    ];
    let page: BarsPage = c.get(Api::Data, "/v2/stocks/IWM/bars", &q).await.unwrap();
    assert!(page.next_token().is_none());
    assert!(page.into_series("IWM").is_empty());
    let empty: BarsPage =
        serde_json::from_value(fixture("bars_multi_empty.alpaca-py.json")).unwrap();
    assert!(empty.into_series("").is_empty());
    let multi: BarsPage = serde_json::from_value(fixture("stocks_bars_multi.spec.json")).unwrap();
    assert!(multi.next_token().is_some());
    let series = multi.into_series("");
    assert_eq!((series[0].0.as_str(), series[0].1.len()), ("AAPL", 1));
    let single: BarsPage = serde_json::from_value(fixture("stocks_bars_single.spec.json")).unwrap();
    let series = single.into_series("X");
    assert_eq!(series[0].0, "AAPL");
    assert_eq!(series[0].1[0].c, 178.21);
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_feed_idles_while_the_market_is_closed() {
    let m = Mock::new();
    *m.clock_open.lock().unwrap() = false;
    seed(&m);
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(run(cfg(), client(&url), tx, false));
    let got = until(&mut rx, |e| is_health(e, |h| *h == FeedHealth::Idle)).await;
    assert_eq!(
        got.iter()
            .filter(|e| matches!(e, FeedEvent::History { .. }))
            .count(),
        3
    );
    assert!(!m.requests(axum::http::Method::GET, "/v2/clock").is_empty());
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_feed_goes_stale_in_session_and_recovers_on_new_bars() {
    let m = Mock::new();
    let base = seed(&m);
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut c = cfg();
    c.stale_after_bars = 1;
    tokio::spawn(run(c, client(&url), tx, false));
    let got = until(&mut rx, |e| {
        is_health(e, |h| matches!(h, FeedHealth::Stale { .. }))
    })
    .await;
    let Some(FeedEvent::Health {
        health: FeedHealth::Stale { since },
        ..
    }) = got.last()
    else {
        unreachable!()
    };
    assert_eq!(
        *since,
        base - minutes(2),
        "silence starts where the newest bar ends"
    );
    m.push_bar("SRTY", base - minutes(2), 130.0);
    let got = until(&mut rx, |e| matches!(e, FeedEvent::Bar { .. })).await;
    assert!(
        matches!(
            &got[..],
            [
                FeedEvent::Health {
                    health: FeedHealth::Connected,
                    ..
                },
                FeedEvent::Bar {
                    symbol: Symbol::Srty,
                    ..
                }
            ]
        ),
        "the feed is healthy again before its bar is judged: {got:?}"
    );
    assert_no_violations(&m);
}

/// What a session sees of a feed: each bar judged under the health the feed last reported
/// (`healthy`: what it reported before `events`).
fn judged(mut healthy: bool, events: &[FeedEvent]) -> Vec<(Symbol, bool)> {
    let mut out = Vec::new();
    for e in events {
        match e {
            FeedEvent::Health { health, .. } => healthy = !health.is_bad(),
            FeedEvent::Bar { symbol, .. } => out.push((*symbol, healthy)),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn alpaca_feed_back_from_three_failed_polls_is_connected_before_its_bars() {
    let m = Mock::new();
    let base = seed(&m);
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(256);
    tokio::spawn(run(cfg(), client(&url), tx, false));
    until(&mut rx, |e| {
        matches!(
            e,
            FeedEvent::History {
                symbol: Symbol::Srty,
                ..
            }
        )
    })
    .await;
    // Every bars request fails (the client's own retries included) until the script is cleared.
    m.script(Scripted {
        method: Method::GET,
        path: "/v2/stocks/bars",
        status: 500,
        body: json!({"code": 50010000, "message": "internal server error"}),
        headers: Vec::new(),
        times: usize::MAX,
    });
    until(&mut rx, |e| {
        is_health(e, |h| matches!(h, FeedHealth::Reconnecting { attempt: 3 }))
    })
    .await;
    m.push_bar("IWM", base - minutes(2), 90.0);
    m.push_bar("TWM", base - minutes(2), 130.0);
    m.scripted.lock().unwrap().clear();
    let mut bars = 0;
    let got = until(&mut rx, |e| {
        bars += matches!(e, FeedEvent::Bar { .. }) as usize;
        bars == 2
    })
    .await;
    // The break bar a signal would come from is judged on a healthy feed, not as stale.
    assert_eq!(
        judged(false, &got),
        vec![(Symbol::Iwm, true), (Symbol::Twm, true)],
        "{got:?}"
    );
    let first_bar = got
        .iter()
        .position(|e| matches!(e, FeedEvent::Bar { .. }))
        .unwrap();
    assert!(
        first_bar
            .checked_sub(1)
            .is_some_and(|i| is_health(&got[i], |h| *h == FeedHealth::Connected)),
        "health settles to Connected right before the first bar: {got:?}"
    );
    assert_no_violations(&m);
}

#[tokio::test]
async fn alpaca_feed_fails_on_401_with_alpacas_error_body() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(run(cfg(), client_with(&url, "PKWRONG", "wrong"), tx, false));
    let got = until(&mut rx, |e| {
        is_health(e, |h| matches!(h, FeedHealth::Failed { .. }))
    })
    .await;
    let Some(FeedEvent::Health {
        health: FeedHealth::Failed { error },
        ..
    }) = got.last()
    else {
        unreachable!()
    };
    assert!(
        error.contains("401") && error.contains("40110000"),
        "{error}"
    );
    assert!(!error.contains("PKWRONG"), "{error}");
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("a fatal error ends the feed")
        .unwrap();
}

#[tokio::test]
async fn alpaca_feed_reconnects_when_the_host_is_unreachable() {
    // A port that was free a moment ago: connection refused, a transient error.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(run(cfg(), client(&url), tx, false));
    let got = until(&mut rx, |e| {
        is_health(e, |h| matches!(h, FeedHealth::Reconnecting { attempt: 2 }))
    })
    .await;
    assert!(
        is_health(&got[0], |h| *h == FeedHealth::Reconnecting { attempt: 1 }),
        "{got:?}"
    );
}

/// The market clock against the mock, polling every 30 ms, deciding `before` the close.
fn clock_deciding(url: &str, before: chrono::Duration) -> mpsc::Receiver<FeedEvent> {
    let (state_tx, _) = tokio::sync::watch::channel(Default::default());
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(double_agent::live::market_clock::run(
        client(url),
        Duration::from_millis(30),
        Some(before),
        state_tx,
        tx,
    ));
    rx
}

/// The market clock tells the session when to decide on the forming bar: once per trading day,
/// however often it polls (the mock's `next_close` moves with every poll, an hour ahead).
#[tokio::test]
async fn the_market_clock_sends_the_close_decision_once_a_day_inside_its_window() {
    let m = Mock::new();
    let url = mock::serve(m.clone()).await;
    // Two hours before the close: the one-hour-away close is inside the window.
    let mut rx = clock_deciding(&url, chrono::Duration::hours(2));
    let got = until(&mut rx, |e| matches!(e, FeedEvent::DecideAtClose { .. })).await;
    let Some(FeedEvent::DecideAtClose { at, close }) = got.last().cloned() else {
        unreachable!()
    };
    assert!(
        close > at && close - at <= chrono::Duration::hours(2),
        "{at} {close}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = 0;
    while let Ok(ev) = rx.try_recv() {
        again += usize::from(matches!(ev, FeedEvent::DecideAtClose { .. }));
    }
    assert!(
        m.requests(Method::GET, "/v2/clock").len() >= 4,
        "it kept polling"
    );
    assert_eq!(again, 0, "one decision a day");

    // Outside the window (the close an hour away, deciding 15 minutes before): nothing yet.
    let mut rx = clock_deciding(&url, chrono::Duration::minutes(15));
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(ev) = rx.try_recv() {
        assert!(!matches!(ev, FeedEvent::DecideAtClose { .. }), "{ev:?}");
    }
    assert_no_violations(&m);
}

/// At connect the bar still forming (REST's partial bar) seeds the forming bar once, even when
/// the stream (not the polls) brings forming bars afterwards: a session started minutes before
/// its close decision decides on the day so far.
#[tokio::test]
async fn alpaca_feed_seeds_the_forming_bar_from_rests_partial_bar_at_connect() {
    let m = Mock::new();
    seed(&m);
    let url = mock::serve(m.clone()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(run(cfg(), client(&url), tx, false));
    let got = until(&mut rx, |e| matches!(e, FeedEvent::Forming { .. })).await;
    let histories = got
        .iter()
        .filter(|e| matches!(e, FeedEvent::History { .. }))
        .count();
    assert_eq!(histories, 3, "the seed follows the history: {got:?}");
    match got.last() {
        Some(FeedEvent::Forming { symbol, bar, .. }) => {
            assert_eq!((*symbol, bar.close), (Symbol::Iwm, 999.0));
        }
        other => panic!("{other:?}"),
    }
    drop(rx);
    task.abort();
    assert_no_violations(&m);
}
