//! The thesis on screen through the session: the embedded replay (bundled CFTC, FINRA and RUT
//! data) shows at every IWM bar only reports already published; the articles' figures appear on
//! their days; the Bear's signals cite dated positioning; the headless notice carries dollars.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::Config;
use double_agent::data::{embedded, loader::session_midnight};
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::model::{Agent, Bar, Signal, Symbol, Timeframe};
use double_agent::positioning::{si_published, tff_published};
use double_agent::session::{Input, Notice, Session};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn new_session() -> Session {
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    Session::new(cfg, broker, Timeframe::Day1, "pos")
}

/// History before `start`, then the replay's own steps (in its symbol order) to the end.
fn replay_events(start: NaiveDate) -> Vec<FeedEvent> {
    let (series, _) = embedded::series();
    let (history, steps, _) =
        ReplayPlan::new(Timeframe::Day1, series, session_midnight(start)).collect();
    let mut out: Vec<FeedEvent> = history
        .into_iter()
        .map(|(symbol, bars)| FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        })
        .collect();
    for (_, group) in steps {
        out.extend(group.into_iter().map(|(symbol, bar)| FeedEvent::Bar {
            symbol,
            timeframe: Timeframe::Day1,
            bar,
        }));
    }
    out
}

fn ny_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::America::New_York).date_naive()
}

#[test]
fn the_replay_never_shows_a_report_before_its_publication_and_the_articles_figures_appear() {
    let mut s = new_session();
    let mut signals: Vec<Signal> = Vec::new();
    let mut reports: Vec<serde_json::Value> = Vec::new();
    let (mut checked, mut aug8, mut jul18) = (0, false, false);
    for ev in replay_events(d("2018-01-02")) {
        let iwm_bar = match &ev {
            FeedEvent::Bar {
                symbol: Symbol::Iwm,
                bar,
                ..
            } => Some(*bar),
            _ => None,
        };
        for n in s.handle(Input::Feed(ev)) {
            match n {
                Notice::Signal { signal } => signals.push(signal),
                n @ Notice::PositioningReport { .. } => {
                    reports.push(serde_json::to_value(&n).unwrap())
                }
                _ => {}
            }
        }
        let Some(bar) = iwm_bar else { continue };
        let close = bar.time + chrono::Duration::seconds(86_399);
        let day = ny_day(bar.time);
        let sum = s.store.positioning_summary().unwrap();
        for f in &sum.futures {
            assert_eq!(f.published, tff_published(f.report_date));
            assert!(
                f.published <= close,
                "{day}: {} of {}",
                f.market,
                f.report_date
            );
            checked += 1;
        }
        for l in &sum.short_interest {
            let r = s
                .store
                .positioning
                .short_interest(&l.symbol)
                .into_iter()
                .find(|r| r.settlement_date == l.settlement_date)
                .unwrap();
            assert!(
                si_published(&r) <= day,
                "{day}: SI of {}",
                l.settlement_date
            );
        }
        for l in &sum.short_volume {
            assert!(l.date <= day, "{day}: short volume of {}", l.date);
        }
        if day == d("2025-08-08") {
            aug8 = true;
            let rty = &sum.futures[0];
            assert_eq!(
                (rty.market.as_str(), rty.report_date),
                ("RTY", d("2025-08-05"))
            );
            let short = rty.lev_money_short_usd.unwrap() / 1e9;
            let net = rty.lev_money_net_usd.unwrap() / 1e9;
            assert!(
                (short - 20.0).abs() < 0.1 && (net + 13.0).abs() < 0.1,
                "{short} {net}"
            );
            assert_eq!(
                rty.short_record_since.map(|d| d.to_string()),
                Some("2018-01-02".into())
            );
            let lines = sum.lines(day);
            assert!(
                lines[0].contains("$20.05 B") && lines[0].contains("record since 2018"),
                "{lines:?}"
            );
        }
        if day == d("2025-07-18") {
            jul18 = true;
            let iwm = sum
                .short_interest
                .iter()
                .find(|l| l.symbol == "IWM")
                .unwrap();
            assert_eq!(
                (iwm.settlement_date, iwm.shares_short),
                (d("2025-06-30"), 90_860_000)
            );
        }
    }
    assert!(aug8 && jul18 && checked > 1500, "{checked}");

    // The Bear's signals of July–August 2025 cite dated positioning evidence.
    let window: Vec<&Signal> = signals
        .iter()
        .filter(|s| s.agent == Agent::Bear)
        .filter(|s| (d("2025-07-18")..=d("2025-08-31")).contains(&ny_day(s.time)))
        .collect();
    assert!(!window.is_empty(), "no Bear signal in the window");
    let cites = |sig: &&&Signal| {
        let texts: Vec<String> = sig.reasons.iter().map(|r| r.text.to_string()).collect();
        texts
            .iter()
            .any(|t| t.contains("short interest") && t.contains("(settled 2025-0"))
            && texts.iter().any(|t| {
                t.contains("E-mini Russell 2000")
                    && t.contains("on 2025-0")
                    && t.contains("released 2025-0")
            })
    };
    assert!(
        window.iter().any(|s| cites(&s)),
        "{:?}",
        window.iter().map(|s| &s.reasons).collect::<Vec<_>>()
    );
    for sig in &window {
        for r in &sig.reasons {
            assert!(
                !r.text
                    .to_string()
                    .contains("short interest rising: no data"),
                "{}",
                r.text
            );
        }
    }

    // Headless: one line per newly released RTY report, with the dollar figures.
    let aug = reports
        .iter()
        .find(|r| r["futures"]["report_date"] == "2025-08-05")
        .expect("the 08-05 report's notice");
    assert_eq!(aug["type"], "positioning_report");
    assert_eq!(aug["futures"]["report"], "combined");
    assert_eq!(aug["futures"]["index_level"], 2225.67);
    let short = aug["futures"]["lev_money_short_usd"].as_f64().unwrap();
    let net = aug["futures"]["lev_money_net_usd"].as_f64().unwrap();
    assert!((short / 1e9 - 20.05).abs() < 0.01 && (net / 1e9 + 13.0).abs() < 0.05);
    assert!(reports
        .iter()
        .any(|r| r["futures"]["report"] == "futures_only"));
}

fn bar(day: &str, px: f64) -> Bar {
    Bar {
        time: Utc.from_utc_datetime(&d(day).and_hms_opt(4, 0, 0).unwrap()),
        open: px,
        high: px,
        low: px,
        close: px,
        volume: 1e6,
    }
}

/// The vehicles' bars of a new day arriving before IWM's used to hide the day from the
/// positioning refresh: the 2025-07-15 report (public 07-25) never showed.
#[test]
fn vehicle_bars_first_on_a_new_day_do_not_hide_a_newly_published_report() {
    let mut s = new_session();
    for (sym, day, px) in [
        (Symbol::Iwm, "2025-07-24", 220.0),
        (Symbol::Twm, "2025-07-24", 30.0),
        (Symbol::Twm, "2025-07-25", 30.5),
        (Symbol::Srty, "2025-07-25", 20.5),
        (Symbol::Iwm, "2025-07-25", 219.0),
    ] {
        s.handle(Input::Feed(FeedEvent::Bar {
            symbol: sym,
            timeframe: Timeframe::Day1,
            bar: bar(day, px),
        }));
    }
    let sum = s.store.positioning_summary().unwrap();
    let iwm = sum
        .short_interest
        .iter()
        .find(|l| l.symbol == "IWM")
        .unwrap();
    assert_eq!(iwm.settlement_date, d("2025-07-15"));
    let fact = sum.evidence.short_interest_rising.as_ref().unwrap();
    assert!(
        fact.text().contains("89.58 M") && fact.text().contains("(settled 2025-06-30)"),
        "{}",
        fact.text()
    );
}

/// A session replayed to the IWM bar of `until`, the articles' Russell levels configured.
fn session_at(until: &str) -> Session {
    let mut cfg = Config::default_config();
    cfg.levels.index_levels = vec![1924.0, 1989.0, 2114.0, 2284.0];
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "pos");
    for ev in replay_events(d("2025-01-02")) {
        let last = matches!(&ev, FeedEvent::Bar { symbol: Symbol::Iwm, bar, .. } if ny_day(bar.time) == d(until));
        s.handle(Input::Feed(ev));
        if last {
            break;
        }
    }
    s.store.replay = Some(double_agent::store::ReplayStatus {
        speed: 1.0,
        paused: true,
        ended: false,
    });
    s
}

fn draw(
    s: &Session,
    w: u16,
    h: u16,
    pane: Option<&str>,
) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    let keymap = double_agent::ui::keymap::Keymap::from_config(&s.config().keys).unwrap();
    let theme = double_agent::ui::Theme::new(&s.config().ui.theme, false);
    let mut view = double_agent::ui::view::ViewState::new(120);
    if let Some(p) = pane {
        view.pane = double_agent::ui::COMPACT_PANES
            .iter()
            .position(|x| *x == p)
            .unwrap();
    }
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| double_agent::ui::draw(f, s, &mut view, &keymap, &theme))
        .unwrap();
    t
}

#[test]
fn the_russell_levels_are_supports_and_resistances_at_the_iwm_rut_ratio() {
    let s = session_at("2025-08-08");
    let bar = *s.store.series(Symbol::Iwm).last().unwrap();
    let rut = s
        .store
        .positioning
        .russell_close(d("2025-08-08"))
        .unwrap()
        .1;
    let levels = s.index_levels();
    assert_eq!(levels.len(), 4);
    let (points, price) = levels[1];
    assert_eq!(points, 1989.0);
    assert!((price - 1989.0 * bar.close / rut).abs() < 1e-9);
    // In the engine, as configured levels near that price (placed at the ratio of a recent day).
    let configured: Vec<f64> = s
        .engine_view()
        .levels
        .iter()
        .filter(|l| l.source == double_agent::engine::LevelSource::Configured)
        .map(|l| l.price)
        .collect();
    assert_eq!(configured.len(), 4, "{configured:?}");
    assert!(
        configured.iter().any(|p| (p / price - 1.0).abs() < 0.006),
        "{configured:?} {price}"
    );
    let t = draw(&s, 200, 50, None);
    let screen = format!("{}", t.backend());
    assert!(
        screen.contains("RUT 2284") || screen.contains("RUT 2114"),
        "{screen}"
    );
}

#[test]
fn positioning_pane_snapshots() {
    let s = session_at("2025-08-08");
    insta::assert_snapshot!(
        "positioning_2025-08-08_200x50",
        draw(&s, 200, 50, None).backend()
    );
    insta::assert_snapshot!(
        "positioning_pane_2025-08-08_110x30",
        draw(&s, 110, 30, Some("positioning")).backend()
    );
    let s = session_at("2025-07-18");
    insta::assert_snapshot!(
        "positioning_pane_2025-07-18_110x30",
        draw(&s, 110, 30, Some("positioning")).backend()
    );
}

/// Intraday, the CFTC's Friday 15:30 ET release appears on the first bar that closes after it,
/// not at the next day's first bar and not before.
#[test]
fn an_intraday_replay_sees_the_cftc_release_at_1530_eastern() {
    let cfg = Config::default_config();
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Min15, "pos");
    // Friday 2025-08-08, 09:30–16:00 ET = 13:30–20:00 UTC.
    let open = Utc.with_ymd_and_hms(2025, 8, 8, 13, 30, 0).unwrap();
    let mut first_seen = None;
    for i in 0..26 {
        let time = open + chrono::Duration::minutes(15 * i);
        s.handle(Input::Feed(FeedEvent::Bar {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Min15,
            bar: Bar {
                time,
                ..bar("2025-08-08", 220.0)
            },
        }));
        let rty = &s.store.positioning_summary().unwrap().futures[0];
        if rty.report_date == d("2025-08-05") {
            first_seen.get_or_insert(time);
        } else {
            assert_eq!(rty.report_date, d("2025-07-29"), "{time}");
        }
    }
    assert_eq!(
        first_seen,
        Some(Utc.with_ymd_and_hms(2025, 8, 8, 19, 30, 0).unwrap()),
        "the bar that starts at 15:30 ET"
    );
}
