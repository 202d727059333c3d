//! The signal lifecycle through the session: answers, orders, fills, expiry, kill switch, flatten.

use chrono::{DateTime, Duration, TimeZone, Utc};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::{AgentsMode, Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::model::{
    Agent, Answer, Bar, OrderStatus, Reason, ReasonKind, Side, Signal, SignalKind, SignalState,
    Symbol, Timeframe,
};
use double_agent::session::{Action, Input, Notice, Session};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn t(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 5, 0, 0).unwrap() + Duration::days(day)
}

fn bar(day: i64, px: f64) -> Bar {
    Bar {
        time: t(day),
        open: px,
        high: px * 1.01,
        low: px * 0.99,
        close: px,
        volume: 1e6,
    }
}

/// The session's mechanics in an account the agents run alone (`book` mode): in hedge mode the
/// simulator also buys the trader's book at the first bar (`the_book_is_bought_once_…` below).
fn session(mode: Mode) -> Session {
    let mut cfg = Config::default_config();
    cfg.signals.mode = mode;
    cfg.agents.mode = AgentsMode::Book;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    Session::new(cfg, broker, Timeframe::Day1, "test")
}

/// One day: TWM then IWM, like the replay orders them.
fn day(s: &mut Session, d: i64) -> Vec<Notice> {
    let mut out = s.handle(Input::Feed(FeedEvent::Bar {
        symbol: Symbol::Twm,
        timeframe: Timeframe::Day1,
        bar: bar(d, 30.0 + d as f64),
    }));
    out.extend(s.handle(Input::Feed(FeedEvent::Bar {
        symbol: Symbol::Iwm,
        timeframe: Timeframe::Day1,
        bar: bar(d, 200.0 - d as f64),
    })));
    out
}

fn signal(id: u64, d: i64, kind: SignalKind, side: Side, qty: Decimal) -> Signal {
    Signal {
        id,
        time: t(d),
        agent: Agent::Bear,
        kind,
        symbol: Symbol::Twm,
        side,
        qty,
        reference_price: dec!(31),
        stop_price: Some(dec!(28)),
        iwm_stop: Some(205.0),
        record: None,
        confidence: 0.7,
        reasons: vec![Reason::new(
            ReasonKind::SupportBreak,
            "close 199.00 < support 201.10 − 0.25 × ATR 3.12",
        )],
    }
}

fn act(s: &mut Session, a: Action) -> Vec<Notice> {
    s.handle(Input::Action(a))
}

fn state(s: &Session, id: u64) -> SignalState {
    s.store.signals.get(id).unwrap().state
}

#[test]
fn acknowledged_signal_becomes_one_order_filled_at_next_open() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    s.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(100),
    ));
    assert_eq!(s.store.signals.selected_id(), Some(1));
    let out = act(
        &mut s,
        Action::Acknowledge {
            id: None,
            qty: None,
        },
    );
    assert!(out.iter().any(|n| matches!(n, Notice::Order { .. })));
    assert_eq!(state(&s, 1), SignalState::Acknowledged);
    // A second acknowledgement of the same signal sends nothing.
    assert!(act(
        &mut s,
        Action::Acknowledge {
            id: Some(1),
            qty: None
        }
    )
    .is_empty());
    let out = day(&mut s, 1);
    let fill = out
        .iter()
        .find_map(|n| {
            if let Notice::Fill { fill } = n {
                Some(fill.clone())
            } else {
                None
            }
        })
        .expect("filled");
    assert_eq!(fill.qty, dec!(100));
    assert_eq!(fill.price, dec!(31.0155)); // open 31 + 5 bps slippage
    assert_eq!(s.store.orders.len(), 1);
    assert_eq!(s.store.orders[0].status, OrderStatus::Filled);
    let pos = &s.store.positions[&Symbol::Twm];
    assert_eq!(pos.qty, dec!(100));
    assert_eq!(s.store.cash, dec!(100000) + fill.cash_delta());
}

#[test]
fn override_edit_snooze_and_expiry_are_recorded() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    for (id, tier, qty) in [(1, 1, 100), (2, 2, 50), (3, 3, 50), (4, 3, 50)] {
        s.inject_signal(signal(
            id,
            0,
            SignalKind::BearEntry { tier },
            Side::Buy,
            Decimal::from(qty),
        ));
    }
    let out = act(
        &mut s,
        Action::Override {
            id: Some(1),
            reason: 'n',
        },
    );
    assert!(out.iter().any(|n| matches!(
        n,
        Notice::Answer {
            signal_id: 1,
            answer: Answer::Override { reason: 'n' }
        }
    )));
    assert_eq!(state(&s, 1), SignalState::Overridden { reason: 'n' });
    act(
        &mut s,
        Action::Acknowledge {
            id: Some(2),
            qty: Some(dec!(20)),
        },
    );
    assert_eq!(state(&s, 2), SignalState::Edited { qty: dec!(20) });
    assert_eq!(s.store.orders[0].request.qty, dec!(20));
    act(&mut s, Action::Snooze { id: Some(3) });
    assert!(matches!(state(&s, 3), SignalState::Snoozed { .. }));
    day(&mut s, 1); // snooze_bars = 1: asked again
    assert_eq!(state(&s, 3), SignalState::Proposed);
    day(&mut s, 2);
    let out = day(&mut s, 3); // timeout_bars = 3 after injection at bar 1
    assert_eq!(state(&s, 4), SignalState::Expired);
    assert!(out.iter().any(|n| matches!(
        n,
        Notice::Answer {
            signal_id: 4,
            answer: Answer::Expire
        }
    )));
    assert_eq!(s.store.orders.len(), 1, "only the edited signal traded");
}

#[test]
fn kill_switch_cancels_working_orders_and_blocks_new_ones() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    s.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(100),
    ));
    act(
        &mut s,
        Action::Acknowledge {
            id: Some(1),
            qty: None,
        },
    );
    act(&mut s, Action::ToggleKill);
    assert!(s.kill_switch());
    assert_eq!(s.store.orders[0].status, OrderStatus::Canceled);
    s.inject_signal(signal(
        2,
        0,
        SignalKind::BearEntry { tier: 2 },
        Side::Buy,
        dec!(10),
    ));
    let out = act(
        &mut s,
        Action::Acknowledge {
            id: Some(2),
            qty: None,
        },
    );
    // Refused before it is used up: the signal still waits, and the trader is told why.
    assert!(out.iter().any(|n| matches!(
        n,
        Notice::Info { message } if message.contains("kill switch is on")
            && message.contains("#2 still waits")
    )));
    assert_eq!(state(&s, 2), SignalState::Proposed);
    day(&mut s, 1);
    assert!(
        s.store.positions.is_empty(),
        "nothing filled under the kill switch"
    );
    act(&mut s, Action::Flatten);
    assert_eq!(s.store.orders.len(), 1);
    act(&mut s, Action::ToggleKill);
    s.inject_signal(signal(
        3,
        1,
        SignalKind::BearEntry { tier: 2 },
        Side::Buy,
        dec!(10),
    ));
    act(
        &mut s,
        Action::Acknowledge {
            id: Some(3),
            qty: None,
        },
    );
    assert_eq!(s.store.orders.len(), 2);
}

#[test]
fn auto_acknowledges_observe_records_and_exits_without_holdings_are_recorded_only() {
    let mut s = session(Mode::Auto);
    day(&mut s, 0);
    s.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(10),
    ));
    assert_eq!(state(&s, 1), SignalState::Acknowledged);
    assert_eq!(s.store.orders.len(), 1);
    s.inject_signal(signal(2, 0, SignalKind::BearStop, Side::Sell, dec!(0)));
    assert_eq!(state(&s, 2), SignalState::Observed);

    let mut o = session(Mode::Observe);
    day(&mut o, 0);
    o.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(10),
    ));
    assert_eq!(state(&o, 1), SignalState::Observed);
    assert!(o.store.orders.is_empty());
}

#[test]
fn flatten_sells_everything_once() {
    let mut s = session(Mode::Auto);
    day(&mut s, 0);
    s.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(10),
    ));
    day(&mut s, 1);
    act(&mut s, Action::Flatten);
    act(&mut s, Action::Flatten); // the sell is already working: nothing more
    let sells: Vec<_> = s
        .store
        .orders
        .iter()
        .filter(|o| o.request.side == Side::Sell)
        .collect();
    assert_eq!(sells.len(), 1);
    assert_eq!(sells[0].request.qty, dec!(10));
    day(&mut s, 2);
    assert!(s.store.positions.values().all(|p| p.qty.is_zero()));
}

#[test]
fn impossible_duplicate_and_out_of_order_bars_are_refused_with_a_warning() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    day(&mut s, 1);
    let mut nan = bar(2, 200.0);
    nan.close = f64::NAN;
    for b in [
        nan,
        bar(1, 200.0),
        bar(0, 200.0),
        Bar {
            low: 0.0,
            ..bar(3, 200.0)
        },
    ] {
        let out = s.handle(Input::Feed(FeedEvent::Bar {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: b,
        }));
        assert!(
            matches!(out.as_slice(), [Notice::Warning { .. }]),
            "{out:?}"
        );
    }
    assert_eq!(s.store.series(Symbol::Iwm).bars().len(), 2);
    assert!(
        s.store.status.is_some(),
        "the status bar says what happened"
    );
}

/// A live-clock session (Alpaca) refuses a bar stamped in the future instead of letting it freeze
/// the symbol; the next real bar is taken. (A replay has no "now" to compare with.)
#[test]
fn live_clock_refuses_a_bar_from_the_future_and_keeps_taking_real_ones() {
    struct Venue;
    impl double_agent::broker::Broker for Venue {
        fn kind(&self) -> double_agent::broker::BrokerKind {
            double_agent::broker::BrokerKind::Paper
        }
        fn submit(
            &mut self,
            _: &double_agent::model::OrderRequest,
        ) -> Vec<double_agent::broker::BrokerEvent> {
            Vec::new()
        }
        fn cancel(
            &mut self,
            _: &double_agent::model::ClientOrderId,
        ) -> Vec<double_agent::broker::BrokerEvent> {
            Vec::new()
        }
        fn on_bar(&mut self, _: Symbol, _: &Bar) -> Vec<double_agent::broker::BrokerEvent> {
            Vec::new()
        }
    }
    let mut s = Session::new(
        Config::default_config(),
        Box::new(Venue),
        Timeframe::Day1,
        "live",
    );
    let feed = |b: Bar| {
        Input::Feed(FeedEvent::Bar {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: b,
        })
    };
    let now = Utc::now();
    let at = |t: DateTime<Utc>| Bar {
        time: t,
        ..bar(0, 200.0)
    };
    assert!(matches!(
        s.handle(feed(at(now - Duration::days(2)))).as_slice(),
        [Notice::Bar { .. }, ..]
    ));
    let out = s.handle(feed(at(now + Duration::days(365 * 75))));
    assert!(
        matches!(out.as_slice(), [Notice::Warning { message, .. }] if message.contains("in the future")),
        "{out:?}"
    );
    assert!(matches!(
        s.handle(feed(at(now - Duration::days(1)))).as_slice(),
        [Notice::Bar { .. }, ..]
    ));
    assert_eq!(s.store.series(Symbol::Iwm).bars().len(), 2);
}

/// An entry acknowledged at a size over a cap is refused before it is used up: it keeps
/// waiting, the reason is in the Events pane, and a size within the cap then trades.
#[test]
fn an_entry_over_a_cap_is_refused_and_keeps_waiting() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    s.inject_signal(signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(100),
    ));
    act(
        &mut s,
        Action::Acknowledge {
            id: Some(1),
            qty: Some(dec!(9999)),
        },
    );
    assert_eq!(state(&s, 1), SignalState::Proposed);
    assert!(s.store.working_orders().next().is_none());
    let said = s
        .store
        .log
        .iter()
        .any(|l| l.text.starts_with("order refused: ") && l.text.contains("#1 still waits"));
    assert!(said, "{:?}", s.store.log);
    act(
        &mut s,
        Action::Acknowledge {
            id: Some(1),
            qty: None,
        },
    );
    assert_eq!(state(&s, 1), SignalState::Acknowledged);
    assert_eq!(s.store.working_orders().count(), 1);
}

/// While a bar forms, the risk gate values an order at the live price, not yesterday's close:
/// 800 TWM at yesterday's 30 is 24 % of the account, at today's 45 it is 36 % (over 30 %).
#[test]
fn the_risk_gate_values_an_order_at_the_forming_price_while_a_bar_forms() {
    let ack = |s: &mut Session, id: u64| {
        s.inject_signal(signal(
            id,
            0,
            SignalKind::BearEntry { tier: 1 },
            Side::Buy,
            dec!(1200),
        ));
        act(
            s,
            Action::Acknowledge {
                id: Some(id),
                qty: None,
            },
        )
    };
    // In manual mode a refusal keeps the signal waiting (an Info saying why) instead.
    let refused = |out: &[Notice]| {
        out.iter().any(|n| match n {
            Notice::RiskRefused { .. } => true,
            Notice::Info { message } => message.starts_with("order refused: "),
            _ => false,
        })
    };
    let mut calm = session(Mode::Manual);
    day(&mut calm, 0);
    // 1200 TWM at 30 is 36 % of the $100,000 equity: under the vehicle's 50 % cap.
    assert!(!refused(&ack(&mut calm, 1)), "36 % passes");

    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    let mut forming = bar(1, 45.0);
    forming.open = 30.0;
    s.handle(Input::Feed(FeedEvent::Forming {
        symbol: Symbol::Twm,
        timeframe: Timeframe::Day1,
        bar: forming,
    }));
    let out = ack(&mut s, 1);
    assert!(
        refused(&out),
        "valued at 45 (54 %) it is over the limit: {out:#?}"
    );
}

/// The equity on screen (and the one the agents size from) is cash plus every held position at
/// its last close after every bar, though only a held symbol's bar re-marks it: real embedded
/// bars, auto mode, so the agents hold TWM and IWM in turn.
#[test]
fn the_equity_is_marked_to_every_held_position_after_every_bar() {
    use double_agent::data::embedded;
    use double_agent::feed::replay::ReplayPlan;
    let (series, _) = embedded::series();
    let start = Utc.with_ymd_and_hms(2017, 1, 3, 0, 0, 0).unwrap();
    let (history, steps, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    let mut s = session(Mode::Auto);
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        }));
    }
    let mut held = std::collections::BTreeSet::new();
    for (_, group) in steps {
        for (symbol, bar) in group {
            s.handle(Input::Feed(FeedEvent::Bar {
                symbol,
                timeframe: Timeframe::Day1,
                bar,
            }));
            assert_eq!(
                s.store.equity,
                s.store.marked_equity(),
                "after {symbol} {}",
                bar.time
            );
            held.extend(
                s.store
                    .positions
                    .values()
                    .filter(|p| !p.qty.is_zero())
                    .map(|p| p.symbol),
            );
        }
    }
    assert!(
        held.len() >= 2,
        "the replay should hold IWM and a vehicle: {held:?}"
    );
}

/// A long history comes in pieces; holdings restored from the journal go to the engine after
/// the last piece of IWM's history, as they did when it came whole — not after the first, which
/// would have the agents hold the shares through the rest of the warm-up (stops trailing, exits
/// firing on bars nobody traded). Real embedded bars; the Bear's TWM from a journaled fill.
#[test]
fn restored_holdings_reach_the_engine_after_the_last_piece_of_history() {
    use double_agent::data::embedded;
    use double_agent::journal::Recovered;
    use double_agent::model::{AgentBook, ClientOrderId, Fill, Position};
    let (series, _) = embedded::series();
    let n = 900;
    let bought = series[1].1[n - 300];
    let fill = Fill {
        client_order_id: ClientOrderId::new("before", 1),
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(100),
        price: double_agent::model::price::price(bought.close),
        commission: Decimal::ZERO,
        time: bought.time,
    };
    let mut held = Position::flat(Symbol::Twm, bought.time);
    held.apply(&fill);
    let rec = Recovered {
        positions: vec![held],
        fills: vec![(fill, Some(AgentBook::BearTier { tier: 1 }))],
        ..Default::default()
    };
    let run = |pieces: usize| {
        let mut s = session(Mode::Manual);
        s.restore(&rec, None, false);
        for (symbol, bars) in &series {
            let bars = &bars[..n];
            let size = if *symbol == Symbol::Iwm {
                n.div_ceil(pieces)
            } else {
                n
            };
            let chunks: Vec<&[Bar]> = bars.chunks(size).collect();
            for (k, piece) in chunks.iter().enumerate() {
                let more = k + 1 < chunks.len();
                let ev = FeedEvent::history(*symbol, Timeframe::Day1, piece.to_vec(), more);
                s.handle(Input::Feed(ev));
            }
        }
        (s.agents_held(Symbol::Twm), s.standing_exits())
    };
    let whole = run(1);
    assert_eq!(
        whole.0,
        dec!(100),
        "the Bear holds the restored TWM: {whole:?}"
    );
    assert_eq!(
        run(3),
        whole,
        "the same holdings and stops whatever the pieces"
    );
}

#[test]
fn the_book_is_bought_once_in_hedge_mode_and_flatten_keeps_it() {
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "test");
    day(&mut s, 0);
    let book: Vec<_> = s.store.orders.iter().map(|o| o.request.clone()).collect();
    assert_eq!(book.len(), 1, "one order, the book: {book:?}");
    assert_eq!(
        (book[0].symbol, book[0].side, book[0].signal_id),
        (Symbol::Iwm, Side::Buy, None)
    );
    // $100,000 at IWM 200 with 5 bps and commission: 499 shares, never more than the equity
    assert_eq!(book[0].qty, dec!(499));
    day(&mut s, 1);
    day(&mut s, 2);
    assert_eq!(s.store.orders.iter().count(), 1, "bought once");
    assert_eq!(s.book_shares(), dec!(499));
    // an agent's TWM beside it; flatten sells the agent's shares, not the trader's book
    s.inject_signal(signal(
        1,
        2,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(10),
    ));
    day(&mut s, 3);
    act(&mut s, Action::Flatten);
    day(&mut s, 4);
    let held = |sym| {
        s.store
            .positions
            .get(&sym)
            .map(|p| p.qty)
            .unwrap_or_default()
    };
    assert_eq!((held(Symbol::Iwm), held(Symbol::Twm)), (dec!(499), dec!(0)));
}

/// A snoozed entry is asked again re-priced through and through: the price, the size (the same
/// dollars), the vehicle's stop (the same IWM stop from today's prices) and the sizing reason.
#[test]
fn a_snooze_reprices_the_size_the_stop_and_the_reasons() {
    let mut s = session(Mode::Manual);
    day(&mut s, 0);
    let mut sig = signal(
        1,
        0,
        SignalKind::BearEntry { tier: 1 },
        Side::Buy,
        dec!(100),
    );
    sig.reference_price = dec!(30);
    sig.reasons.push(Reason::new(
        ReasonKind::Sizing,
        "100 TWM = 0.33 × book beta $6000 / 2 (leverage) / price 30.00",
    ));
    s.inject_signal(sig);
    act(&mut s, Action::Snooze { id: Some(1) });
    day(&mut s, 1); // TWM 31, IWM 199: asked again
    let e = s.store.signals.get(1).unwrap();
    assert_eq!(e.state, SignalState::Proposed);
    assert_eq!(e.signal.reference_price, dec!(31));
    assert_eq!(e.signal.qty, dec!(96), "100 × 30 / 31, whole shares");
    // IWM stop 205 from IWM 199 is +3.0 %: a −2× vehicle 6.0 % under 31.
    assert_eq!(e.signal.stop_price, Some(dec!(29.13)));
    let sizing: Vec<String> = e
        .signal
        .reasons
        .iter()
        .filter(|r| r.kind == ReasonKind::Sizing)
        .map(|r| r.text.to_string())
        .collect();
    assert_eq!(
        sizing,
        ["96 TWM re-priced after the snooze: 100 × 30 ≈ 96 × 31 (the same dollars)"]
    );
}

/// A backtest's session keeps the newest indicator row and no history of them (issue 27: a
/// backtest keeps no indicator rows it does not read); the dashboard's keeps its `[history]`.
#[test]
fn a_backtest_keeps_only_the_newest_indicator_row() {
    let mut bt = session(Mode::Auto).for_backtest();
    let mut live = session(Mode::Auto);
    for d in 0..40 {
        day(&mut bt, d);
        day(&mut live, d);
    }
    assert!(
        bt.store.indicators.len() <= 2,
        "{}",
        bt.store.indicators.len()
    );
    assert_eq!(live.store.indicators.len(), 40);
    assert_eq!(
        bt.store.indicators.last(),
        live.store.indicators.last(),
        "the newest row is the same"
    );
}
