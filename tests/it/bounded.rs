//! Memory flat in the history: a long auto-mode run keeps the store within `[history]` and
//! decides exactly what a store that keeps everything decides.

use double_agent::backtest::synthetic;
use double_agent::broker::paper::PaperBroker;
use double_agent::config::{Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::model::{Symbol, Timeframe};
use double_agent::session::{Input, Session};

const STEPS: usize = 3_000;
const WARMUP: usize = 250;

fn run(cap: usize) -> Session {
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Auto;
    cfg.history.bars = cap;
    cfg.history.signals = cap;
    cfg.history.orders = cap;
    cfg.history.tracks = cap;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Min1, "t");
    let mut walk = synthetic::Walk::new();
    let warm: Vec<_> = walk.by_ref().take(WARMUP).collect();
    for (k, sym) in Symbol::ALL.iter().enumerate() {
        s.handle(Input::Feed(FeedEvent::History {
            symbol: *sym,
            timeframe: Timeframe::Min1,
            bars: warm.iter().map(|b| b[k]).collect(),
        }));
    }
    for [iwm, twm, srty] in walk.take(STEPS) {
        for (symbol, bar) in [(Symbol::Twm, twm), (Symbol::Srty, srty), (Symbol::Iwm, iwm)] {
            s.handle(Input::Feed(FeedEvent::Bar {
                symbol,
                timeframe: Timeframe::Min1,
                bar,
            }));
        }
    }
    s
}

#[test]
fn a_long_run_stays_within_history_and_decides_as_an_unbounded_store_does() {
    let cap = 16;
    let (small, full) = (run(cap), run(usize::MAX / 2));
    let st = &small.store;
    // A tail of at most 4,096 items trims when its slack, as large as itself, is full.
    let within = |n: usize| n <= 2 * cap;
    for sym in Symbol::ALL {
        assert!(within(st.series(sym).bars().len()), "{sym} bars");
        assert_eq!(st.series(sym).bars().total(), (WARMUP + STEPS) as u64);
    }
    assert!(within(st.indicators.len()), "{}", st.indicators.len());
    assert_eq!(
        st.indicators.len(),
        st.series(Symbol::Iwm).bars().len(),
        "rows stay aligned with IWM bars"
    );
    assert!(
        st.signals.total() > 2 * cap as u64,
        "the walk signals more than the capacity: {}",
        st.signals.total()
    );
    assert!(within(st.signals.all().len()), "{}", st.signals.all().len());
    assert!(within(st.orders.len()), "{}", st.orders.len());
    assert!(st.scorecard.tracks().len() <= cap + cap / 4 + 8);

    let fs = &full.store;
    assert_eq!(fs.signals.total(), st.signals.total());
    assert_eq!(
        fs.signals.all().len() as u64,
        fs.signals.total(),
        "nothing trimmed"
    );
    assert_eq!((st.cash, st.equity), (fs.cash, fs.equity));
    assert_eq!(st.positions, fs.positions);
    assert_eq!(st.scorecard.totals(), fs.scorecard.totals());
    assert_eq!(st.signals.all().last(), fs.signals.all().last());
    assert_eq!(st.orders.last(), fs.orders.last());
    let n = st.indicators.len();
    assert_eq!(
        &st.indicators[..],
        &fs.indicators[fs.indicators.len() - n..]
    );
}
