//! Whole-app snapshots: a session fed real embedded bars up to 2025-04-04, two hand-made signals,
//! then scripted keys through the real event loop on a `TestBackend`, at 200×50 and 80×24.
//! The replay status is set, so the status bar shows the replay date and never the wall clock.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::Config;
use double_agent::data::{embedded, loader::session_midnight};
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::model::{Agent, Reason, ReasonKind, Side, Signal, SignalKind, Symbol, Timeframe};
use double_agent::run::app::event_loop;
use double_agent::run::wiring::Wiring;
use double_agent::session::{Input, Session};
use double_agent::store::ReplayStatus;
use double_agent::ui::keymap::Keymap;
use futures::StreamExt;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rust_decimal_macros::dec;
use tokio::sync::mpsc;

fn day(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    session_midnight(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// Feed events of the embedded bars: history before `start`, then live steps up to `end` (exclusive).
fn feed_events(start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>) -> Vec<FeedEvent> {
    let (series, _) = embedded::series();
    let (history, steps, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    let mut out: Vec<FeedEvent> = history
        .into_iter()
        .map(|(symbol, bars)| FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        })
        .collect();
    for (t, group) in steps {
        if t >= end {
            break;
        }
        out.extend(group.into_iter().map(|(symbol, bar)| FeedEvent::Bar {
            symbol,
            timeframe: Timeframe::Day1,
            bar,
        }));
    }
    out
}

/// A paper session with live bars from 2025-03-03 to 2025-04-04 and two waiting signals:
/// #1 Bear tier 1 into TWM (selected first), #2 Bull hedge in IWM.
pub fn session() -> Session {
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "t");
    // The scripted signals below are #1 and #2: the engine's own are numbered from 63, as a
    // session continuing a journal would, so the two never share an id.
    s.set_next_signal_id(63);
    for ev in feed_events(day(2025, 3, 3), day(2025, 4, 5)) {
        s.handle(Input::Feed(ev));
    }
    s.store.replay = Some(ReplayStatus {
        speed: 2.0,
        paused: true,
        ended: false,
    });
    let time = Utc.with_ymd_and_hms(2025, 4, 4, 4, 0, 0).unwrap();
    let twm = s.store.last_price(Symbol::Twm).unwrap().round_dp(2);
    let bear = Signal {
        id: 1,
        time,
        agent: Agent::Bear,
        kind: SignalKind::BearEntry { tier: 1 },
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(310),
        reference_price: twm,
        stop_price: Some((twm * dec!(0.93)).round_dp(2)),
        iwm_stop: Some(191.62),
        record: None,
        confidence: 0.72,
        reasons: vec![
            Reason::new(
                ReasonKind::SupportBreak,
                "close 179.58 < support 187.49 − 0.25 × ATR 5.61 (m 1.41)",
            ),
            Reason::new(ReasonKind::Trend, "close < SMA50 208.30 and SMA50 < SMA200"),
        ],
    };
    let bull = Signal {
        id: 2,
        agent: Agent::Bull,
        kind: SignalKind::BullHedge,
        symbol: Symbol::Iwm,
        qty: dec!(40),
        reference_price: dec!(179.58),
        stop_price: Some(dec!(171.17)),
        iwm_stop: Some(171.17),
        record: None,
        confidence: 0.41,
        reasons: vec![Reason::new(ReasonKind::Rsi, "RSI 27.4 < 30 within 3 bars")],
        ..bear.clone()
    };
    s.inject_signal(bear);
    s.inject_signal(bull);
    // The engine proposed its own signal on these bars too; the scripted keys answer #1 first.
    s.handle(double_agent::session::Input::Action(
        double_agent::session::Action::Select { id: 1 },
    ));
    s
}

fn key(c: char) -> Event {
    let code = match c {
        '\n' => KeyCode::Enter,
        '\x1b' => KeyCode::Esc,
        '\t' => KeyCode::Tab,
        '\x08' => KeyCode::Backspace,
        c => KeyCode::Char(c),
    };
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Run the real event loop: `keys` first, then the live bars from 2025-04-07 up to `bars_until`.
/// Keys always come before feed events (the loop checks the keyboard first), so this is ordered.
async fn run(
    keys: &str,
    bars_until: Option<chrono::DateTime<Utc>>,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    run_events(keys.chars().map(key).collect(), false, bars_until, w, h).await
}

/// `paced`: events 30 ms apart, like a hand, so each one meets the frame drawn before it
/// (a mouse click needs the rows of the last frame).
async fn run_events(
    events: Vec<Event>,
    paced: bool,
    bars_until: Option<chrono::DateTime<Utc>>,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    run_session(session(), events, paced, bars_until, w, h).await
}

async fn run_session(
    session: Session,
    events: Vec<Event>,
    paced: bool,
    bars_until: Option<chrono::DateTime<Utc>>,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    let keymap = Keymap::from_config(&session.config().keys).unwrap();
    let (tx, feed_rx) = mpsc::channel(64);
    if let Some(end) = bars_until {
        for ev in feed_events(day(2025, 4, 5), end).into_iter().skip(3) {
            tx.send(ev).await.unwrap();
        }
    }
    drop(tx);
    let (_btx, broker_rx) = mpsc::unbounded_channel();
    let wiring = Wiring {
        session,
        feed_rx,
        broker_rx,
        replay: None,
        tasks: Vec::new(),
        startup: Vec::new(),
    };
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let events = futures::stream::iter(events).then(move |e| async move {
        if paced {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        e
    });
    let events = Box::pin(events);
    event_loop(
        &mut terminal,
        wiring,
        keymap,
        None,
        events,
        Some(Duration::from_millis(600)),
    )
    .await
    .unwrap();
    terminal
}

macro_rules! snap {
    ($name:literal, $keys:expr, $bars:expr) => {{
        for (w, h) in [(200u16, 50u16), (80, 24)] {
            let t = run($keys, $bars, w, h).await;
            insta::assert_snapshot!(format!("{}_{w}x{h}", $name), t.backend());
        }
    }};
}

#[tokio::test]
async fn dashboard_with_two_waiting_signals() {
    snap!("dashboard", "", None);
}

#[tokio::test]
async fn help_overlay_lists_the_live_keymap() {
    snap!("help", "?", None);
}

#[tokio::test]
async fn acknowledge_sends_the_order_and_the_next_bar_fills_it() {
    snap!("ack_filled", "a", Some(day(2025, 4, 9)));
}

#[tokio::test]
async fn override_with_a_reason_then_kill_switch() {
    snap!("override_kill", "axnK", None);
}

#[tokio::test]
async fn scorecard_compares_agent_and_trader() {
    snap!("scorecard", "axno", Some(day(2025, 4, 12)));
}

#[tokio::test]
async fn compact_pane_key_cycles_what_replaces_the_chart() {
    let t = run("\t\t\t", None, 80, 24).await;
    insta::assert_snapshot!("compact_positions_80x24", t.backend());
}

#[tokio::test]
async fn mouse_click_selects_a_signal_and_the_wheel_scrolls_the_chart() {
    let mouse = |kind, column, row| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let before = run_events(Vec::new(), false, None, 160, 48)
        .await
        .backend()
        .to_string();
    assert!(before.contains("▶ #1 BEAR"), "{before}");
    let row = before
        .lines()
        .position(|l| l.contains("#2 BULL hedge"))
        .expect("signal #2 listed") as u16;
    let events = vec![
        mouse(
            MouseEventKind::Down(crossterm::event::MouseButton::Left),
            120,
            row,
        ),
        mouse(MouseEventKind::ScrollUp, 40, 20),
        mouse(MouseEventKind::ScrollUp, 40, 20),
        // The wheel outside the chart scrolls nothing.
        mouse(MouseEventKind::ScrollUp, 120, 40),
    ];
    let after = run_events(events, true, None, 160, 48)
        .await
        .backend()
        .to_string();
    assert!(after.contains("▶ #2 BULL"), "{after}");
    assert!(after.contains("· 10 back"), "{after}");
}

#[tokio::test]
async fn edit_size_snooze_pause_mode_flatten_cancel_and_quit_confirmation() {
    // Edit #1 from 310 to 100 and acknowledge; snooze #2; pause the agents; cycle the mode;
    // flatten asks and `n` cancels; quit asks because the order is still working.
    let t = run("e\x08\x08\x08100\nspmfnq", None, 160, 48).await;
    let screen = t.backend().to_string();
    for want in [
        "working da-t-2 BUY 100 TWM",
        "signal #2 snoozed",
        " agents paused ",
        "mode AUTO",
        "Orders are still working. Quit anyway?",
    ] {
        assert!(screen.contains(want), "missing {want:?}:\n{screen}");
    }
    insta::assert_snapshot!("edit_snooze_pause_mode_quit_160x48", t.backend());
}

/// Live, with a feed failing on a long error: at 200 columns and less the status bar keeps the
/// price, the mode, the agents, the stream and the time to the close; each feed's state is one
/// short word and the error itself is in the Events pane.
#[test]
fn the_live_status_bar_keeps_what_matters_beside_a_long_feed_error() {
    use double_agent::feed::FeedHealth;
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "t");
    for ev in feed_events(day(2025, 3, 3), day(2025, 3, 4)) {
        s.handle(Input::Feed(ev));
    }
    let error = format!("GET https://example.invalid/{} timed out", "x".repeat(120));
    let since = Utc::now() - chrono::Duration::days(12);
    for (source, health) in [
        ("alpaca", FeedHealth::Connected),
        ("stream iex", FeedHealth::Connected),
        (
            "finra-si",
            FeedHealth::Failed {
                error: error.clone(),
            },
        ),
        ("finra-regsho", FeedHealth::Connected),
        ("cftc", FeedHealth::Stale { since }),
    ] {
        s.handle(Input::Feed(FeedEvent::Health {
            source: source.into(),
            health,
        }));
    }
    let now = Utc::now();
    s.handle(Input::Feed(FeedEvent::Market(
        double_agent::live::market_clock::MarketState {
            open: true,
            next_close: Some(now + chrono::Duration::hours(2)),
            next_open: None,
        },
    )));
    assert!(
        s.store.log.iter().any(|l| l.text.contains(&error)),
        "the whole error is in the Events pane"
    );
    let keymap = Keymap::from_config(&s.config().keys).unwrap();
    let theme = double_agent::ui::Theme::from_config(&s.config().ui);
    for width in [200, 160] {
        let mut view = double_agent::ui::view::ViewState::new(s.config().ui.chart_bars);
        let mut t = Terminal::new(TestBackend::new(width, 40)).unwrap();
        t.draw(|f| double_agent::ui::draw(f, &s, &mut view, &keymap, &theme))
            .unwrap();
        let screen = format!("{}", t.backend());
        let bar = screen.lines().next().unwrap();
        for want in [
            "IWM 1D",
            "MANUAL",
            "agents",
            "stream iex ● ok",
            "to the close",
        ] {
            assert!(bar.contains(want), "{width} columns, no `{want}`: {bar}");
        }
        assert!(!bar.contains("timed out"), "{bar}");
        if width >= 200 {
            assert!(bar.contains("finra-si ● FAILED"), "{bar}");
        }
    }
}

/// #1 acknowledged and filled on the bars to 2025-04-09, then its stop fires: exit #3 waits.
fn exit_session() -> Session {
    let mut s = session();
    s.handle(Input::Action(double_agent::session::Action::Acknowledge {
        id: Some(1),
        qty: None,
    }));
    s.handle(Input::Action(double_agent::session::Action::Override {
        id: Some(2),
        reason: 'o',
    }));
    for ev in feed_events(day(2025, 4, 5), day(2025, 4, 10))
        .into_iter()
        .skip(3)
    {
        s.handle(Input::Feed(ev));
    }
    let twm = s.store.last_price(Symbol::Twm).unwrap();
    let held = s.store.positions.get(&Symbol::Twm).expect("TWM held").qty;
    let exit = Signal {
        id: 3,
        time: Utc.with_ymd_and_hms(2025, 4, 9, 4, 0, 0).unwrap(),
        agent: Agent::Bear,
        kind: SignalKind::BearStop,
        symbol: Symbol::Twm,
        side: Side::Sell,
        qty: held,
        reference_price: twm,
        stop_price: None,
        iwm_stop: None,
        record: None,
        confidence: 0.9,
        reasons: vec![Reason::new(
            ReasonKind::AtrStop,
            "close 191.6281 > stop 191.6219 (lowest close 174.87 + 3 × ATR, never raised)",
        )],
    };
    s.inject_signal(exit);
    s.handle(Input::Action(double_agent::session::Action::Select {
        id: 3,
    }));
    s
}

/// A waiting exit at the two sizes a trader uses: it stands (no countdown), the replay says
/// why it is paused, and nothing is cut.
#[tokio::test]
async fn a_waiting_exit_at_80x24_and_200x50() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let t = run_session(exit_session(), Vec::new(), false, None, w, h).await;
        let screen = t.backend().to_string();
        assert!(screen.contains("#3 BEAR"), "{screen}");
        assert!(screen.contains("· stands"), "{screen}");
        assert!(!screen.contains("18446744073709"), "{screen}");
        insta::assert_snapshot!(format!("waiting_exit_{w}x{h}"), t.backend());
    }
}

/// Space over a waiting exit keeps the replay paused and says why.
#[tokio::test]
async fn space_over_a_waiting_exit_is_refused() {
    let t = run_session(exit_session(), vec![key(' ')], false, None, 200, 50).await;
    let screen = t.backend().to_string();
    assert!(screen.contains("replay paused for #3"), "{screen}");
    assert!(screen.contains("exit #3 waits for an answer"), "{screen}");
}

/// One stop everywhere: the TWM chart, the Positions pane and the Agents pane show the Bear's
/// trailed stop (not the entry's), the IWM one the same stop in IWM's price.
#[tokio::test]
async fn one_stop_on_the_vehicle_chart_the_positions_and_the_agents() {
    let twm = run_session(exit_session(), vec![key('2')], false, None, 200, 50).await;
    let screen = twm.backend().to_string();
    let after = |s: &str, pat: &str| -> String {
        let i = s.find(pat).unwrap_or_else(|| panic!("no {pat:?} in\n{s}")) + pat.len();
        s[i..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect()
    };
    let chart = after(&screen, "bear stop ");
    let row = screen
        .lines()
        .find(|l| l.contains("│TWM +310"))
        .expect("the TWM position");
    let held = after(row, "  stop ");
    let iwm = after(&screen, "(IWM ");
    assert_eq!(
        chart, held,
        "the TWM chart and the Positions pane:\n{screen}"
    );
    assert_eq!(
        after(&screen, "     stop "),
        iwm,
        "the Agents pane's IWM stop"
    );
    let iwm_chart = run_session(exit_session(), Vec::new(), false, None, 200, 50).await;
    let screen = iwm_chart.backend().to_string();
    assert_eq!(
        after(&screen, "bear stop "),
        iwm,
        "the IWM chart:\n{screen}"
    );
}

/// The size prompt at 80×24: it opens on the proposal's size, says digits replace it, and the
/// digits typed are the size (they were appended to the proposed one); every hint is whole.
#[tokio::test]
async fn the_size_prompt_replaces_the_proposed_size_and_fits_80x24() {
    let t = run("e", None, 80, 24).await;
    let screen = t.backend().to_string();
    assert!(
        screen.contains("Signal #1 size in shares: 310")
            && screen.contains("digits replace it, Enter acknowledges, Esc cancels"),
        "{screen}"
    );
    let t = run("e99", None, 80, 24).await;
    let screen = t.backend().to_string();
    assert!(
        screen.contains("Signal #1 size in shares: 99▏")
            && screen.contains("digits, Backspace, Enter acknowledges, Esc cancels"),
        "{screen}"
    );
}
