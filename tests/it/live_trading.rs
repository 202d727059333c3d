//! The session on a venue's wall clock (an Alpaca paper account), daily and intraday bars: the
//! risk gate lets an entry through on the newest bar there is, a close decision goes out as one
//! market-on-close order whose fill leaves the Bear with the decision's stop, and a feed that
//! stopped still blocks entries. The venue is the paper simulator under the Alpaca account's
//! kind, so fills come at bar times the test controls while the gate reads the real clock.
//!
//! The bars are the embedded replay's, restamped so that the first entry's bar is today's (or
//! the newest closed intraday bar): the rules see the same prices, the gate sees live times.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::New_York;
use double_agent::broker::paper::PaperBroker;
use double_agent::broker::{Broker, BrokerEvent, BrokerKind};
use double_agent::config::{Config, Mode};
use double_agent::data::embedded;
use double_agent::engine::BearView;
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::live::market_clock::MarketState;
use double_agent::model::{
    Bar, ClientOrderId, OrderRequest, OrderType, Signal, SignalKind, Symbol, Timeframe,
};
use double_agent::session::{Input, Notice, Session};

/// The paper simulator as an Alpaca paper account: the session runs on the wall clock.
struct PaperAccount(PaperBroker);

impl Broker for PaperAccount {
    fn kind(&self) -> BrokerKind {
        BrokerKind::Paper
    }
    fn submit(&mut self, order: &OrderRequest) -> Vec<BrokerEvent> {
        self.0.submit(order)
    }
    fn cancel(&mut self, id: &ClientOrderId) -> Vec<BrokerEvent> {
        self.0.cancel(id)
    }
    fn on_bar(&mut self, symbol: Symbol, bar: &Bar) -> Vec<BrokerEvent> {
        self.0.on_bar(symbol, bar)
    }
}

pub(crate) type Step = Vec<(Symbol, Bar)>;

/// The embedded daily replay from 2018: warm-up history, then one step per bar time. The rules
/// do not read a bar's length, so the same bars serve as intraday ones once restamped.
fn replay() -> (Vec<(Symbol, Vec<Bar>)>, Vec<Step>) {
    let (series, _) = embedded::series();
    let start = chrono::TimeZone::with_ymd_and_hms(&Utc, 2018, 1, 2, 0, 0, 0).unwrap();
    let (history, steps, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    let steps = steps.into_iter().map(|s| s.1).collect();
    (history, steps)
}

/// Auto mode, the close decision `decide` minutes before the close (0: off), and data stale
/// after `stale_secs`.
fn session(broker: Box<dyn Broker>, tf: Timeframe, decide: u32, stale_secs: u64) -> Session {
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    cfg.signals.decide_before_close_minutes = decide;
    cfg.risk.stale_after_secs = stale_secs;
    Session::new(cfg, broker, tf, "live")
}

/// Alpaca's clock says the market is open.
fn market_open(s: &mut Session) {
    s.handle(Input::Feed(FeedEvent::Market(MarketState {
        open: true,
        next_close: None,
        next_open: None,
    })));
}

/// The day's bars of `step` as forming bars.
fn forming(s: &mut Session, tf: Timeframe, step: &Step) {
    for &(symbol, bar) in step {
        s.handle(Input::Feed(FeedEvent::Forming {
            symbol,
            timeframe: tf,
            bar,
        }));
    }
}

pub(crate) fn entries(notices: &[Notice]) -> Vec<Signal> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::Signal { signal } if !signal.kind.is_exit() => Some(signal.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn refusals(notices: &[Notice]) -> Vec<String> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::RiskRefused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn bars(s: &mut Session, tf: Timeframe, step: &Step) -> Vec<Notice> {
    let mut out = Vec::new();
    for &(symbol, bar) in step {
        out.extend(s.handle(Input::Feed(FeedEvent::Bar {
            symbol,
            timeframe: tf,
            bar,
        })));
    }
    out
}

/// The first entry of a plain replay on the bar clock: its step, its signal and the Bear as that
/// entry left it (stop, level, entry: what a decision on the same bar must hold).
pub(crate) fn first_entry(tf: Timeframe) -> (usize, Signal, BearView) {
    let (history, steps) = replay();
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    let mut s = Session::new(
        cfg.clone(),
        Box::new(PaperBroker::new(&cfg.paper)),
        tf,
        "ref",
    );
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: tf,
            bars,
        }));
    }
    for (k, step) in steps.iter().enumerate() {
        if let Some(sig) = entries(&bars(&mut s, tf, step)).into_iter().next() {
            return (k, sig, s.engine_view().bear.clone());
        }
    }
    panic!("the embedded replay never enters");
}

/// Midnight New York today: how a venue stamps today's daily bar.
pub(crate) fn today_bar_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.with_timezone(&New_York)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(New_York)
        .unwrap()
        .with_timezone(&Utc)
}

/// The start of the newest closed bar of `tf` at `now`.
pub(crate) fn newest_closed_start(tf: Timeframe, now: DateTime<Utc>) -> DateTime<Utc> {
    let len = tf.seconds();
    let floor = now.timestamp() - now.timestamp().rem_euclid(len);
    DateTime::from_timestamp(floor - len, 0).unwrap()
}

/// The replay restamped: step `k` starts at `anchor`, every bar time one bar length apart.
pub(crate) fn restamped(
    tf: Timeframe,
    k: usize,
    anchor: DateTime<Utc>,
) -> (Vec<(Symbol, Vec<Bar>)>, Vec<Step>) {
    let (history, steps) = replay();
    let mut times: Vec<DateTime<Utc>> = history
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.time))
        .chain(steps.iter().flat_map(|s| s.iter().map(|(_, b)| b.time)))
        .collect();
    times.sort_unstable();
    times.dedup();
    let at_k = steps[k][0].1.time;
    let ik = times.binary_search(&at_k).unwrap() as i64;
    let len = Duration::seconds(tf.seconds());
    let stamp = |mut b: Bar| {
        let i = times.binary_search(&b.time).unwrap() as i64;
        b.time = anchor + len * (i - ik) as i32;
        b
    };
    let history = history
        .into_iter()
        .map(|(s, bars)| (s, bars.into_iter().map(stamp).collect()))
        .collect();
    let steps = steps
        .into_iter()
        .map(|st| st.into_iter().map(|(s, b)| (s, stamp(b))).collect())
        .collect();
    (history, steps)
}

/// A wall-clock session that has seen everything before step `k`.
fn live_up_to(tf: Timeframe, k: usize, anchor: DateTime<Utc>, decide: u32) -> (Session, Vec<Step>) {
    live_up_to_stale(
        tf,
        k,
        anchor,
        decide,
        Config::default_config().risk.stale_after_secs,
    )
}

fn live_up_to_stale(
    tf: Timeframe,
    k: usize,
    anchor: DateTime<Utc>,
    decide: u32,
    stale_secs: u64,
) -> (Session, Vec<Step>) {
    let (history, steps) = restamped(tf, k, anchor);
    let broker = Box::new(PaperAccount(PaperBroker::new(
        &Config::default_config().paper,
    )));
    let mut s = session(broker, tf, decide, stale_secs);
    warm_up(&mut s, tf, history, &steps[..k]);
    (s, steps)
}

/// The Bear's stop, level and entry as the engine holds them.
/// The history, then the closed bars before the first entry: none of them proposes one.
pub(crate) fn warm_up(
    s: &mut Session,
    tf: Timeframe,
    history: Vec<(Symbol, Vec<Bar>)>,
    before: &[Step],
) {
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: tf,
            bars,
        }));
    }
    for step in before {
        let n = bars(s, tf, step);
        assert!(entries(&n).is_empty(), "an entry before the first one");
    }
}

pub(crate) fn bear_state(v: &BearView) -> (Option<f64>, Option<f64>, Option<f64>) {
    (v.stop_iwm, v.broken_level, v.entry_iwm)
}

#[test]
fn a_daily_close_decision_trades_live_and_the_bear_keeps_its_stop() {
    let tf = Timeframe::Day1;
    let (k, reference, bear) = first_entry(tf);
    let now = Utc::now();
    let (mut s, steps) = live_up_to(tf, k, today_bar_start(now), 15);
    market_open(&mut s);
    forming(&mut s, tf, &steps[k]);
    let close = today_bar_start(now) + Duration::hours(16);
    let decided = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: Utc::now(),
        close,
    }));
    assert_eq!(refusals(&decided), Vec::<String>::new(), "refused live");
    let proposed = entries(&decided);
    assert_eq!(proposed.len(), 1, "{decided:#?}");
    assert_eq!(proposed[0].kind, reference.kind);
    let orders: Vec<_> = s
        .store
        .working_orders()
        .map(|o| o.request.clone())
        .collect();
    assert_eq!(orders.len(), 1, "one order at the close: {orders:#?}");
    assert_eq!(orders[0].order_type, OrderType::MarketOnClose);

    let closed = bars(&mut s, tf, &steps[k]);
    let filled = closed
        .iter()
        .filter(|n| matches!(n, Notice::Fill { .. }))
        .count();
    assert_eq!(filled, 1, "filled at the close: {closed:#?}");
    assert!(
        entries(&closed).iter().all(|e| e.kind != reference.kind),
        "the closed bar buys it again"
    );
    assert_eq!(
        bear_state(&s.engine_view().bear),
        bear_state(&bear),
        "the Bear holds the decision's stop, level and entry"
    );
    assert!(matches!(reference.kind, SignalKind::BearEntry { .. }));
}

/// Without the close decision the closed bar decides, and its next-open order goes out live.
fn next_open_order_goes_out(tf: Timeframe, anchor: DateTime<Utc>) {
    let (k, reference, _) = first_entry(tf);
    let (mut s, steps) = live_up_to(tf, k, anchor, 0);
    let sent_after = Utc::now();
    let notices = bars(&mut s, tf, &steps[k]);
    assert_eq!(refusals(&notices), Vec::<String>::new(), "refused live");
    assert_eq!(
        entries(&notices).iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![reference.kind]
    );
    let orders: Vec<_> = s
        .store
        .working_orders()
        .map(|o| o.request.clone())
        .collect();
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0].order_type, OrderType::Market);
    // Dated when it was sent, as the log lines are, not at the bar's start.
    assert!(orders[0].created >= sent_after, "{:?}", orders[0].created);
    let last = s.store.log.back().expect("the order was logged");
    assert!(last.time >= Some(sent_after), "{last:?}");
}

#[test]
fn a_daily_bar_entry_goes_out_live_at_the_next_open() {
    next_open_order_goes_out(Timeframe::Day1, today_bar_start(Utc::now()));
}

#[test]
fn intraday_entries_go_out_live_on_the_newest_closed_bar() {
    for tf in [Timeframe::Min15, Timeframe::Hour1] {
        next_open_order_goes_out(tf, newest_closed_start(tf, Utc::now()));
    }
}

#[test]
fn a_feed_that_stopped_still_blocks_entries() {
    let tf = Timeframe::Hour1;
    // The newest bar is three hours old: two later ones should have been published.
    let anchor = newest_closed_start(tf, Utc::now()) - Duration::hours(3);
    let (k, _, _) = first_entry(tf);
    let (mut s, steps) = live_up_to(tf, k, anchor, 0);
    let notices = bars(&mut s, tf, &steps[k]);
    let refused = refusals(&notices);
    assert_eq!(refused.len(), 1, "{notices:#?}");
    assert!(refused[0].contains("old"), "{refused:?}");
    assert!(s.store.working_orders().next().is_none());
}

/// While the market trades, yesterday's daily bar does not vouch for the data: with no forming
/// bar for longer than `risk.stale_after_secs` (1 s here) the close decision is refused.
#[test]
fn a_daily_feed_gone_silent_while_the_market_trades_blocks_entries() {
    let tf = Timeframe::Day1;
    let (k, _, _) = first_entry(tf);
    let today = today_bar_start(Utc::now());
    let (mut s, steps) = live_up_to_stale(tf, k, today, 15, 1);
    market_open(&mut s);
    forming(&mut s, tf, &steps[k]);
    // Wall time must pass for data to age: a wait for the clock, not for another task.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let decided = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: Utc::now(),
        close: today + Duration::hours(16),
    }));
    let refused = refusals(&decided);
    assert_eq!(refused.len(), 1, "{decided:#?}");
    assert!(refused[0].contains("old > max 1 s"), "{refused:?}");
    assert!(s.store.working_orders().next().is_none());
}
