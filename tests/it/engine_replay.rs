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
        Symbol::Iwm => 2,
    };
    all.sort_by_key(|(s, b)| (b.time, order(*s)));
    all
}

/// Replay with every signal acknowledged; returns every signal.
pub fn replay(cfg: &Config) -> Vec<Signal> {
    let mut engine = Engine::new(cfg);
    let mut broker = PaperBroker::new(&cfg.paper);
    let mut signals = Vec::new();
    for (symbol, bar) in merged() {
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
    signals
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
            // The February breakdown below the 214.79 pivot cluster, and a failed rebound.
            // (233: equity that day differs by the hedges no longer proposed beside a stop.)
            "2025-02-24 BEAR tier 1 TWM 233",
            "2025-02-27 BEAR tier 2 TWM 131",
            // Oversold bounce in mid-March: the Bull hedges, the Bear's trailing stop is hit.
            "2025-03-14 BULL hedge IWM 45",
            "2025-03-19 BEAR stop TWM 364",
            "2025-03-21 BULL hedge exit IWM 45",
            // Liberation-day crash breaks the 194.73 cluster (4 pivots).
            "2025-04-03 BEAR tier 1 TWM 47",
            // Tariff-pause rally: the thrust stops the Bear. No hedge on that bar: a hedge
            // protects a position the Bear keeps, never one whose stop just fired.
            "2025-04-09 BEAR stop TWM 47",
            // The rally fades: a new break (183.70) and a failed rebound at it.
            "2025-04-10 BEAR tier 1 TWM 28",
            "2025-04-16 BEAR tier 2 TWM 44",
            // The reclaim of 183.70 after RSI < 30: the Bear scales out, the Bull takes over
            // until the summer.
            "2025-04-22 BEAR scale-out 2 TWM 44",
            "2025-04-22 BEAR scale-out 1 TWM 28",
            "2025-04-22 BULL re-engage IWM 17",
            "2025-07-31 BULL stop IWM 17",
            "2025-08-01 BEAR tier 1 TWM 252",
            "2025-08-04 BEAR stop TWM 252",
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
            "2020-02-26 BEAR tier 1 TWM 29",
            "2020-03-02 BULL hedge IWM 26",
            "2020-03-06 BULL hedge exit IWM 26",
            "2020-03-24 BULL hedge IWM 55",
            "2020-03-26 BEAR stop TWM 29",
            "2020-03-31 BULL hedge exit IWM 55",
            "2020-09-23 BEAR tier 1 TWM 22",
            "2020-09-29 BEAR tier 2 TWM 62",
            "2020-10-01 BEAR stop TWM 84",
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
            "2018-10-10 BEAR tier 1 TWM 24",
            // The oversold thrust of 16 Oct stops the Bear: no hedge beside the stop.
            "2018-10-16 BEAR stop TWM 24",
            "2018-10-24 BEAR tier 1 TWM 9",
            "2018-10-29 BEAR tier 2 TWM 9",
            "2018-11-01 BEAR scale-out 2 TWM 9",
            "2018-11-01 BEAR scale-out 1 TWM 9",
            "2018-11-01 BULL re-engage IWM 42",
            "2018-11-12 BULL stop IWM 42",
            "2018-11-12 BEAR tier 1 TWM 13",
            "2018-11-19 BEAR tier 2 TWM 9",
            "2018-11-28 BEAR stop TWM 22",
            "2018-12-04 BEAR tier 1 TWM 9",
            "2018-12-26 BULL hedge IWM 13",
            "2018-12-31 BEAR stop TWM 9",
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
