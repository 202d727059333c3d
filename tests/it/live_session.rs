//! The forming bar through the session: drawn from `store.live`, never a closed bar, gone once
//! the closed bar of its period arrives; the watch line is priced from it.

use chrono::{Duration, TimeZone, Utc};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::Config;
use double_agent::feed::FeedEvent;
use double_agent::model::{Bar, Symbol, Timeframe};
use double_agent::session::{Input, Session};

fn bar(day: i64, px: f64) -> Bar {
    Bar {
        time: Utc.with_ymd_and_hms(2025, 3, 3, 5, 0, 0).unwrap() + Duration::days(day),
        open: px,
        high: px * 1.01,
        low: px * 0.99,
        close: px,
        volume: 1e6,
    }
}

fn feed(s: &mut Session, ev: FeedEvent) -> usize {
    s.handle(Input::Feed(ev)).len()
}

#[test]
fn a_forming_bar_is_drawn_but_never_traded_and_yields_to_the_closed_bar() {
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "test");
    let history: Vec<Bar> = (0..30).map(|d| bar(d, 200.0 + (d % 5) as f64)).collect();
    feed(
        &mut s,
        FeedEvent::History {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bars: history,
        },
    );
    let n = s.store.series(Symbol::Iwm).bars().len();
    let idx = s.store.bar_index;
    let forming = bar(30, 190.0);
    let notices = feed(
        &mut s,
        FeedEvent::Forming {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: forming,
        },
    );
    assert_eq!(notices, 0, "no bar notice, no signal");
    assert_eq!(s.store.series(Symbol::Iwm).bars().len(), n);
    assert_eq!(s.store.bar_index, idx);
    let last = s.store.series(Symbol::Iwm).last().copied();
    assert_eq!(
        s.store.live.forming(Symbol::Iwm, last.as_ref()),
        Some(&forming)
    );
    let w = double_agent::live::watch::inputs_for(&s).expect("watch inputs while a bar forms");
    assert_eq!(w.now, 190.0);
    assert_eq!(w.break_atr, 0.25);
    // Another timeframe's forming bar is not ours.
    feed(
        &mut s,
        FeedEvent::Forming {
            symbol: Symbol::Twm,
            timeframe: Timeframe::Min5,
            bar: forming,
        },
    );
    assert!(s.store.live.forming(Symbol::Twm, None).is_none());
    // The closed bar of the same day arrives: it is the truth, the forming one is hidden.
    feed(
        &mut s,
        FeedEvent::Bar {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: bar(30, 191.0),
        },
    );
    let last = s.store.series(Symbol::Iwm).last().copied();
    assert_eq!(last.map(|b| b.close), Some(191.0));
    assert!(s.store.live.forming(Symbol::Iwm, last.as_ref()).is_none());
    assert!(double_agent::live::watch::inputs_for(&s).is_none());
}

/// The chart draws the forming bar in its own column and style, and names its price in the title;
/// the Agents pane adds the watch lines.
#[test]
fn the_dashboard_draws_the_forming_candle_and_the_watch_lines() {
    use double_agent::ui::keymap::Keymap;
    use double_agent::ui::view::ViewState;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    let mut s = super::ui::session();
    let last = *s.store.series(Symbol::Iwm).last().unwrap();
    let forming = Bar {
        time: last.time + Duration::days(3),
        open: last.close,
        high: last.close * 1.02,
        low: last.close * 0.97,
        close: last.close * 0.98,
        volume: 1e6,
    };
    let draw = |s: &Session| {
        let keymap = Keymap::from_config(&s.config().keys).unwrap();
        let theme = double_agent::ui::Theme::from_config(&s.config().ui);
        let mut view = ViewState::new(s.config().ui.chart_bars);
        let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
        t.draw(|f| double_agent::ui::draw(f, s, &mut view, &keymap, &theme))
            .unwrap();
        format!("{}", t.backend())
    };
    let before = draw(&s);
    assert!(!before.contains('▒') && !before.contains("forming"));
    feed(
        &mut s,
        FeedEvent::Forming {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: forming,
        },
    );
    let after = draw(&s);
    assert!(after.contains('▒'), "{after}");
    assert!(
        after.contains(&format!("forming {:.2}", forming.close)),
        "{after}"
    );
    assert!(after.contains("watch: a close"), "{after}");
}
