//! Engine invariants under random markets: sizes within the caps, stops that never loosen, no
//! signal while data is stale, impossible or out-of-order bars ignored.

use chrono::{DateTime, Duration, TimeZone, Utc};
use double_agent::config::Config;
use double_agent::engine::{Engine, EngineEvent, EngineOutput};
use double_agent::model::{AgentBook, Bar, ClientOrderId, Fill, Side, Signal, Symbol};
use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// A random walk of IWM with regime switches (so breaks, crashes and rebounds happen), and the
/// −2× vehicle derived from it.
fn market(seed: u64, n: usize, vol: f64) -> Vec<(Symbol, Bar)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let t0 = Utc.with_ymd_and_hms(2020, 1, 1, 5, 0, 0).unwrap();
    let (mut p, mut v) = (200.0_f64, 40.0_f64);
    let mut drift = 0.0;
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        if i % 60 == 0 {
            drift = rng.gen_range(-2.0..2.0) * vol / 4.0;
        }
        let r = drift + vol * rng.gen_range(-1.0..1.0);
        let open = p;
        p = (p * (1.0 + r)).max(1.0);
        let hi = open.max(p) * (1.0 + vol * rng.gen_range(0.0..0.5));
        let lo = open.min(p) * (1.0 - vol * rng.gen_range(0.0..0.5));
        let vopen = v;
        v = (v * (1.0 - 2.0 * r)).max(0.5);
        let time = t0 + Duration::days(i as i64);
        let bar = |o: f64, c: f64, h: f64, l: f64| Bar {
            time,
            open: o,
            high: h.max(o).max(c),
            low: l.min(o).min(c),
            close: c,
            volume: rng_volume(i),
        };
        out.push((Symbol::Twm, bar(vopen, v, vopen.max(v), vopen.min(v))));
        out.push((Symbol::Iwm, bar(open, p, hi, lo)));
    }
    out
}

fn rng_volume(i: usize) -> f64 {
    1e6 * (1.0 + ((i * 7919) % 17) as f64 / 10.0)
}

/// Every proposal is taken: filled at once at its reference price, so the agents hold what they
/// propose and their stops and exits are exercised.
fn run(engine: &mut Engine, events: impl IntoIterator<Item = EngineEvent>) -> Vec<EngineOutput> {
    let mut all = Vec::new();
    for e in events {
        for o in engine.process(e) {
            if let EngineOutput::Signal(d) = &o {
                let s = d.to_signal();
                if s.qty > Decimal::ZERO {
                    let fill = Fill {
                        client_order_id: ClientOrderId::new("prop", s.id),
                        symbol: s.symbol,
                        side: s.side,
                        qty: s.qty,
                        price: s.reference_price,
                        commission: Decimal::ZERO,
                        time: s.time,
                    };
                    let book = Some(AgentBook::of(s.kind));
                    let signal_id = Some(s.id);
                    engine.process(EngineEvent::Fill {
                        fill,
                        book,
                        signal_id,
                    });
                }
            }
            all.push(o);
        }
    }
    all
}

fn signals(out: &[EngineOutput]) -> Vec<Signal> {
    out.iter()
        .filter_map(|o| match o {
            EngineOutput::Signal(s) => Some(s.to_signal()),
            _ => None,
        })
        .collect()
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

/// The last stop seen for an agent: (position opened at, stop price).
type LastStop = Option<(Option<DateTime<Utc>>, f64)>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn entries_never_exceed_the_caps(seed in any::<u64>(), vol in 0.01f64..0.04, equity in 10_000u32..1_000_000) {
        let cfg = Config::default_config();
        let mut engine = Engine::new(&cfg);
        engine.process(EngineEvent::Account { equity: Decimal::from(equity) });
        let eq = f64::from(equity);
        let mut by_bar: std::collections::BTreeMap<DateTime<Utc>, (f64, f64)> = Default::default();
        for (sym, bar) in market(seed, 700, vol) {
            for out in engine.process(EngineEvent::Bar { symbol: sym, bar }) {
                let EngineOutput::Signal(s) = out else { continue };
                let s = s.to_signal();
                prop_assert!(s.qty >= Decimal::ZERO && s.qty.fract().is_zero(), "{s:?}");
                if s.side == Side::Buy {
                    let value = f(s.qty) * f(s.reference_price);
                    let e = by_bar.entry(s.time).or_default();
                    e.0 += value * f64::from(s.symbol.leverage()).abs();
                    e.1 = e.1.max(value);
                    // Nothing is filled here (no broker), so every bar starts flat.
                    prop_assert!(e.0 <= cfg.risk.max_beta_exposure * eq * 1.0001, "{s:?}");
                    prop_assert!(e.1 <= cfg.risk.max_position * eq * 1.0001, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn stops_never_loosen(seed in any::<u64>(), vol in 0.01f64..0.04) {
        let cfg = Config::default_config();
        let mut engine = Engine::new(&cfg);
        let (mut bear, mut bull): (LastStop, LastStop) = (None, None);
        for (sym, bar) in market(seed, 700, vol) {
            engine.process(EngineEvent::Bar { symbol: sym, bar });
            let v = engine.view();
            if let Some(s) = v.bear.stop_iwm {
                if let Some((since, prev)) = bear {
                    if since == v.bear.since {
                        prop_assert!(s <= prev + 1e-9, "Bear stop raised {prev} → {s}");
                    }
                }
                bear = Some((v.bear.since, s));
            }
            if let Some(s) = v.bull.stop_iwm {
                if let Some((since, prev)) = bull {
                    if since == v.bull.since {
                        prop_assert!(s >= prev - 1e-9, "Bull stop lowered {prev} → {s}");
                    }
                }
                bull = Some((v.bull.since, s));
            }
        }
    }

    #[test]
    fn nothing_is_proposed_while_stale_or_paused(seed in any::<u64>(), from in 260usize..500, len in 1usize..200, paused in any::<bool>()) {
        let cfg = Config::default_config();
        let mut engine = Engine::new(&cfg);
        let bars = market(seed, 700, 0.03);
        for (i, (sym, bar)) in bars.into_iter().enumerate() {
            let k = i / 2;
            let block = |b| if paused { EngineEvent::Paused(b) } else { EngineEvent::DataStale(b) };
            if k == from && sym == Symbol::Twm {
                engine.process(block(true));
            }
            if k == from + len && sym == Symbol::Twm {
                engine.process(block(false));
            }
            let out = engine.process(EngineEvent::Bar { symbol: sym, bar });
            if (from..from + len).contains(&k) {
                prop_assert!(signals(&out).is_empty(), "signal at bar {k} while blocked");
            }
        }
    }

    #[test]
    fn impossible_and_stale_bars_change_nothing(seed in any::<u64>(), every in 3usize..40) {
        let cfg = Config::default_config();
        let clean = market(seed, 500, 0.03);
        let mut a = Engine::new(&cfg);
        let want = run(&mut a, clean.iter().map(|(s, b)| EngineEvent::Bar { symbol: *s, bar: *b }));
        let mut dirty = Vec::new();
        for (i, (s, b)) in clean.iter().enumerate() {
            dirty.push((*s, *b));
            if i % every == 0 {
                // high below low; a NaN close; a repeat of the same time; a bar from the past
                dirty.push((*s, Bar { high: b.low - 1.0, ..*b }));
                dirty.push((*s, Bar { close: f64::NAN, time: b.time + Duration::hours(1), ..*b }));
                dirty.push((*s, Bar { close: b.close * 0.5, low: b.low * 0.5, ..*b }));
                dirty.push((*s, Bar { time: b.time - Duration::days(30), ..*b }));
            }
        }
        let mut e = Engine::new(&cfg);
        let got = run(&mut e, dirty.into_iter().map(|(s, b)| EngineEvent::Bar { symbol: s, bar: b }));
        prop_assert_eq!(got, want);
    }
}

#[test]
fn random_markets_do_produce_signals() {
    // Guards the properties above against passing vacuously.
    let cfg = Config::default_config();
    let mut engine = Engine::new(&cfg);
    let out = run(
        &mut engine,
        market(7, 2000, 0.03)
            .into_iter()
            .map(|(s, b)| EngineEvent::Bar { symbol: s, bar: b }),
    );
    let n = signals(&out).len();
    assert!(n >= 5, "only {n} signals");
}
