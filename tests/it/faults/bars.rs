//! Broken bars through the session: duplicates, out-of-order, NaN and zero prices, high < low,
//! a bar from far in the future, and a journal clock that goes backwards.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use double_agent::backtest::synthetic;
use double_agent::broker::paper::PaperBroker;
use double_agent::broker::BrokerKind;
use double_agent::config::{Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::journal::Journal;
use double_agent::model::{Bar, Symbol, Timeframe};
use double_agent::session::{Input, Notice, Session};

use super::{audit, journaled};

const WARMUP: usize = 300;

fn paper() -> Box<PaperBroker> {
    Box::new(PaperBroker::new(&Config::default_config().paper))
}

fn feed(s: &mut Session, symbol: Symbol, bar: Bar) -> Vec<Notice> {
    s.handle(Input::Feed(FeedEvent::Bar {
        symbol,
        timeframe: Timeframe::Min1,
        bar,
    }))
}

/// History, then live minutes in replay order (TWM, SRTY, then IWM). `fault(i, sym, bar)` may
/// return extra bars sent right after the good one. Returns the warnings the session raised.
fn run(s: &mut Session, n: usize, mut fault: impl FnMut(usize, Symbol, &Bar) -> Vec<Bar>) -> usize {
    let series = synthetic::series(n);
    for (symbol, bars) in &series {
        s.handle(Input::Feed(FeedEvent::History {
            symbol: *symbol,
            timeframe: Timeframe::Min1,
            bars: bars[..WARMUP].to_vec(),
        }));
    }
    let mut warnings = 0;
    for i in WARMUP..n {
        for symbol in [Symbol::Twm, Symbol::Srty, Symbol::Iwm] {
            let bars = &series.iter().find(|(s, _)| *s == symbol).unwrap().1;
            let mut sent = vec![bars[i]];
            sent.extend(fault(i, symbol, &bars[i]));
            for b in sent {
                let out = feed(s, symbol, b);
                warnings += out
                    .iter()
                    .filter(|n| matches!(n, Notice::Warning { .. }))
                    .count();
            }
        }
    }
    warnings
}

type OrderKey = (Symbol, String, String, Option<u64>);

fn orders(s: &Session) -> Vec<OrderKey> {
    let o = s.store.orders.iter().map(|o| &o.request);
    o.map(|r| (r.symbol, r.side.to_string(), r.qty.to_string(), r.signal_id))
        .collect()
}

#[test]
fn fault_bad_bars_are_skipped_reported_once_each_and_change_no_decision() {
    let n = 2_500;
    let (mut clean, _d1) = journaled(paper(), Timeframe::Min1, Mode::Auto);
    assert_eq!(run(&mut clean, n, |_, _, _| vec![]), 0);
    let (mut faulty, _d2) = journaled(paper(), Timeframe::Min1, Mode::Auto);
    let mut injected = 0;
    let warnings = run(&mut faulty, n, |i, _, b| {
        let mut extra = Vec::new();
        let later = |secs| Bar {
            time: b.time + Duration::seconds(secs),
            ..*b
        };
        match i % 50 {
            7 => extra.push(*b), // duplicate
            13 => extra.push(Bar {
                time: b.time - Duration::minutes(3),
                ..*b
            }), // out of order
            21 => extra.push(Bar {
                close: f64::NAN,
                ..later(10)
            }),
            29 => extra.push(Bar {
                open: 0.0,
                low: 0.0,
                ..later(20)
            }),
            37 => extra.push(Bar {
                high: b.low - 1.0,
                ..later(30)
            }),
            43 => extra.push(Bar {
                volume: f64::INFINITY,
                ..later(40)
            }),
            _ => {}
        }
        injected += extra.len();
        extra
    });
    assert!(injected > 200, "{injected}");
    assert_eq!(warnings, injected, "every bad bar is reported, once");
    let status = faulty.store.status.clone().expect("a status line");
    assert!(status.text.contains("skipped"), "{status:?}");
    for sym in Symbol::ALL {
        let (a, b) = (
            &clean.store.series(sym).bars(),
            &faulty.store.series(sym).bars(),
        );
        assert_eq!(a, b, "{sym}: only good bars were kept");
    }
    assert!(!orders(&clean).is_empty(), "the run trades at all");
    assert_eq!(
        orders(&clean),
        orders(&faulty),
        "same decisions as without faults"
    );
    assert_eq!(
        clean.store.signals.all().len(),
        faulty.store.signals.all().len()
    );
    audit(&clean, false);
    audit(&faulty, false);
}

#[test]
fn fault_a_bar_from_the_far_future_freezes_that_symbol_visibly_and_sends_nothing() {
    let (mut s, _d) = journaled(paper(), Timeframe::Min1, Mode::Auto);
    let future = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let mut jumped = false;
    let warnings = run(&mut s, 1_200, |i, sym, b| {
        if i == 900 && sym == Symbol::Iwm {
            jumped = true;
            return vec![Bar { time: future, ..*b }];
        }
        Vec::new()
    });
    assert!(jumped);
    let orders_at_jump = s.store.orders.len();
    // Every IWM bar after the jump is refused with a reason, none is taken silently.
    assert_eq!(warnings, 1_200 - 901, "one warning per refused IWM bar");
    let last = s.store.series(Symbol::Iwm).last().unwrap();
    assert_eq!(last.time, future);
    assert_eq!(
        s.store.now,
        Some(future),
        "the bar clock never goes backwards"
    );
    let status = s.store.status.clone().unwrap();
    assert!(status.text.contains("not after 2100-01-01"), "{status:?}");
    // Without IWM bars the agents have nothing new to say: no order after the jump.
    assert_eq!(s.store.orders.len(), orders_at_jump);
    audit(&s, false);
}

#[test]
fn fault_journal_clock_going_backwards_keeps_sessions_and_order_ids_unique() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let base = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap();
    // Each reading is one hour earlier than the one before.
    let tick = Arc::new(AtomicI64::new(0));
    let mut ids = Vec::new();
    let mut sessions = Vec::new();
    for round in 0..3 {
        let t = tick.clone();
        let clock = Box::new(move || base - Duration::hours(t.fetch_add(1, Ordering::Relaxed)));
        let mut j = Journal::open_with_clock(&path, clock).unwrap();
        if round == 2 {
            tick.store(0, Ordering::Relaxed); // and back to the first reading: same second
        }
        sessions.push(j.start_session("h", BrokerKind::Sim, "replay").unwrap());
        let mut cfg = Config::default_config();
        cfg.signals.mode = Mode::Auto;
        let mut s = Session::new(cfg, paper(), Timeframe::Min1, "x").with_journal(j);
        run(&mut s, 700, |_, _, _| vec![]);
        audit(&s, false);
        ids.extend(
            s.store
                .orders
                .iter()
                .map(|o| o.request.client_order_id.to_string()),
        );
        s.end("test");
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "client order ids never repeat: {ids:?}"
    );
    let unique: std::collections::BTreeSet<_> = sessions.iter().collect();
    assert_eq!(unique.len(), 3, "{sessions:?}");
}
