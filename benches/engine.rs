//! The engine's per-bar cost: the full indicator set, levels and both agents over 10 M synthetic
//! IWM bars (a deterministic random walk laid out contiguously in a Vec). Reports time per bar.
//! Bars go through `process_into` with one reused output buffer, the allocation-free path a
//! backtest or live loop uses (`process` allocates a fresh `Vec` per event).

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use double_agent::config::Config;
use double_agent::engine::{Engine, EngineEvent, EngineOutput, IndicatorRow};
use double_agent::model::{Bar, Signal, Symbol};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const BARS_DEFAULT: usize = 10_000_000;

fn walk(n: usize) -> Vec<Bar> {
    let mut rng = SmallRng::seed_from_u64(42);
    let t0 = Utc.with_ymd_and_hms(1990, 1, 1, 14, 30, 0).unwrap();
    let mut p = 200.0_f64;
    let mut bars = Vec::with_capacity(n);
    for i in 0..n {
        let open = p;
        // Mean-reverting in log space so 10 M bars stay in a sane price range.
        let pull = (200.0_f64 / p).ln() * 0.001;
        p *= 1.0 + pull + rng.gen_range(-0.015..0.015);
        let high = open.max(p) * (1.0 + rng.gen_range(0.0..0.006));
        let low = open.min(p) * (1.0 - rng.gen_range(0.0..0.006));
        bars.push(Bar {
            time: t0 + Duration::minutes(5 * i as i64),
            open,
            high,
            low,
            close: p,
            volume: rng.gen_range(5e5..5e6),
        });
    }
    bars
}

/// An output as the app sees it (signals rendered to text and decimals), for the hash: its
/// `Debug` text is what the hash has always covered, so a hash from before the engine kept
/// reasons as numbers still compares.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug` only
enum Rendered {
    Indicators(IndicatorRow),
    Signal(Signal),
}

impl Rendered {
    fn of(o: &EngineOutput) -> Self {
        match o {
            EngineOutput::Indicators(r) => Rendered::Indicators(*r),
            EngineOutput::Signal(d) => Rendered::Signal(d.to_signal()),
        }
    }
}

/// One pass through `process_into`: (ns per bar, signals).
fn timed_pass(cfg: &Config, bars: &[Bar]) -> (f64, usize) {
    let mut engine = Engine::new(cfg);
    let mut out = Vec::new();
    let start = Instant::now();
    let mut signals = 0usize;
    for bar in bars {
        out.clear();
        let event = EngineEvent::Bar {
            symbol: Symbol::Iwm,
            bar: *bar,
        };
        engine.process_into(event, &mut out);
        // Every IWM bar yields its indicator row; the rest are signals.
        signals += out.len() - 1;
    }
    let ns = start.elapsed().as_nanos() as f64 / bars.len() as f64;
    (ns, signals)
}

fn bench(c: &mut Criterion) {
    // ENGINE_BENCH_BARS overrides the count (for profiling runs).
    let n_bars = std::env::var("ENGINE_BENCH_BARS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(BARS_DEFAULT);
    let bars = walk(n_bars);
    let cfg = Config::default_config();
    // One full pass, timed by hand, for the headline ns/bar and the signal count.
    let (ns, signals) = timed_pass(&cfg, &bars);
    let pct = 100.0 * signals as f64 / n_bars as f64;
    eprintln!("engine: {n_bars} bars, {ns:.1} ns/bar, {signals} signals ({pct:.2} % of bars)");
    // ENGINE_BENCH_PASS_ONLY=1 stops after that pass (for callgrind: count `process_into`).
    if std::env::var_os("ENGINE_BENCH_PASS_ONLY").is_some() {
        return;
    }
    // ENGINE_BENCH_HASH=1: a differential check instead — hash every output and the whole view
    // after every bar (compare the printed hash before and after an engine change).
    if std::env::var_os("ENGINE_BENCH_HASH").is_some() {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut out = Vec::new();
        let mut engine = Engine::new(&cfg);
        for bar in &bars {
            out.clear();
            let event = EngineEvent::Bar {
                symbol: Symbol::Iwm,
                bar: *bar,
            };
            engine.process_into(event, &mut out);
            let rendered: Vec<Rendered> = out.iter().map(Rendered::of).collect();
            format!("{rendered:?}{:?}", engine.view()).hash(&mut h);
        }
        eprintln!("engine: output+view hash {:016x}", h.finish());
        return;
    }
    let mut out = Vec::new();

    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n_bars as u64));
    g.bench_function("indicators + levels + both agents", |b| {
        b.iter(|| {
            let mut engine = Engine::new(&cfg);
            let mut n = 0usize;
            for bar in &bars {
                out.clear();
                let event = EngineEvent::Bar {
                    symbol: Symbol::Iwm,
                    bar: *bar,
                };
                engine.process_into(event, &mut out);
                n += out.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
