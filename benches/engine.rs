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

/// Feed one IWM bar through the allocation-free path, reusing `out`; returns the outputs.
#[inline]
fn step<'a>(engine: &mut Engine, bar: &Bar, out: &'a mut Vec<EngineOutput>) -> &'a [EngineOutput] {
    out.clear();
    let event = EngineEvent::Bar {
        symbol: Symbol::Iwm,
        bar: *bar,
    };
    engine.process_into(event, out);
    out
}

/// One pass through `process_into`: (ns per bar, signals).
fn timed_pass(cfg: &Config, bars: &[Bar]) -> (f64, usize) {
    let mut engine = Engine::new(cfg);
    let mut out = Vec::new();
    let start = Instant::now();
    let mut signals = 0usize;
    for bar in bars {
        // Every IWM bar yields its indicator row; the rest are signals.
        signals += step(&mut engine, bar, &mut out).len() - 1;
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
    let t = Instant::now();
    let sum = reference_loop(std::hint::black_box(&bars));
    let ns_ref = t.elapsed().as_nanos() as f64 / n_bars as f64;
    eprintln!("reference hand loop: {ns_ref:.1} ns/bar (checksum {sum:.3e})");
    // ENGINE_BENCH_PARTS=1: where the time goes — each part timed alone on the same bars.
    if std::env::var_os("ENGINE_BENCH_PARTS").is_some() {
        parts(&cfg, &bars);
        return;
    }
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
            let rendered: Vec<Rendered> = step(&mut engine, bar, &mut out)
                .iter()
                .map(Rendered::of)
                .collect();
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
                n += step(&mut engine, bar, &mut out).len();
            }
            n
        })
    });
    g.bench_function(
        "reference hand loop (RSI, ATR, SMAs, volume SMA, pivots)",
        |b| b.iter(|| reference_loop(std::hint::black_box(&bars))),
    );
    g.finish();
}

/// Time per bar of the engine's parts, each alone over the same bars (instruction counts hide
/// mispredicted branches, which is where much of the time goes). Differences between the
/// cumulative lines give the cost of levels and of the rules.
fn parts(cfg: &Config, bars: &[Bar]) {
    use double_agent::engine::indicators::{
        IndicatorSet, PivotDetector, Ring, VolumeProfile, WarmEma, WarmSma, WilderAtr, WilderRsi,
    };
    use double_agent::engine::levels::LevelBook;
    use std::hint::black_box;
    let per_bar = |t: Instant| t.elapsed().as_nanos() as f64 / bars.len() as f64;
    macro_rules! alone {
        ($name:expr, $state:expr, |$s:ident, $b:ident| $value:expr) => {{
            let mut $s = $state;
            let t = Instant::now();
            for $b in bars {
                black_box($value);
            }
            eprintln!("  {:<28} {:6.1} ns/bar", $name, per_bar(t));
        }};
    }
    eprintln!("each indicator alone:");
    alone!("Wilder RSI(14)", WilderRsi::new(14), |s, b| ta::Next::next(
        &mut s, b.close
    ));
    alone!("Wilder ATR(14)", WilderAtr::new(14), |s, b| s
        .push(b.high, b.low, b.close));
    alone!("SMA(200) (ta)", WarmSma::sma(200), |s, b| s.push(b.close));
    alone!("EMA(20) (ta)", WarmEma::ema(20), |s, b| s.push(b.close));
    alone!("ring of 252", Ring::<f64>::new(252), |s, b| s.push(b.close));
    alone!("pivots k = 5", PivotDetector::new(5), |s, b| s
        .push(0, b.high, b.low, b.volume));
    let l = &cfg.levels;
    let mut atr = WilderAtr::new(cfg.indicators.atr_period);
    alone!(
        "ATR + volume profile",
        VolumeProfile::new(l.profile_bars, l.bucket_atr),
        |s, b| {
            s.push(
                b.high,
                b.low,
                b.close,
                b.volume,
                atr.push(b.high, b.low, b.close),
            );
            s.poc()
        }
    );
    eprintln!("cumulative:");
    alone!("indicator set", IndicatorSet::new(cfg), |s, b| s.push(b));
    let mut levels = LevelBook::new(cfg);
    alone!("indicator set + levels", IndicatorSet::new(cfg), |s, b| {
        let x = s.push(b);
        levels.update(s.bars() - 1, b.close, x.atr, x.poc, x.pivots)
    });
    // Stale data: indicators, levels and the agents' bookkeeping run, no rule proposes.
    let mut out = Vec::new();
    let mut stale = Engine::new(cfg);
    stale.process(EngineEvent::DataStale(true));
    alone!("engine, rules off (stale)", stale, |e, b| step(
        &mut e, b, &mut out
    )
    .len());
    alone!("engine", Engine::new(cfg), |e, b| step(&mut e, b, &mut out)
        .len());
}

/// The yardstick, written out here so the machine's figure for it is measured, not
/// quoted: Wilder RSI(14) and ATR(14), SMA 50/100/200 and volume SMA(20) from one ring of
/// closes, k = 5 pivots by scan. No levels, profile, agents or outputs. Returns a checksum so
/// the optimiser cannot drop the work.
fn reference_loop(bars: &[Bar]) -> f64 {
    const N: usize = 14;
    const MASK: usize = 255; // ring of 256 ≥ 200 closes
    let (mut closes, mut vols) = ([0.0_f64; 256], [0.0_f64; 32]);
    let (mut highs, mut lows) = ([0.0_f64; 16], [0.0_f64; 16]);
    let (mut s50, mut s100, mut s200, mut sv) = (0.0, 0.0, 0.0, 0.0);
    let (mut gain, mut loss, mut atr) = (0.0, 0.0, 0.0);
    let mut prev = bars.first().map_or(0.0, |b| b.close);
    let mut sum = 0.0;
    for (i, b) in bars.iter().enumerate() {
        let x = b.close;
        let ch = x - prev;
        let tr = (b.high - b.low)
            .max((b.high - prev).abs())
            .max((b.low - prev).abs());
        prev = x;
        if i <= N {
            gain += ch.max(0.0) / N as f64;
            loss += (-ch).max(0.0) / N as f64;
            atr += tr / N as f64;
        } else {
            gain = (gain * (N - 1) as f64 + ch.max(0.0)) / N as f64;
            loss = (loss * (N - 1) as f64 + (-ch).max(0.0)) / N as f64;
            atr = (atr * (N - 1) as f64 + tr) / N as f64;
        }
        let rsi = 100.0 - 100.0 / (1.0 + gain / loss.max(1e-12));
        closes[i & MASK] = x;
        let old = |n: usize| if i >= n { closes[(i - n) & MASK] } else { 0.0 };
        s50 += x - old(50);
        s100 += x - old(100);
        s200 += x - old(200);
        vols[i & 31] = b.volume;
        sv += b.volume - if i >= 20 { vols[(i - 20) & 31] } else { 0.0 };
        highs[i & 15] = b.high;
        lows[i & 15] = b.low;
        let mut pivots = 0.0;
        if i >= 10 {
            let c = i - 5;
            let (ch, cl) = (highs[c & 15], lows[c & 15]);
            let (mut is_high, mut is_low) = (true, true);
            for j in (i - 10..=i).filter(|j| *j != c) {
                is_high &= ch >= highs[j & 15];
                is_low &= cl <= lows[j & 15];
            }
            pivots = f64::from(u8::from(is_high)) + f64::from(u8::from(is_low));
        }
        sum += rsi + atr + (s50 / 50.0) + (s100 / 100.0) + (s200 / 200.0) + sv / 20.0 + pivots;
    }
    sum
}

criterion_group!(benches, bench);
criterion_main!(benches);
