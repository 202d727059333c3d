//! "If it closes here": with `signals.decide_before_close_minutes`, the agents decide on the
//! forming daily bar before the close, the acknowledged order goes market-on-close and fills at
//! that day's close, and the closed bar does not buy the same thing again. Real embedded bars:
//! the first entry the agents make in the replay is decided again, on its bar while it forms.

use chrono::{DateTime, Duration, TimeZone, Utc};
use double_agent::broker::paper::PaperBroker;
use double_agent::config::{Config, Mode};
use double_agent::data::embedded;
use double_agent::feed::replay::{ReplayPlan, Step};
use double_agent::feed::FeedEvent;
use double_agent::model::{Bar, OrderType, Signal, SignalState, Symbol, Timeframe};
use double_agent::session::{Input, Notice, Session};

/// The embedded replay from 2018, all of it at hand.
struct Plan {
    history: Vec<(Symbol, Vec<Bar>)>,
    steps: Vec<Step>,
}

fn plan() -> Plan {
    let (series, _) = embedded::series();
    let start = Utc.with_ymd_and_hms(2018, 1, 2, 0, 0, 0).unwrap();
    let (history, steps, _) = ReplayPlan::new(Timeframe::Day1, series, start).collect();
    Plan { history, steps }
}

fn session(mode: Mode, decide: u32, plan: &Plan) -> Session {
    let mut cfg = Config::default_config();
    cfg.signals.mode = mode;
    cfg.signals.decide_before_close_minutes = decide;
    let broker = Box::new(PaperBroker::new(&cfg.paper));
    let mut s = Session::new(cfg, broker, Timeframe::Day1, "close");
    for (symbol, bars) in plan.history.clone() {
        s.handle(Input::Feed(FeedEvent::History {
            symbol,
            timeframe: Timeframe::Day1,
            bars,
        }));
    }
    s
}

fn closed(s: &mut Session, step: &Step) -> Vec<Notice> {
    let mut out = Vec::new();
    for &(symbol, bar) in &step.1 {
        out.extend(s.handle(Input::Feed(FeedEvent::Bar {
            symbol,
            timeframe: Timeframe::Day1,
            bar,
        })));
    }
    out
}

/// A step's bars as the day's forming bars.
fn forming(s: &mut Session, step: &Step) {
    for &(symbol, bar) in &step.1 {
        s.handle(Input::Feed(FeedEvent::Forming {
            symbol,
            timeframe: Timeframe::Day1,
            bar,
        }));
    }
}

fn entries(notices: &[Notice]) -> Vec<Signal> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::Signal { signal } if !signal.kind.is_exit() => Some(signal.clone()),
            _ => None,
        })
        .collect()
}

/// The step of the replay's first entry signal, and that signal, from a plain auto replay.
fn first_entry(plan: &Plan) -> (usize, Signal) {
    let mut s = session(Mode::Auto, 0, plan);
    for (k, step) in plan.steps.iter().enumerate() {
        if let Some(sig) = entries(&closed(&mut s, step)).into_iter().next() {
            return (k, sig);
        }
    }
    panic!("the embedded replay never enters");
}

fn iwm_of(step: &Step) -> Bar {
    step.1.iter().find(|(s, _)| *s == Symbol::Iwm).unwrap().1
}

/// 16:00 New York on the bar's day.
fn close_of(bar: &Bar) -> DateTime<Utc> {
    let day = bar
        .time
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    day.and_hms_opt(16, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::America::New_York)
        .unwrap()
        .with_timezone(&Utc)
}

/// Up to the day of the first entry, then that day's bars as forming bars, and the decision.
fn decide_on_the_forming_bar(mode: Mode) -> (Session, Plan, usize, Signal, Vec<Notice>) {
    let plan = plan();
    let (k, reference) = first_entry(&plan);
    let mut s = session(mode, 15, &plan);
    for step in &plan.steps[..k] {
        closed(&mut s, step);
    }
    forming(&mut s, &plan.steps[k]);
    let iwm = plan.steps[k]
        .1
        .iter()
        .find(|(s, _)| *s == Symbol::Iwm)
        .map(|(_, b)| *b)
        .unwrap();
    let close = close_of(&iwm);
    let decided = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: close - Duration::minutes(15),
        close,
    }));
    (s, plan, k, reference, decided)
}

#[test]
fn an_acknowledged_close_decision_fills_at_that_close_once() {
    let (mut s, plan, k, reference, decided) = decide_on_the_forming_bar(Mode::Auto);
    let proposed = entries(&decided);
    assert_eq!(
        proposed
            .iter()
            .map(|p| (p.kind, p.symbol))
            .collect::<Vec<_>>(),
        vec![(reference.kind, reference.symbol)],
        "the forming bar decides what the closed bar decided"
    );
    let order = s
        .store
        .working_orders()
        .map(|o| o.request.clone())
        .next()
        .expect("auto mode acknowledged it into an order");
    assert_eq!(order.order_type, OrderType::MarketOnClose);
    assert_eq!(order.signal_id, Some(proposed[0].id));
    let again = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: order.created,
        close: order.created + Duration::minutes(15),
    }));
    assert!(entries(&again).is_empty(), "one decision a day");

    let notices = closed(&mut s, &plan.steps[k]);
    let fills: Vec<_> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Fill { fill } => Some(fill.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fills.len(), 1, "{notices:#?}");
    let bar = plan.steps[k]
        .1
        .iter()
        .find(|(sym, _)| *sym == order.symbol)
        .map(|(_, b)| *b)
        .unwrap();
    let px = fills[0].price.to_string().parse::<f64>().unwrap();
    assert!(
        (px / bar.close - 1.0).abs() < 0.002 && (px - bar.close).abs() < (px - bar.open).abs(),
        "filled at the close {} (open {}), not {px}",
        bar.close,
        bar.open
    );
    assert_eq!(fills[0].qty, order.qty);
    let again: Vec<_> = entries(&notices)
        .into_iter()
        .filter(|e| e.kind == reference.kind)
        .collect();
    assert!(
        again.is_empty(),
        "the closed bar buys it a second time: {again:#?}"
    );
    let held = s.store.positions.get(&order.symbol).map(|p| p.qty);
    assert_eq!(held, Some(order.qty));
    // The ids the copy used are not used again by the engine's own later signals.
    let mut ids: Vec<u64> = proposed.iter().map(|p| p.id).collect();
    for step in &plan.steps[k + 1..(k + 250).min(plan.steps.len())] {
        ids.extend(closed(&mut s, step).iter().filter_map(|n| match n {
            Notice::Signal { signal } => Some(signal.id),
            _ => None,
        }));
    }
    assert!(ids.len() > 3, "the replay goes on signalling: {ids:?}");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        ids.len(),
        unique.len(),
        "signal ids are never reused: {ids:?}"
    );
}

#[test]
fn an_unanswered_close_decision_expires_with_the_close() {
    let (mut s, plan, k, _, decided) = decide_on_the_forming_bar(Mode::Manual);
    let id = entries(&decided)[0].id;
    assert_eq!(
        s.store.signals.get(id).map(|e| e.state),
        Some(SignalState::Proposed)
    );
    assert!(s.store.signals.get(id).unwrap().at_close.is_some());
    closed(&mut s, &plan.steps[k]);
    assert_eq!(
        s.store.signals.get(id).map(|e| e.state),
        Some(SignalState::Expired),
        "a close proposal cannot be traded after its close"
    );
    assert!(s.store.working_orders().next().is_none());
}

#[test]
fn without_the_option_the_forming_bar_decides_nothing() {
    let plan = plan();
    let (k, _) = first_entry(&plan);
    let mut s = session(Mode::Auto, 0, &plan);
    for step in &plan.steps[..k] {
        closed(&mut s, step);
    }
    let close = close_of(&plan.steps[k].1[0].1);
    let out = s.handle(Input::Feed(FeedEvent::DecideAtClose {
        at: close - Duration::minutes(15),
        close,
    }));
    assert!(entries(&out).is_empty());
}

#[test]
fn a_restart_keeps_a_close_decision_one_and_does_not_decide_the_day_again() {
    use double_agent::broker::BrokerKind;
    use double_agent::journal::Journal;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let plan = plan();
    let (k, _) = first_entry(&plan);
    let decide = |s: &mut Session| {
        let iwm = plan.steps[k]
            .1
            .iter()
            .find(|(s, _)| *s == Symbol::Iwm)
            .unwrap()
            .1;
        let close = close_of(&iwm);
        s.handle(Input::Feed(FeedEvent::DecideAtClose {
            at: close - Duration::minutes(15),
            close,
        }))
    };
    let id = {
        let mut j = Journal::open(&path).unwrap();
        j.start_sim_session("h", "replay", rust_decimal::Decimal::from(100_000))
            .unwrap();
        let mut s = session(Mode::Manual, 15, &plan).with_journal(j);
        for step in &plan.steps[..k] {
            closed(&mut s, step);
        }
        forming(&mut s, &plan.steps[k]);
        let id = entries(&decide(&mut s))[0].id;
        // The journal says what the decision saw: the forming bars, never journaled as bars.
        let filter = double_agent::journal::JournalFilter {
            kinds: vec!["close_decision".into()],
            ..Default::default()
        };
        let rows = s.journal_ref().unwrap().list(&filter).unwrap();
        assert_eq!(rows.len(), 1);
        match rows[0].entry().unwrap() {
            double_agent::journal::Entry::CloseDecision {
                forming, signals, ..
            } => {
                assert_eq!(signals, vec![id]);
                assert!(forming.contains(&(Symbol::Iwm, iwm_of(&plan.steps[k]))));
            }
            other => panic!("{other:?}"),
        }
        id
        // Dropped without a session end: the process died.
    };
    let mut j = Journal::open(&path).unwrap();
    let rec = j.recover_for(Some(BrokerKind::Sim)).unwrap();
    assert!(
        rec.close_decisions.contains_key(&id),
        "{:?}",
        rec.close_decisions
    );
    let last = rec.last_session.clone().unwrap();
    j.resume_session(&last.id).unwrap();
    let mut s = session(Mode::Manual, 15, &plan).with_journal(j);
    s.restore(&rec, None, true);
    let e = s
        .store
        .signals
        .get(id)
        .expect("the waiting close decision is back");
    assert_eq!(e.state, SignalState::Proposed);
    assert!(
        e.at_close.is_some(),
        "still a close decision, not a next-open one"
    );
    // The engine catches up on the same bars, so its copy would decide the same again.
    for step in &plan.steps[..k] {
        closed(&mut s, step);
    }
    forming(&mut s, &plan.steps[k]);
    assert!(
        entries(&decide(&mut s)).is_empty(),
        "the day is not decided twice"
    );
}

/// What the trader sees: the proposal in the Decide pane says it trades at the close.
#[test]
fn the_decide_pane_says_a_close_decision_trades_at_the_close() {
    use double_agent::ui::keymap::Keymap;
    use double_agent::ui::view::ViewState;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    let (s, _, _, _, decided) = decide_on_the_forming_bar(Mode::Manual);
    let id = entries(&decided)[0].id;
    let keymap = Keymap::from_config(&s.config().keys).unwrap();
    let theme = double_agent::ui::Theme::from_config(&s.config().ui);
    let mut view = ViewState::new(s.config().ui.chart_bars);
    let mut t = Terminal::new(TestBackend::new(160, 48)).unwrap();
    t.draw(|f| double_agent::ui::draw(f, &s, &mut view, &keymap, &theme))
        .unwrap();
    let screen = format!("{}", t.backend());
    let row = screen
        .lines()
        .find(|l| l.contains(&format!("#{id} ")))
        .unwrap_or_else(|| panic!("no row for #{id}:\n{screen}"));
    assert!(row.contains("conf") && row.contains("· MOC "), "{row}");
    assert!(
        screen.contains("market on close: decided on the forming bar,"),
        "{screen}"
    );
}

#[test]
fn the_market_closing_expires_a_waiting_close_decision_too() {
    let (mut s, _, _, _, decided) = decide_on_the_forming_bar(Mode::Manual);
    let id = entries(&decided)[0].id;
    s.handle(Input::Feed(FeedEvent::Market(
        double_agent::live::market_clock::MarketState {
            open: false,
            next_close: None,
            next_open: None,
        },
    )));
    assert_eq!(
        s.store.signals.get(id).map(|e| e.state),
        Some(SignalState::Expired)
    );
}

/// The watch line's "it triggers if it closes here" comes from the whole rule run on the forming
/// bar: on the first entry's day it names that entry; the same bar with its price back above the
/// trigger names nothing; nothing is numbered, sent or kept by asking.
#[test]
fn if_it_closed_here_runs_the_whole_rule_on_the_forming_bar() {
    use double_agent::live::watch;
    let plan = plan();
    let (k, reference) = first_entry(&plan);
    let mut s = session(Mode::Auto, 0, &plan);
    for step in &plan.steps[..k] {
        closed(&mut s, step);
    }
    assert_eq!(s.if_it_closed_here(), None, "no forming bar yet");
    forming(&mut s, &plan.steps[k]);
    let next_id = s.store.signals.total();
    assert_eq!(s.if_it_closed_here(), Some(vec![reference.kind]));
    assert_eq!(
        s.if_it_closed_here(),
        Some(vec![reference.kind]),
        "asking twice"
    );
    assert_eq!(s.store.signals.total(), next_id, "nothing proposed");
    assert_eq!(s.store.working_orders().count(), 0, "nothing sent");
    let w = watch::inputs_for(&s).expect("a forming bar");
    let line = watch::bear_watch(&w).unwrap();
    assert!(line.contains("it triggers if it closes here"), "{line}");
    // The same day, the price back where the day before closed: no signal.
    let prev = iwm_of(&plan.steps[k - 1]);
    let mut calm = iwm_of(&plan.steps[k]);
    calm.close = prev.close;
    calm.high = calm.high.max(prev.close);
    calm.low = calm.low.min(prev.close);
    s.handle(Input::Feed(FeedEvent::Forming {
        symbol: Symbol::Iwm,
        timeframe: Timeframe::Day1,
        bar: calm,
    }));
    assert_eq!(s.if_it_closed_here(), Some(vec![]));
    let line = watch::bear_watch(&watch::inputs_for(&s).unwrap()).unwrap();
    assert!(!line.contains("triggers"), "{line}");
    // The closed bar then decides exactly as the plain replay did.
    let sigs = entries(&closed(&mut s, &plan.steps[k]));
    assert_eq!(
        sigs.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![reference.kind]
    );
}
