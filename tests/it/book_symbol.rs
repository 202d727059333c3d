//! A QQQ or SPY book ("long Nasdaq, short Russell"): its bars come with the others, the simulator
//! buys it, the Bear hedges its IWM beta (the 250-day regression of its daily returns on IWM's),
//! flatten keeps it, and the backtest reports it. Real embedded bars.

use chrono::{TimeZone, Utc};
use double_agent::backtest;
use double_agent::broker::paper::PaperBroker;
use double_agent::config::{Config, Mode};
use double_agent::data::embedded;
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::model::{AgentBook, Side, Symbol, Timeframe};
use double_agent::run::wiring;
use double_agent::session::{Action, Input, Session};
use double_agent::store::lots::TradeKind;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

fn config(book: Symbol) -> Config {
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    cfg.book.symbol = book;
    cfg
}

/// The embedded replay from 2024-06-03 to `until` in auto mode; the session and the first Bear
/// tier-1 order's (vehicle dollars, book value, book beta) when it was sent.
fn replay(book: Symbol, until: (i32, u32, u32)) -> (Session, Option<(f64, f64, f64)>) {
    let cfg = config(book);
    let (series, _) = embedded::series_of(&cfg.feed_symbols());
    let start = Utc.with_ymd_and_hms(2024, 6, 3, 0, 0, 0).unwrap();
    let end = Utc
        .with_ymd_and_hms(until.0, until.1, until.2, 23, 0, 0)
        .unwrap();
    let (history, steps, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "book");
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        }));
    }
    let mut tier1 = None;
    for (t, group) in steps {
        if t > end {
            break;
        }
        for (symbol, bar) in group {
            let seen = s.store.orders.iter().count();
            s.handle(Input::Feed(FeedEvent::Bar {
                symbol,
                timeframe: Timeframe::Day1,
                bar,
            }));
            let sent: Vec<_> = s.store.orders.iter().skip(seen).cloned().collect();
            for o in sent {
                let tier_1 = o.request.book == Some(AgentBook::BearTier { tier: 1 });
                if tier_1 && tier1.is_none() {
                    let px = s.store.last_price(o.request.symbol).unwrap();
                    let book_px = s.store.last_price(book).unwrap();
                    tier1 = Some((
                        (o.request.qty * px).to_f64().unwrap(),
                        (s.book_shares() * book_px).to_f64().unwrap(),
                        s.book_beta(),
                    ));
                }
            }
        }
    }
    (s, tier1)
}

#[test]
fn a_qqq_book_is_bought_and_its_iwm_beta_is_what_the_bear_hedges() {
    let (s, tier1) = replay(Symbol::Qqq, (2025, 3, 14));
    // The first order of the session is the trader's QQQ, owned by no agent.
    let first = s.store.orders.iter().next().unwrap();
    assert_eq!(
        (first.request.symbol, first.request.side, first.request.book),
        (Symbol::Qqq, Side::Buy, Some(AgentBook::TraderBook))
    );
    let held = s.store.positions.get(&Symbol::Qqq).unwrap().qty;
    assert!(held > Decimal::ZERO && held == s.book_shares(), "{held}");
    assert_eq!(s.agents_held(Symbol::Qqq), Decimal::ZERO);
    // QQQ moves with IWM but less than one for one: its beta is measured, not assumed.
    let beta = s.book_beta();
    assert!(beta > 0.4 && beta < 1.0, "QQQ's IWM beta {beta}");
    // The screen's exposure counts the book at that beta, not one for one.
    let counted = s.store.beta_of(Symbol::Qqq).to_f64().unwrap();
    assert!((counted - beta).abs() < 1e-3, "{counted} vs {beta}");
    // Tier 1 is a third of the book's beta dollars: vehicle dollars × |L| ÷ (value × beta).
    let (vehicle, value, beta_then) = tier1.expect("the Bear's Feb 2025 tier 1");
    let share = vehicle * 2.0 / (value * beta_then);
    assert!(
        (share - 1.0 / 3.0).abs() < 0.02,
        "tier 1 is {share} of the book's beta dollars"
    );
    // Against the same dollars of IWM the tier would have been 1/beta times larger.
    let (_, iwm_tier1) = replay(Symbol::Iwm, (2025, 3, 14));
    let (iwm_vehicle, iwm_value, one) = iwm_tier1.unwrap();
    assert_eq!(one, 1.0);
    assert!(
        vehicle / value < 0.9 * iwm_vehicle / iwm_value,
        "QQQ tier {vehicle}/{value} vs IWM tier {iwm_vehicle}/{iwm_value}"
    );
}

#[test]
fn flatten_keeps_a_qqq_book_and_sells_the_agents_shares() {
    let (mut s, _) = replay(Symbol::Qqq, (2025, 3, 14));
    let book = s.book_shares();
    assert!(
        s.agents_held(Symbol::Twm) > Decimal::ZERO,
        "the Bear holds TWM"
    );
    s.handle(Input::Action(Action::Flatten));
    let sells: Vec<_> = s
        .store
        .working_orders()
        .map(|o| (o.request.symbol, o.request.side))
        .collect();
    assert!(sells.contains(&(Symbol::Twm, Side::Sell)), "{sells:?}");
    assert!(
        !sells.iter().any(|(sym, _)| *sym == Symbol::Qqq),
        "the book is not the agents' to sell: {sells:?}"
    );
    assert_eq!(s.book_shares(), book);
}

#[test]
fn bar_files_must_bring_the_books_bars_and_no_more() {
    let qqq = config(Symbol::Qqq).feed_symbols();
    assert_eq!(qqq, [Symbol::Iwm, Symbol::Twm, Symbol::Srty, Symbol::Qqq]);
    let err = wiring::check_files(3, &qqq).unwrap_err().to_string();
    assert!(
        err.contains("book.symbol = \"QQQ\"") && err.contains("fourth"),
        "{err}"
    );
    assert!(wiring::check_files(4, &qqq).is_ok());
    let iwm = config(Symbol::Iwm).feed_symbols();
    let err = wiring::check_files(4, &iwm).unwrap_err().to_string();
    assert!(err.contains("a fourth only"), "{err}");
    assert!(wiring::check_files(1, &iwm).is_ok());
}

#[test]
fn the_backtest_reports_the_qqq_book_held_and_hedged() {
    let cfg = config(Symbol::Qqq);
    let (series, _) = embedded::series_of(&cfg.feed_symbols());
    let qqq: Vec<_> = series[3].1.clone();
    let start = backtest::default_start(series[0].1.iter()).unwrap();
    let plan = ReplayPlan::new(Timeframe::Day1, series, start);
    let r = backtest::run(cfg, plan, None, false, |_| {}, |_| {});
    assert_eq!(r.book_symbol, Symbol::Qqq);
    let book = r.study.book.expect("hedge mode reports the book");
    // The book is QQQ bought at the open after the first live bar and held to the last close.
    let k = qqq.iter().position(|b| b.time > start).unwrap();
    let held = qqq.last().unwrap().close / qqq[k].open - 1.0;
    assert!(
        (book.total_return - held).abs() < 0.02 * (1.0 + held),
        "book {} vs QQQ held {held}",
        book.total_return
    );
    assert!(r.study.overlay.is_some());
    let tiers: usize = r
        .signals
        .iter()
        .filter(|k| {
            matches!(
                k.kind,
                TradeKind::BearTier1 | TradeKind::BearTier2 | TradeKind::BearTier3
            )
        })
        .map(|k| k.record.trades as usize)
        .sum();
    assert!(tiers > 0, "the Bear traded beside the QQQ book");
}

/// `book.value = "venue"`: the book is the venue's own shares of the symbol that no agent
/// proposed, so the hedge follows what the account holds (nothing to hedge when it holds none);
/// declared dollars count until the book is held. The simulator refuses "venue".
#[test]
fn a_venue_book_is_what_the_venue_holds() {
    use double_agent::config::BookValue;
    use double_agent::engine::{Engine, EngineEvent};
    use double_agent::model::Bar;
    let bar = |day: i64, px: f64| Bar {
        time: Utc.with_ymd_and_hms(2025, 3, 3, 5, 0, 0).unwrap() + chrono::Duration::days(day),
        open: px,
        high: px,
        low: px,
        close: px,
        volume: 1e6,
    };
    let run = |value: BookValue, venue_shares: i64| {
        let mut cfg = config(Symbol::Iwm);
        cfg.book.value = value;
        let mut e = Engine::new(&cfg);
        e.process(EngineEvent::Bar {
            symbol: Symbol::Iwm,
            bar: bar(0, 200.0),
        });
        e.process(EngineEvent::Held {
            positions: vec![(Symbol::Iwm, Decimal::from(venue_shares))],
        });
        e.hedged_dollars().0
    };
    assert_eq!(run(BookValue::Venue, 300), 60_000.0);
    assert_eq!(run(BookValue::Venue, 0), 0.0);
    assert_eq!(
        run(BookValue::Dollars(Decimal::from(100_000)), 0),
        100_000.0
    );
    assert_eq!(
        run(BookValue::Dollars(Decimal::from(100_000)), 300),
        60_000.0
    );

    let parsed =
        Config::from_layers(&[("venue.toml".into(), "[book]\nvalue = \"venue\"\n".into())])
            .unwrap();
    assert_eq!(parsed.book.value, BookValue::Venue);
    let err = parsed.check_simulator().unwrap_err();
    assert!(
        err.contains("book.value = \"venue\"") && err.contains("dollars"),
        "{err}"
    );
    let bad = Config::from_layers(&[("bad.toml".into(), "[book]\nvalue = \"lots\"\n".into())])
        .unwrap_err()
        .to_string();
    assert!(bad.contains("book.value") || bad.contains("value"), "{bad}");
}

/// The dashboard's feeds bring QQQ's bars whatever the book (the positioning pane's QQQ/IWM
/// ratio), backtests do not; on the embedded replay the ratio reads off the store.
#[test]
fn the_live_feeds_bring_qqq_for_the_ratio_and_backtests_do_not() {
    let cfg = Config::default_config();
    assert!(!cfg.feed_symbols().contains(&Symbol::Qqq));
    assert_eq!(
        cfg.live_symbols(),
        [Symbol::Iwm, Symbol::Twm, Symbol::Srty, Symbol::Qqq]
    );
    let (series, _) = embedded::series_of(&cfg.live_symbols());
    let start = Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap();
    let (history, _, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "ratio");
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        }));
    }
    let r = double_agent::positioning::ratio::qqq_over_iwm(
        s.store.series(Symbol::Qqq).bars(),
        s.store.series(Symbol::Iwm).bars(),
    )
    .expect("QQQ bars in the store");
    // 2024-12-31: QQQ 511.23 / IWM 220.96 (adjusted closes) ≈ 2.3.
    assert!((2.0..2.6).contains(&r.ratio), "{r:?}");
}
