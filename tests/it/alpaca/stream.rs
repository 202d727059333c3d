//! The market-data stream feed against the loopback websocket: auth, subscribe, bar frames,
//! malformed frames, disconnects, the connection limit, a mute stream and the REST fallback.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use double_agent::alpaca::stream::Credentials;
use double_agent::alpaca::Secret;
use double_agent::feed::alpaca_stream::{run, FallbackFlag, StreamFeedConfig};
use double_agent::feed::{FeedEvent, FeedHealth};
use double_agent::live::market_clock::MarketState;
use double_agent::model::{Symbol, Timeframe};
use tokio::sync::{mpsc, watch};

use super::mock::{KEY, SECRET};
use super::stream_mock::{bar_frame, error_frame, start, Conn, StreamMock};
use super::until;

pub fn cfg(url: &str) -> StreamFeedConfig {
    StreamFeedConfig {
        url: url.to_string(),
        feed: "iex".into(),
        symbols: Symbol::ALL.to_vec(),
        timeframe: Timeframe::Day1,
        step_timeout: Duration::from_secs(2),
        reconnect_base: Duration::from_millis(10),
        reconnect_max: Duration::from_millis(40),
        limit_backoff: Duration::from_secs(3600),
        mute_after: Duration::from_secs(3600),
        fallback_after: 3,
        fallback_retry: Duration::from_secs(3600),
    }
}

pub fn creds(secret: &str) -> Credentials {
    Credentials {
        key_id: Secret::new(KEY),
        secret_key: Secret::new(secret),
    }
}

pub fn open_market() -> (watch::Sender<MarketState>, watch::Receiver<MarketState>) {
    watch::channel(MarketState {
        open: true,
        ..MarketState::default()
    })
}

struct Running {
    rx: mpsc::Receiver<FeedEvent>,
    flag: FallbackFlag,
    _market: watch::Sender<MarketState>,
    task: tokio::task::JoinHandle<()>,
}

fn spawn(c: StreamFeedConfig, secret: &str) -> Running {
    let (tx, rx) = mpsc::channel(64);
    let (m_tx, m_rx) = open_market();
    let flag = FallbackFlag::default();
    let task = tokio::spawn(run(c, creds(secret), m_rx, tx, flag.clone()));
    Running {
        rx,
        flag,
        _market: m_tx,
        task,
    }
}

fn health(ev: &FeedEvent) -> Option<&FeedHealth> {
    match ev {
        FeedEvent::Health { source, health } if source == "stream iex" => Some(health),
        _ => None,
    }
}

fn is_forming(ev: &FeedEvent) -> bool {
    matches!(ev, FeedEvent::Forming { .. })
}

const T1: &str = "2025-02-24T14:30:00Z";
const T2: &str = "2025-02-24T14:31:00Z";
const DAY: &str = "2025-02-24T05:00:00Z";

#[tokio::test]
async fn auth_subscribe_and_bar_frames_make_the_forming_daily_bar() {
    let m: StreamMock = start(vec![Conn::Serve(vec![
        bar_frame("b", "IWM", T1, [215.0, 215.5, 214.8, 215.2, 100.0]),
        bar_frame("b", "IWM", T2, [215.2, 215.3, 213.9, 214.0, 50.0]),
        // A late print corrects the first minute: higher high, more volume.
        bar_frame("u", "IWM", T1, [215.0, 216.0, 214.8, 215.1, 120.0]),
        bar_frame("d", "IWM", DAY, [214.9, 216.1, 213.8, 213.9, 9000.0]),
    ])])
    .await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let got = until(&mut r.rx, |e| health(e) == Some(&FeedHealth::Connected)).await;
    assert!(!got.iter().any(is_forming));
    let mut forming = Vec::new();
    for _ in 0..4 {
        let evs = until(&mut r.rx, is_forming).await;
        if let Some(FeedEvent::Forming {
            symbol,
            bar,
            timeframe,
        }) = evs.last()
        {
            assert_eq!((*symbol, *timeframe), (Symbol::Iwm, Timeframe::Day1));
            forming.push(*bar);
        }
    }
    let day = Utc.with_ymd_and_hms(2025, 2, 24, 5, 0, 0).unwrap();
    assert!(forming.iter().all(|b| b.time == day));
    let ohlcv = |b: &double_agent::model::Bar| (b.open, b.high, b.low, b.close, b.volume);
    assert_eq!(ohlcv(&forming[1]), (215.0, 215.5, 213.9, 214.0, 150.0));
    assert_eq!(ohlcv(&forming[2]), (215.0, 216.0, 213.9, 214.0, 170.0));
    assert_eq!(ohlcv(&forming[3]), (214.9, 216.1, 213.8, 213.9, 9000.0));
    // What the client sent: auth with the keys, then one subscribe of the four channels.
    let seen = m.seen.lock().unwrap()[0].clone();
    assert_eq!(seen[0]["action"], "auth");
    assert_eq!(
        (seen[0]["key"].as_str(), seen[0]["secret"].as_str()),
        (Some(KEY), Some(SECRET))
    );
    assert_eq!(seen[1]["action"], "subscribe");
    for ch in ["bars", "updatedBars", "dailyBars", "statuses"] {
        assert_eq!(
            seen[1][ch],
            serde_json::json!(["IWM", "TWM", "SRTY"]),
            "{ch}"
        );
    }
    assert!(!r.flag.get());
}

#[tokio::test]
async fn bad_keys_stop_the_stream_and_hand_over_to_rest() {
    let m = start(vec![Conn::Serve(vec![])]).await;
    let mut r = spawn(cfg(&m.url), "wrong-secret");
    let got = until(&mut r.rx, |e| {
        matches!(health(e), Some(FeedHealth::Fallback { .. }))
    })
    .await;
    let Some(FeedHealth::Fallback { reason, to }) = got.last().and_then(health) else {
        unreachable!()
    };
    assert!(
        reason.contains("402") && reason.contains("APCA_API_SECRET_KEY"),
        "{reason}"
    );
    assert!(!reason.contains("wrong-secret"), "{reason}");
    assert_eq!(to, "REST polling");
    assert!(r.flag.get());
    // No retry with keys that cannot work: the task ends after one connection.
    tokio::time::timeout(Duration::from_secs(5), &mut r.task)
        .await
        .expect("stream task ends")
        .unwrap();
    assert_eq!(m.connections(), 1);
}

#[tokio::test]
async fn a_malformed_frame_is_reported_and_the_stream_keeps_going() {
    let m = start(vec![Conn::Serve(vec![
        r#"[{"T":"b","S":"IWM","o":"oops"}]"#.into(),
        bar_frame("b", "IWM", T1, [215.0, 215.5, 214.8, 215.2, 100.0]),
    ])])
    .await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let got = until(&mut r.rx, is_forming).await;
    let warning = got.iter().find_map(|e| match e {
        FeedEvent::Warning { source, message } if source == "stream iex" => Some(message),
        _ => None,
    });
    let warning = warning.expect("a warning for the bad frame");
    assert!(warning.contains("malformed stream frame"), "{warning}");
    assert_eq!(m.connections(), 1, "no reconnect for one bad frame");
}

#[tokio::test]
async fn a_frame_that_echoes_the_keys_is_reported_without_them() {
    let echo = format!(r#"[{{"T":"b","S":"IWM","o":"auth {KEY} {SECRET}"}}]"#);
    let m = start(vec![Conn::Serve(vec![
        echo,
        bar_frame("b", "IWM", T1, [215.0, 215.5, 214.8, 215.2, 100.0]),
    ])])
    .await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let got = until(&mut r.rx, is_forming).await;
    let text = format!("{got:?}");
    assert!(text.contains("malformed stream frame"), "{text}");
    assert!(
        text.contains("[REDACTED]") && !text.contains(KEY) && !text.contains(SECRET),
        "{text}"
    );
}

#[tokio::test]
async fn a_server_disconnect_reconnects() {
    let m = start(vec![
        Conn::ServeThenClose(vec![bar_frame("b", "IWM", T1, [1.0, 1.0, 1.0, 1.0, 1.0])]),
        Conn::Serve(vec![bar_frame("b", "IWM", T2, [2.0, 2.0, 2.0, 2.0, 1.0])]),
    ])
    .await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let got = until(
        &mut r.rx,
        |e| matches!(e, FeedEvent::Forming { bar, .. } if bar.close == 2.0),
    )
    .await;
    let healths: Vec<&FeedHealth> = got.iter().filter_map(health).collect();
    assert_eq!(
        healths,
        vec![
            &FeedHealth::Connected,
            &FeedHealth::Reconnecting { attempt: 1 },
            &FeedHealth::Connected
        ]
    );
    assert_eq!(m.connections(), 2);
}

#[tokio::test]
async fn connection_limit_backs_off_long_and_says_so() {
    let m = start(vec![Conn::RejectAuth(406), Conn::Serve(vec![])]).await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let before = Utc::now();
    let got = until(&mut r.rx, |e| {
        matches!(health(e), Some(FeedHealth::Backoff { .. }))
    })
    .await;
    let Some(FeedHealth::Backoff { reason, retry_at }) = got.last().and_then(health) else {
        unreachable!()
    };
    assert!(
        reason.contains("406") && reason.contains("REST"),
        "{reason}"
    );
    // The configured hour, not the 10 ms reconnect base.
    assert!(
        *retry_at >= before + chrono::Duration::minutes(59),
        "{retry_at}"
    );
    assert!(r.flag.get(), "REST carries the forming bar while we wait");
    assert_eq!(m.connections(), 1);
}

#[tokio::test]
async fn a_mute_stream_is_reconnected() {
    let m = start(vec![Conn::Serve(vec![])]).await;
    let mut c = cfg(&m.url);
    c.mute_after = Duration::from_millis(200);
    let mut r = spawn(c, SECRET);
    until(&mut r.rx, |e| {
        health(e) == Some(&FeedHealth::Reconnecting { attempt: 1 })
    })
    .await;
    until(&mut r.rx, |e| health(e) == Some(&FeedHealth::Connected)).await;
    assert!(m.connections() >= 2);
}

#[tokio::test]
async fn repeated_failures_fall_back_to_rest() {
    let m = start(vec![Conn::Drop]).await;
    let mut r = spawn(cfg(&m.url), SECRET);
    let got = until(&mut r.rx, |e| {
        matches!(health(e), Some(FeedHealth::Fallback { .. }))
    })
    .await;
    let healths: Vec<&FeedHealth> = got.iter().filter_map(health).collect();
    assert_eq!(healths[0], &FeedHealth::Reconnecting { attempt: 1 });
    assert_eq!(healths[1], &FeedHealth::Reconnecting { attempt: 2 });
    assert!(
        matches!(healths[2], FeedHealth::Fallback { reason, .. } if reason.starts_with("3 failures"))
    );
    assert!(r.flag.get());
    assert_eq!(m.connections(), 3);
}

#[tokio::test]
async fn a_closed_market_keeps_the_stream_idle() {
    let m = start(vec![Conn::Serve(vec![bar_frame(
        "b",
        "IWM",
        T1,
        [1.0, 1.0, 1.0, 1.0, 1.0],
    )])])
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let (m_tx, m_rx) = watch::channel(MarketState::default());
    let _task = tokio::spawn(run(
        cfg(&m.url),
        creds(SECRET),
        m_rx,
        tx,
        FallbackFlag::default(),
    ));
    until(&mut rx, |e| health(e) == Some(&FeedHealth::Idle)).await;
    assert_eq!(m.connections(), 0);
    m_tx.send_replace(MarketState {
        open: true,
        ..MarketState::default()
    });
    until(&mut rx, is_forming).await;
    // The close ends the session: idle again, the socket given back.
    m_tx.send_replace(MarketState::default());
    until(&mut rx, |e| health(e) == Some(&FeedHealth::Idle)).await;
}

#[test]
fn error_frames_in_the_mock_are_the_documented_ones() {
    assert_eq!(
        error_frame(406),
        r#"[{"T":"error","code":406,"msg":"connection limit exceeded"}]"#
    );
}

/// The stream fails, REST takes over the forming bar: the REST feed reports the bar still
/// forming only once the stream has fallen back.
#[tokio::test]
async fn a_failing_stream_hands_the_forming_bar_to_rest_polling() {
    use double_agent::feed::alpaca::{run as rest_run, RestForming};
    let http = super::mock::Mock::new();
    let now = Utc::now();
    let base = Utc.timestamp_opt(now.timestamp() / 60 * 60, 0).unwrap();
    for sym in ["IWM", "TWM", "SRTY"] {
        http.push_bar(sym, base - chrono::Duration::minutes(5), 100.0);
    }
    // The current minute: not final for another minute, so REST sees it forming.
    http.push_bar("IWM", base, 999.0);
    let http_url = super::mock::serve(http.clone()).await;
    let ws = start(vec![Conn::Drop]).await;
    let flag = FallbackFlag::default();
    let (tx, mut rx) = mpsc::channel(256);
    let mut rest_cfg = super::feed::cfg();
    rest_cfg.forming = RestForming::WhenFallback(flag.clone());
    let (_m_tx, m_rx) = open_market();
    let mut c = cfg(&ws.url);
    c.fallback_after = 2;
    let _rest = tokio::spawn(rest_run(
        rest_cfg,
        super::client(&http_url),
        tx.clone(),
        false,
    ));
    let _stream = tokio::spawn(run(c, creds(SECRET), m_rx, tx, flag.clone()));
    let mut fell = false;
    let got = until(&mut rx, |e| {
        fell |= matches!(health(e), Some(FeedHealth::Fallback { .. }));
        fell && matches!(e, FeedEvent::Forming { .. })
    })
    .await;
    let fell_back = got
        .iter()
        .position(|e| matches!(health(e), Some(FeedHealth::Fallback { .. })))
        .unwrap();
    assert!(fell_back < got.len() - 1);
    // Before the fallback REST sends one forming bar only: the seed at connect, after its
    // history (the polls leave the forming bar to the stream until then).
    let seeds: Vec<usize> = got[..fell_back]
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, FeedEvent::Forming { .. }))
        .map(|(k, _)| k)
        .collect();
    assert!(seeds.len() <= 1, "{got:?}");
    if let Some(&k) = seeds.first() {
        let histories = got[..k]
            .iter()
            .filter(|e| matches!(e, FeedEvent::History { .. }))
            .count();
        assert_eq!(histories, 3, "{got:?}");
    }
    let Some(FeedEvent::Forming { symbol, bar, .. }) = got.last() else {
        unreachable!()
    };
    assert_eq!((*symbol, bar.close), (Symbol::Iwm, 999.0));
    assert!(flag.get());
}
