//! The story in the data: the embedded daily bars (IWM, TWM, SRTY, 2016–2025) through the engine,
//! every signal acknowledged into the paper simulator and its fills fed back, and the exact
//! signal sequence of three episodes pinned: 2018 Q4, 2020 and 2025.

use double_agent::broker::paper::PaperBroker;
use double_agent::broker::{Broker, BrokerEvent};
use double_agent::config::Config;
use double_agent::data::embedded;
use double_agent::engine::{Engine, EngineEvent, EngineOutput};
use double_agent::model::{AgentBook, Bar, ClientOrderId, OrderRequest, OrderType, Signal, Symbol};

/// Every bar of the three symbols in time order; vehicles before IWM at the same time, so a
/// signal on an IWM bar sees the same session's vehicle close.
fn merged() -> Vec<(Symbol, Bar)> {
    let (series, _) = embedded::load_all();
    let mut all: Vec<(Symbol, Bar)> = series
        .into_iter()
        .flat_map(|(s, l)| l.bars.into_iter().map(move |b| (s, b)))
        .collect();
    let order = |s: Symbol| match s {
        Symbol::Twm => 0,
        Symbol::Srty => 1,
        _ => 2,
    };
    all.sort_by_key(|(s, b)| (b.time, order(*s)));
    all
}

/// Replay with every signal acknowledged; returns every signal.
pub fn replay(cfg: &Config) -> Vec<Signal> {
    replay_until(cfg, None).0
}

/// The same replay, stopped after the bars of `until` (New York date), with the engine as it is.
pub fn replay_until(cfg: &Config, until: Option<&str>) -> (Vec<Signal>, Engine) {
    let mut engine = Engine::new(cfg);
    let mut broker = PaperBroker::new(&cfg.paper);
    let mut signals = Vec::new();
    let day = |b: &Bar| {
        b.time
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive()
            .to_string()
    };
    for (symbol, bar) in merged() {
        if until.is_some_and(|u| day(&bar).as_str() > u) {
            break;
        }
        for ev in broker.on_bar(symbol, &bar) {
            match ev {
                BrokerEvent::Filled(fill) => {
                    let signal_id = fill
                        .client_order_id
                        .as_str()
                        .rsplit('-')
                        .next()
                        .and_then(|s| s.parse::<u64>().ok());
                    let book = signal_id
                        .and_then(|id| signals.iter().find(|s: &&Signal| s.id == id))
                        .map(|s| AgentBook::of(s.kind));
                    engine.process(EngineEvent::Fill {
                        fill,
                        book,
                        signal_id,
                    });
                }
                BrokerEvent::Account { equity, .. } => {
                    engine.process(EngineEvent::Account { equity });
                }
                BrokerEvent::Rejected {
                    client_order_id, ..
                } => {
                    let id = client_order_id.as_str().rsplit('-').next();
                    if let Some(signal_id) = id.and_then(|s| s.parse().ok()) {
                        engine.process(EngineEvent::Unfilled { signal_id });
                    }
                }
                _ => {}
            }
        }
        for out in engine.process(EngineEvent::Bar { symbol, bar }) {
            let EngineOutput::Signal(s) = out else {
                continue;
            };
            let s = s.to_signal();
            if s.qty > rust_decimal::Decimal::ZERO {
                let answer = broker.submit(&OrderRequest {
                    client_order_id: ClientOrderId::new("replay", s.id),
                    symbol: s.symbol,
                    side: s.side,
                    qty: s.qty,
                    order_type: OrderType::Market,
                    signal_id: Some(s.id),
                    book: Some(AgentBook::of(s.kind)),
                    created: s.time,
                });
                if answer
                    .iter()
                    .any(|e| matches!(e, BrokerEvent::Rejected { .. }))
                {
                    engine.process(EngineEvent::Unfilled { signal_id: s.id });
                }
            }
            signals.push(s);
        }
    }
    (signals, engine)
}

/// `date agent kind symbol qty`, one line per signal.
pub fn line(s: &Signal) -> String {
    format!(
        "{} {} {} {} {}",
        s.time
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive(),
        s.agent,
        s.kind.label(),
        s.symbol,
        s.qty
    )
}

fn between(signals: &[Signal], from: &str, to: &str) -> Vec<String> {
    signals
        .iter()
        .map(line)
        .filter(|l| l.as_str() >= from && l.as_str() < to)
        .collect()
}

#[test]
#[ignore]
fn print_all_signals() {
    for s in replay(&Config::default_config()) {
        println!("{}", line(&s));
        for r in &s.reasons {
            println!("      {:?}: {}", r.kind, r.text);
        }
    }
}

fn assert_episode(signals: &[Signal], from: &str, to: &str, want: &[&str]) {
    let got = between(signals, from, to);
    assert_eq!(
        got,
        want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "signals from {from} to {to}"
    );
}

#[test]
fn the_2025_breakdown_hedges_and_reclaim() {
    let s = replay(&Config::default_config());
    assert_episode(
        &s,
        "2025-01-01",
        "2026-01-01",
        &[
            // The February breakdown below the 214.79 pivot cluster, and a failed rebound: each
            // tier a third of the $100,000 book's beta (hedge mode, sized by beta).
            "2025-02-24 BEAR tier 1 TWM 373",
            "2025-02-27 BEAR tier 2 TWM 360",
            // Oversold bounce in mid-March: the Bull hedges; the 3-ATR stop holds through it.
            "2025-03-14 BULL hedge IWM 92",
            "2025-03-21 BULL hedge exit IWM 92",
            // Liberation-day crash: IWM closes 9 ATR below the tier-1 entry, both tiers take it.
            "2025-04-04 BEAR target TWM 733",
            // The crash goes on: a new tier 1, a hedge on the bounce, tiers on failed rebounds.
            "2025-04-07 BEAR tier 1 TWM 265",
            "2025-04-09 BULL hedge IWM 38",
            "2025-04-10 BEAR tier 2 TWM 279",
            "2025-04-16 BULL hedge exit IWM 38",
            "2025-04-16 BEAR tier 3 TWM 289",
            // The rebound trails the stop down and stops all three (the reclaim is evidence only
            // in hedge mode: no scale-out, no Bull long).
            "2025-04-28 BEAR stop TWM 833",
            "2025-08-01 BEAR tier 1 TWM 391",
            "2025-08-12 BEAR stop TWM 391",
        ],
    );
    // The story's numbers are in the reasons.
    let first = s
        .iter()
        .find(|x| line(x).starts_with("2025-02-24"))
        .expect("a 2025-02-24 signal");
    assert!(
        first.reasons[0]
            .text
            .contains("close 213.83 < support 214.79 − 0.25 × ATR 3.62"),
        "{:?}",
        first.reasons
    );
}

#[test]
fn the_2020_crash() {
    let s = replay(&Config::default_config());
    assert_episode(
        &s,
        "2020-01-01",
        "2021-01-01",
        &[
            "2020-02-26 BEAR tier 1 TWM 67",
            "2020-03-02 BULL hedge IWM 61",
            "2020-03-06 BULL hedge exit IWM 61",
            // The 9-ATR target takes the crash's gain before the V-shaped rebound ...
            "2020-03-11 BEAR target TWM 67",
            // ... and the tier 1 taken again the next day is stopped in April.
            "2020-03-12 BEAR tier 1 TWM 38",
            "2020-03-24 BULL hedge IWM 72",
            "2020-03-31 BULL hedge exit IWM 72",
            "2020-04-09 BEAR stop TWM 38",
            "2020-09-23 BEAR tier 1 TWM 98",
            "2020-09-29 BEAR tier 2 TWM 105",
            "2020-10-05 BEAR stop TWM 203",
        ],
    );
}

#[test]
fn the_2018_q4_selloff() {
    let s = replay(&Config::default_config());
    assert_episode(
        &s,
        "2018-10-01",
        "2019-01-01",
        &[
            // The 3-ATR stop rides out the 16 Oct thrust (the old stop was inside 1 ATR).
            "2018-10-10 BEAR tier 1 TWM 61",
            "2018-10-16 BULL hedge IWM 55",
            "2018-10-17 BEAR tier 2 TWM 63",
            "2018-10-19 BULL hedge exit IWM 55",
            "2018-11-07 BEAR stop TWM 124",
            "2018-11-12 BEAR tier 1 TWM 58",
            "2018-11-19 BEAR tier 2 TWM 56",
            "2018-12-04 BEAR tier 3 TWM 52",
            // Three tiers are the whole −1.0 beta: no room left for a hedge (sized 0, recorded).
            "2018-12-26 BULL hedge IWM 0",
            "2018-12-27 BULL hedge IWM 0",
        ],
    );
}

#[test]
fn signal_ids_are_sequential_and_exits_sell_what_was_bought() {
    let s = replay(&Config::default_config());
    assert!(s.len() > 20);
    for w in s.windows(2) {
        assert_eq!(w[1].id, w[0].id + 1);
    }
    // Every acknowledged exit sells exactly the shares its entries bought (fills at next open).
    use double_agent::model::{Agent, Side};
    let mut held = std::collections::HashMap::<(Agent, Symbol), rust_decimal::Decimal>::new();
    for x in &s {
        let h = held.entry((x.agent, x.symbol)).or_default();
        match x.side {
            Side::Buy => *h += x.qty,
            Side::Sell => {
                assert!(x.qty <= *h, "{} sells more than held {}", line(x), h);
                *h -= x.qty;
            }
        }
        assert!((0.0..=1.0).contains(&x.confidence));
    }
}

#[test]
#[ignore]
fn print_levels() {
    let cfg = Config::default_config();
    let mut engine = Engine::new(&cfg);
    let dates: Vec<String> = std::env::var("DATES")
        .unwrap_or_default()
        .split(',')
        .map(String::from)
        .collect();
    for (symbol, bar) in merged() {
        engine.process(EngineEvent::Bar { symbol, bar });
        let d = bar
            .time
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive()
            .to_string();
        if symbol == Symbol::Iwm && dates.contains(&d) {
            let v = engine.view();
            println!(
                "{d} close {:.2} support {:?} resistance {:?}",
                bar.close, v.active_support, v.active_resistance
            );
            for l in &v.levels {
                println!(
                    "   {:.2} {:?} {} {:?}",
                    l.price, l.source, l.strength, l.state
                );
            }
        }
    }
}

#[test]
fn the_agents_pane_reads_each_tier_as_a_third_of_the_book_with_its_stop_in_atrs() {
    // After the tiers of 24 and 27 Feb 2025 filled: two thirds of the $100,000 book hedged.
    let (_, engine) = replay_until(&Config::default_config(), Some("2025-02-28"));
    let b = &engine.view().bear;
    assert_eq!(b.tier_betas.len(), 2, "{b:?}");
    for beta in &b.tier_betas {
        // whole shares at the fill's price against the close: within a few points of −1/3
        assert!((beta + 1.0 / 3.0).abs() < 0.03, "{:?}", b.tier_betas);
    }
    // The stop trails at 3 ATR above the lowest close: never nearer the close than that
    // would allow, and the target sits 9 entry-bar ATRs under the 213.83 entry.
    let d = b.stop_atr.unwrap();
    assert!(d > 0.0 && d <= 3.0 + 1e-9, "{d}");
    let t = b.target_iwm.unwrap();
    assert!(
        (213.83 - t) / 9.0 > 3.0 && (213.83 - t) / 9.0 < 4.0,
        "target {t}"
    );
}
