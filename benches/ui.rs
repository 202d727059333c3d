//! Dashboard costs: one full frame at 200×60 with 1,000 bars on the chart (target ≤ 0.5 ms), a key
//! press to its drawn frame (≤ 16 ms), a frame over a year of 1-minute bars, and the resident
//! memory of a store holding a year of 1-minute bars for three symbols (target < 50 MB).
//! Run: `cargo bench --bench ui` (the memory figure is printed first).

use chrono::{Duration, TimeZone, Utc};
use criterion::{black_box, Criterion};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::Config;
use double_agent::feed::FeedEvent;
use double_agent::model::{
    Agent, Bar, Reason, ReasonKind, Side, Signal, SignalKind, Symbol, Timeframe,
};
use double_agent::run::app::input;
use double_agent::session::{Input, Session};
use double_agent::store::ReplayStatus;
use double_agent::ui::keymap::Keymap;
use double_agent::ui::view::ViewState;
use double_agent::ui::{draw, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rust_decimal_macros::dec;

/// A deterministic random walk (no RNG crate needed for reproducible bars).
fn walk(n: usize, start: f64, step: Duration, seed: u64) -> Vec<Bar> {
    let mut x = seed;
    let mut px = start;
    let t0 = Utc.with_ymd_and_hms(2024, 1, 2, 14, 30, 0).unwrap();
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = ((x >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.02;
            let open = px;
            px *= 1.0 + r;
            Bar {
                time: t0 + step * i as i32,
                open,
                high: open.max(px) * 1.003,
                low: open.min(px) * 0.997,
                close: px,
                volume: 1e6,
            }
        })
        .collect()
}

/// A session holding `n` bars per symbol (the engine computes their indicators and levels) and one
/// waiting signal.
fn session(n: usize, tf: Timeframe) -> Session {
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, tf, "b");
    let step = Duration::seconds(tf.seconds());
    for (sym, start, seed) in [
        (Symbol::Iwm, 200.0, 1),
        (Symbol::Twm, 40.0, 2),
        (Symbol::Srty, 20.0, 3),
    ] {
        s.handle(Input::Feed(FeedEvent::History {
            symbol: sym,
            timeframe: tf,
            bars: walk(n, start, step, seed),
        }));
    }
    s.store.replay = Some(ReplayStatus {
        speed: 2.0,
        paused: true,
        ended: false,
    });
    s.inject_signal(Signal {
        id: 1,
        time: Utc::now(),
        agent: Agent::Bear,
        kind: SignalKind::BearEntry { tier: 1 },
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(310),
        reference_price: dec!(40),
        stop_price: Some(dec!(37)),
        iwm_stop: Some(191.62),
        record: None,
        confidence: 0.72,
        reasons: vec![Reason::new(
            ReasonKind::SupportBreak,
            "close 179.58 < support 187.49 − 0.25 × ATR 5.61",
        )],
    });
    s
}

fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A year of 1-minute bars (252 sessions × 390) for three symbols: resident memory, and a frame.
fn memory_report(c: &mut Criterion) {
    const YEAR_OF_MINUTES: usize = 252 * 390;
    let before = resident_kb();
    let s = session(YEAR_OF_MINUTES, Timeframe::Min1);
    let after = resident_kb();
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "memory: store with {} 1-minute bars × 3 symbols: process RSS {:.1} MB ({:.1} MB for the store)",
            YEAR_OF_MINUTES,
            a as f64 / 1024.0,
            a.saturating_sub(b) as f64 / 1024.0
        );
    }
    frame(c, "frame_200x60_year_of_1min_bars_zoom_1000", &s);
}

fn frame(c: &mut Criterion, name: &str, s: &Session) {
    let cfg = s.config();
    let keymap = Keymap::from_config(&cfg.keys).unwrap();
    let theme = Theme::new("dark", true);
    let mut view = ViewState::new(1_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function(name, |b| {
        b.iter(|| {
            // A fresh back buffer each time: the whole frame is compared and written, as on resize.
            terminal
                .draw(|f| draw(f, s, &mut view, &keymap, &theme))
                .unwrap();
            black_box(terminal.backend().buffer().area);
        })
    });
}

fn benches(c: &mut Criterion) {
    // First, so the process RSS is the store's and the binary's, not earlier benches' leftovers.
    memory_report(c);
    let mut s = session(1_000, Timeframe::Day1);
    frame(c, "frame_200x60_1000_daily_bars", &s);

    let keymap = Keymap::from_config(&s.config().keys).unwrap();
    let theme = Theme::new("dark", true);
    let mut view = ViewState::new(1_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    // Zoom in and out in turn, so every press really changes the frame.
    let keys = [']', '['].map(|k| Event::Key(KeyEvent::new(KeyCode::Char(k), KeyModifiers::NONE)));
    let mut i = 0;
    c.bench_function("key_to_frame_200x60_1000_bars", |b| {
        b.iter(|| {
            let (actions, _) = input::handle(&keys[i % 2], &keymap, &mut view, &s);
            for a in actions {
                s.handle(Input::Action(a));
            }
            terminal
                .draw(|f| draw(f, &s, &mut view, &keymap, &theme))
                .unwrap();
            i += 1;
        })
    });
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
