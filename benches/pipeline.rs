//! The whole pipeline the dashboard runs, end to end: session, engine, paper broker, scorecard
//! and store, in auto mode, over the synthetic walk (`backtest --synthetic N`, streamed), at
//! 1 M and 10 M bars. A bar here is one timestamp: one bar of each of IWM, TWM and SRTY.
//!
//! Before criterion's samples, one timed pass at each size prints ns/bar and the ratio
//! time(10 M) / time(1 M), which is what shows a cost that grows with the history (a linear
//! pipeline gives 10). `PIPELINE_BENCH_BARS=200000,2000000` picks other sizes for a quick look.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use double_agent::backtest::{self, synthetic::Walk};
use double_agent::config::Config;
use double_agent::engine::{Engine, EngineEvent};
use double_agent::model::Symbol;

/// The engine alone over the same walk and order (vehicles before IWM), no session around it:
/// ns per timestamp, to print beside the pipeline's.
fn engine_only(cfg: &Config, n: usize) -> f64 {
    let mut engine = Engine::new(cfg);
    let mut out = Vec::new();
    let t = Instant::now();
    for [iwm, twm, srty] in Walk::new().take(n) {
        for (symbol, bar) in [(Symbol::Twm, twm), (Symbol::Srty, srty), (Symbol::Iwm, iwm)] {
            engine.process_into(EngineEvent::Bar { symbol, bar }, &mut out);
            out.clear();
        }
    }
    t.elapsed().as_secs_f64() * 1e9 / n as f64
}

fn sizes() -> Vec<usize> {
    std::env::var("PIPELINE_BENCH_BARS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| v.len() == 2)
        .unwrap_or_else(|| vec![1_000_000, 10_000_000])
}

fn bench(c: &mut Criterion) {
    let cfg = Config::default_config();
    let sizes = sizes();
    let mut secs = Vec::new();
    for &n in &sizes {
        let t = Instant::now();
        let r = backtest::run_synthetic(cfg.clone(), n, false);
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "pipeline: {n} bars in {s:.2} s: {:.0} ns/bar end to end ({:.0} ns/bar in the replay \
             loop), {} signals, {} fills, peak RSS {:.0} MB",
            s * 1e9 / n as f64,
            r.ns_per_bar,
            r.signal_count,
            r.fills,
            r.peak_rss_mb
        );
        secs.push(s);
        eprintln!(
            "pipeline: engine alone over the same {n} bars: {:.0} ns/bar",
            engine_only(&cfg, n)
        );
    }
    eprintln!(
        "pipeline: time({}) / time({}) = {:.2} (bars ×{:.0})",
        sizes[1],
        sizes[0],
        secs[1] / secs[0],
        sizes[1] as f64 / sizes[0] as f64
    );
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    for &n in &sizes {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(
            format!("session + engine + paper + scorecard, {n} bars"),
            |b| b.iter(|| backtest::run_synthetic(cfg.clone(), n, false).signal_count),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
