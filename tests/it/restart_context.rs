//! What a trader sees after a crash and a restart, in process, on the embedded 2025 bars: the
//! waiting signal asked again (the replay pauses for it), the signal history and the override
//! scorecard as they were, signal numbers that go on from the journal's, and the resumed line.

use double_agent::broker::paper::PaperBroker;
use double_agent::config::{Config, Mode};
use double_agent::data::{embedded, loader::session_midnight};
use double_agent::feed::replay::ReplayPlan;
use double_agent::feed::FeedEvent;
use double_agent::journal::Journal;
use double_agent::model::{SignalState, Symbol, Timeframe};
use double_agent::run::wiring::flight;
use double_agent::session::{Action, Input, Notice, Session};

const FEED: &str = "replay:embedded from 2025-02-10";

fn plan() -> ReplayPlan {
    let (series, _) = embedded::series();
    let start = session_midnight(chrono::NaiveDate::from_ymd_opt(2025, 2, 10).unwrap());
    ReplayPlan::new(Timeframe::Day1, series, start)
}

type Steps = std::collections::VecDeque<Vec<(Symbol, double_agent::model::Bar)>>;

/// A process started the way the binary starts one: the journal recovered, the simulator
/// resumed, the history fed. Returns it and the live bars still to come.
fn start(path: &std::path::Path, cfg: &Config) -> (Session, Steps) {
    let journal = Journal::open(path).unwrap();
    let mut broker = PaperBroker::new(&cfg.paper);
    let (start, plan) = flight::start_sim_on(journal, cfg, FEED, plan(), &mut broker).unwrap();
    let mut cfg = cfg.clone();
    cfg.paper.starting_cash = start.starting_cash;
    let s = Session::new(cfg, Box::new(broker), Timeframe::Day1, "ctx");
    let mut s = flight::attach_sim(s, start).0;
    let (history, steps, _) = plan.collect();
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::history(
            symbol,
            Timeframe::Day1,
            bars,
            false,
        )));
    }
    (s, steps.into_iter().map(|(_, g)| g).collect())
}

fn step(s: &mut Session, steps: &mut Steps) -> Vec<Notice> {
    let group = steps.pop_front().expect("bars left");
    let mut out = Vec::new();
    for (symbol, bar) in group {
        out.extend(s.handle(Input::Feed(FeedEvent::Bar {
            symbol,
            timeframe: Timeframe::Day1,
            bar,
        })));
    }
    out
}

#[test]
fn a_restart_keeps_the_waiting_signal_the_history_the_scorecard_and_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(flight::JOURNAL_FILE);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Manual;
    let (mut s, mut steps) = start(&path, &cfg);
    // The first signal is overridden, the second acknowledged, the third left waiting.
    let mut answered = Vec::new();
    let waiting = loop {
        step(&mut s, &mut steps);
        let Some(id) = s.store.signals.open().map(|e| e.signal.id).next() else {
            continue;
        };
        match answered.len() {
            0 => s.handle(Input::Action(Action::Override {
                id: Some(id),
                reason: 'n',
            })),
            1 => s.handle(Input::Action(Action::Acknowledge {
                id: Some(id),
                qty: None,
            })),
            _ => break id,
        };
        answered.push(id);
    };
    let history: Vec<(u64, SignalState)> = s
        .store
        .signals
        .all()
        .iter()
        .map(|e| (e.signal.id, e.state))
        .collect();
    let tracks = s.store.scorecard.tracks().len();
    assert!(tracks >= 2, "{tracks}");
    let entries: Vec<_> = s
        .store
        .scorecard
        .tracks()
        .map(|t| (t.signal_id, t.entry))
        .collect();
    // The process dies: no clean end.
    drop(s);

    let (mut s, mut steps) = start(&path, &cfg);
    assert!(
        s.store
            .log
            .iter()
            .any(|l| l.text.starts_with("resumed session ") && l.text.contains("unclean stop")),
        "{:?}",
        s.store.log
    );
    // The dashboard's status line says so (it used to be overwritten at once).
    let status = s.store.status.as_ref().map(|l| l.text.clone());
    assert!(
        status
            .as_deref()
            .is_some_and(|t| t.starts_with("resumed session ")),
        "{status:?}"
    );
    let again: Vec<(u64, SignalState)> = s
        .store
        .signals
        .all()
        .iter()
        .map(|e| (e.signal.id, e.state))
        .collect();
    assert_eq!(again, history, "the history (j) as it was");
    assert_eq!(
        s.store.scorecard.tracks().len(),
        tracks,
        "the scorecard (o)"
    );
    // Each track entered where it did (a vehicle's history bars from before the signal entered
    // it at a price of months earlier: the scorecard showed an agent loss of $230,786).
    let again: Vec<_> = s
        .store
        .scorecard
        .tracks()
        .map(|t| (t.signal_id, t.entry))
        .collect();
    assert_eq!(again, entries);
    let overridden = s
        .store
        .scorecard
        .tracks()
        .find(|t| t.signal_id == answered[0])
        .expect("the overridden signal's track");
    assert!(overridden.choice.is_some(), "{overridden:?}");
    // The first live bar asks the waiting signal again: the dashboard pauses on that notice.
    let out = step(&mut s, &mut steps);
    assert!(
        out.iter()
            .any(|n| matches!(n, Notice::Asked { signal_id, .. } if *signal_id == waiting)),
        "{out:?}"
    );
    assert_eq!(
        s.store.signals.get(waiting).map(|e| e.state),
        Some(SignalState::Proposed)
    );
    // The next signal is numbered after the journal's last one, not after the warm-up's.
    s.handle(Input::Action(Action::Override {
        id: Some(waiting),
        reason: 'o',
    }));
    let next = loop {
        step(&mut s, &mut steps);
        if let Some(e) = s.store.signals.all().iter().find(|e| e.signal.id > waiting) {
            break e.signal.id;
        }
    };
    assert_eq!(next, waiting + 1);
}

/// `replay --session`: the recorded answers are given again to the same signals (numbered anew),
/// so a manual replay trades what the session traded instead of letting them expire.
#[test]
fn a_replayed_session_gets_the_answers_the_trader_gave() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(flight::JOURNAL_FILE);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Manual;
    let (mut s, mut steps) = start(&path, &cfg);
    let mut answered = Vec::new();
    while answered.len() < 2 {
        step(&mut s, &mut steps);
        let Some(e) = s.store.signals.open().next() else {
            continue;
        };
        let (id, sig) = (e.signal.id, e.signal.clone());
        if answered.is_empty() {
            s.handle(Input::Action(Action::Override {
                id: Some(id),
                reason: 'l',
            }));
        } else {
            s.handle(Input::Action(Action::Acknowledge {
                id: Some(id),
                qty: Some(sig.qty - rust_decimal::Decimal::ONE),
            }));
        }
        answered.push((sig, s.store.signals.get(id).unwrap().state));
    }
    drop(s);
    let j = Journal::open(&path).unwrap();
    let id = j.sessions().unwrap().last().unwrap().id.clone();
    let recorded: Vec<double_agent::session::RecordedAnswer> = j
        .session_signals(&id)
        .unwrap()
        .into_iter()
        .map(|r| double_agent::session::RecordedAnswer {
            signal: r.signal,
            state: r.state,
        })
        .collect();
    drop(j);

    // The same bars in a new process without a journal: each signal answered as it was.
    let mut s = Session::new(
        cfg.clone(),
        Box::new(PaperBroker::new(&cfg.paper)),
        Timeframe::Day1,
        "again",
    );
    s.replay_answers(recorded);
    let (history, steps, _) = plan().collect();
    for (symbol, bars) in history {
        s.handle(Input::Feed(FeedEvent::history(
            symbol,
            Timeframe::Day1,
            bars,
            false,
        )));
    }
    let mut steps: Steps = steps.into_iter().map(|(_, g)| g).collect();
    for _ in 0..40 {
        step(&mut s, &mut steps);
    }
    for (sig, state) in answered {
        let again = s
            .store
            .signals
            .all()
            .iter()
            .find(|e| e.signal.time == sig.time && e.signal.kind == sig.kind)
            .map(|e| e.state);
        assert_eq!(again, Some(state), "{} {}", sig.id, sig.kind.label());
    }
}

/// The Agents pane's "since" for an engaged Bear after a restart is the day its position began
/// (rebuilt from the journal), not the day the process came back.
#[test]
fn a_restart_keeps_the_day_the_bears_position_began() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(flight::JOURNAL_FILE);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Manual;
    let (mut s, mut steps) = start(&path, &cfg);
    // Acknowledge every signal until the Bear holds its vehicle.
    let since = loop {
        step(&mut s, &mut steps);
        let open: Vec<u64> = s.store.signals.open().map(|e| e.signal.id).collect();
        for id in open {
            s.handle(Input::Action(Action::Acknowledge {
                id: Some(id),
                qty: None,
            }));
        }
        let b = &s.engine_view().bear;
        if b.engaged && !b.held.is_zero() {
            break b.since.expect("an engaged Bear has a since");
        }
    };
    // A few more days pass, so the restart's day is not the position's first day.
    for _ in 0..3 {
        step(&mut s, &mut steps);
    }
    let before = s.engine_view().bear.since;
    assert_eq!(before, Some(since));
    drop(s);

    let (mut s, mut steps) = start(&path, &cfg);
    step(&mut s, &mut steps);
    let b = &s.engine_view().bear;
    assert!(b.engaged, "{b:?}");
    assert_eq!(b.since, Some(since), "{b:?}");
}

/// A snoozed Bear entry is asked again with the Bear's stop of that day (the one the chart draws:
/// it trailed while the entry waited), the vehicle's stop from it and a reason that says so.
#[test]
fn a_snoozed_bear_entry_comes_back_with_the_bears_stop_of_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(flight::JOURNAL_FILE);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Manual;
    let (mut s, mut steps) = start(&path, &cfg);
    let (id, proposed) = loop {
        step(&mut s, &mut steps);
        if let Some(e) = s.store.signals.open().next() {
            break (e.signal.id, e.signal.clone());
        }
    };
    s.handle(Input::Action(Action::Snooze { id: Some(id) }));
    loop {
        let out = step(&mut s, &mut steps);
        if out
            .iter()
            .any(|n| matches!(n, Notice::Asked { signal_id, .. } if *signal_id == id))
        {
            break;
        }
    }
    let e = s.store.signals.get(id).unwrap();
    let bear = &s.engine_view().bear;
    assert_eq!(e.signal.iwm_stop, bear.stop_iwm, "{bear:?}");
    assert_ne!(
        e.signal.iwm_stop, proposed.iwm_stop,
        "the stop trailed while it waited"
    );
    let stop = bear.stop_iwm.unwrap();
    let texts: Vec<String> = e
        .signal
        .reasons
        .iter()
        .map(|r| r.text.to_string())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(&format!("stop IWM {stop:.2}: the Bear's stop on "))),
        "{texts:?}"
    );
    // The proposal bar's facts say whose they are, and where IWM stands on the day it is asked.
    let iwm_now = s.store.last_price(Symbol::Iwm).unwrap();
    let day = s.store.series(Symbol::Iwm).last().unwrap().time;
    let note = format!(
        "asked again on {} after a snooze, IWM {:.2}: the facts below are {}'s, when it was proposed",
        day.format("%m-%d"),
        double_agent::model::money::to_f64(iwm_now),
        proposed.time.format("%m-%d")
    );
    assert_eq!(texts.first(), Some(&note), "{texts:?}");
    // The vehicle's stop is the same IWM stop from the day's prices.
    let lev = f64::from(e.signal.symbol.leverage()).abs();
    let iwm = s.store.last_price(Symbol::Iwm).unwrap();
    let want = double_agent::engine::sizing::vehicle_stop(
        double_agent::model::money::to_f64(e.signal.reference_price),
        lev,
        stop,
        double_agent::model::money::to_f64(iwm),
    );
    assert_eq!(
        e.signal.stop_price,
        rust_decimal::Decimal::try_from(want)
            .ok()
            .map(|d| d.round_dp(2))
    );
}

/// Every kind a session writes is one `journal --kind` accepts (the agents' memory was written
/// as `agent_memory` and refused as "no journal kind").
#[test]
fn every_kind_the_journal_writes_is_a_kind_journal_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(flight::JOURNAL_FILE);
    let mut cfg = Config::default_config();
    cfg.signals.mode = Mode::Manual;
    let (mut s, mut steps) = start(&path, &cfg);
    for _ in 0..40 {
        step(&mut s, &mut steps);
        let open: Vec<u64> = s.store.signals.open().map(|e| e.signal.id).collect();
        for id in open {
            s.handle(Input::Action(Action::Acknowledge {
                id: Some(id),
                qty: None,
            }));
        }
    }
    drop(s);
    let db = rusqlite::Connection::open(&path).unwrap();
    let mut q = db.prepare("SELECT DISTINCT kind FROM events").unwrap();
    let kinds: Vec<String> = q
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(kinds.iter().any(|k| k == "agent_memory"), "{kinds:?}");
    for k in &kinds {
        assert!(double_agent::journal::KINDS.contains(&k.as_str()), "{k}");
    }
}
