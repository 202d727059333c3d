//! The scorecard's tests: hypothetical entries, stops, exits, answers and folding.

use super::*;
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;

fn bar(day: u32, o: f64, h: f64, l: f64, c: f64) -> Bar {
    Bar {
        time: Utc.with_ymd_and_hms(2025, 4, day, 4, 0, 0).unwrap(),
        open: o,
        high: h,
        low: l,
        close: c,
        volume: 1e6,
    }
}

fn signal(id: u64, agent: Agent, kind: SignalKind, qty: Decimal, stop: Option<Decimal>) -> Signal {
    Signal {
        id,
        time: Utc.with_ymd_and_hms(2025, 4, 1, 4, 0, 0).unwrap(),
        agent,
        kind,
        symbol: Symbol::Twm,
        side: if kind.is_exit() {
            Side::Sell
        } else {
            Side::Buy
        },
        qty,
        reference_price: dec!(30),
        stop_price: stop,
        iwm_stop: None,
        confidence: 0.7,
        reasons: Vec::new(),
    }
}

fn entry(id: u64, qty: Decimal, stop: Decimal) -> Signal {
    signal(
        id,
        Agent::Bear,
        SignalKind::BearEntry { tier: 1 },
        qty,
        Some(stop),
    )
}

#[test]
fn enters_at_next_open_and_stops_out_at_the_stop() {
    let mut sc = Scorecard::default();
    sc.on_signal(&entry(1, dec!(100), dec!(28)));
    sc.on_answer(1, Answer::Override { reason: 'n' });
    sc.on_bar(Symbol::Iwm, &bar(2, 200.0, 201.0, 199.0, 200.0)); // other symbol: ignored
    sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.5, 31.0));
    let t = &sc.tracks()[0];
    assert_eq!(
        (t.phase, t.entry, t.mark),
        (Phase::Open, Some(dec!(30)), Some(dec!(31)))
    );
    assert_eq!(t.agent_pnl(), dec!(100));
    sc.on_bar(Symbol::Twm, &bar(3, 29.0, 29.2, 27.5, 27.8));
    let t = &sc.tracks()[0];
    assert_eq!(t.phase, Phase::StoppedOut);
    assert_eq!(t.mark, Some(dec!(28)));
    assert_eq!(t.agent_pnl(), dec!(-200));
    assert_eq!(t.trader_pnl(), Decimal::ZERO, "an override made nothing");
    // Closed: later bars change nothing.
    sc.on_bar(Symbol::Twm, &bar(4, 40.0, 41.0, 39.0, 40.0));
    assert_eq!(sc.tracks()[0].agent_pnl(), dec!(-200));
    let tot = sc.totals();
    assert_eq!(
        (tot.answered, tot.differing, tot.agent, tot.trader),
        (1, 1, dec!(-200), dec!(0))
    );
}

#[test]
fn a_gap_through_the_stop_fills_at_the_open() {
    let mut sc = Scorecard::default();
    sc.on_signal(&entry(1, dec!(10), dec!(28)));
    sc.on_bar(Symbol::Twm, &bar(2, 30.0, 30.0, 30.0, 30.0));
    sc.on_bar(Symbol::Twm, &bar(3, 26.0, 27.0, 25.0, 26.5));
    assert_eq!(sc.tracks()[0].mark, Some(dec!(26)));
    assert_eq!(sc.tracks()[0].agent_pnl(), dec!(-40));
}

#[test]
fn the_same_agents_exit_closes_at_the_following_open() {
    let mut sc = Scorecard::default();
    sc.on_signal(&entry(1, dec!(100), dec!(20)));
    sc.on_answer(1, Answer::Edit { qty: dec!(25) });
    sc.on_bar(Symbol::Twm, &bar(2, 30.0, 33.0, 29.0, 32.0));
    // Another agent's exit, or an exit on another symbol, leaves the track alone.
    let mut other = signal(2, Agent::Bull, SignalKind::BullStop, dec!(0), None);
    sc.on_signal(&other);
    other.agent = Agent::Bear;
    other.symbol = Symbol::Srty;
    sc.on_signal(&other);
    assert_eq!(sc.tracks()[0].phase, Phase::Open);
    sc.on_signal(&signal(
        3,
        Agent::Bear,
        SignalKind::BearStop,
        dec!(100),
        None,
    ));
    sc.on_bar(Symbol::Twm, &bar(3, 34.0, 35.0, 33.0, 34.5));
    let t = &sc.tracks()[0];
    assert_eq!((t.phase, t.mark), (Phase::Exited, Some(dec!(34))));
    assert_eq!(t.agent_pnl(), dec!(400));
    assert_eq!(
        t.trader_pnl(),
        dec!(100),
        "a quarter of the size makes a quarter"
    );
    assert_eq!(sc.tracks().len(), 1, "exits are not tracked as proposals");
}

#[test]
fn unanswered_and_snoozed_are_not_counted_and_acknowledged_match() {
    let mut sc = Scorecard::default();
    sc.on_signal(&entry(1, dec!(10), dec!(1)));
    sc.on_signal(&entry(2, dec!(10), dec!(1)));
    sc.on_signal(&entry(3, dec!(10), dec!(1)));
    sc.on_answer(1, Answer::Snooze);
    sc.on_answer(2, Answer::Acknowledge);
    sc.on_answer(3, Answer::Expire);
    sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.0, 31.0));
    assert_eq!(sc.tracks()[0].choice, None);
    assert_eq!(sc.tracks()[1].trader_pnl(), sc.tracks()[1].agent_pnl());
    assert!(!sc.tracks()[1].differs());
    let tot = sc.totals();
    assert_eq!((tot.answered, tot.differing), (2, 1));
    assert_eq!((tot.agent, tot.trader), (dec!(20), dec!(10)));
}

#[test]
fn a_proposal_without_a_stop_runs_until_its_exit() {
    let mut sc = Scorecard::default();
    sc.on_signal(&signal(
        1,
        Agent::Bull,
        SignalKind::BullHedge,
        dec!(5),
        None,
    ));
    for d in 2..6 {
        sc.on_bar(Symbol::Twm, &bar(d, 10.0, 12.0, 1.0, 11.0));
    }
    assert_eq!(sc.tracks()[0].phase, Phase::Open);
    assert_eq!(sc.tracks()[0].agent_pnl(), dec!(5));
}

#[test]
fn old_closed_tracks_fold_into_the_totals_and_open_ones_stay() {
    let mut bounded = Scorecard::with_capacity(4);
    let mut full = Scorecard::default();
    // Track 0 has no stop and never closes; the others stop out on their first bar.
    let first = signal(0, Agent::Bull, SignalKind::BullHedge, dec!(5), None);
    for sc in [&mut bounded, &mut full] {
        sc.on_signal(&first);
        sc.on_answer(0, Answer::Acknowledge);
    }
    for id in 1..100u64 {
        for sc in [&mut bounded, &mut full] {
            sc.on_signal(&entry(id, dec!(10), dec!(29)));
            sc.on_answer(id, Answer::Acknowledge);
            sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 28.0, 30.5));
        }
        assert!(
            bounded.tracks().len() <= 4 + 1 + 1,
            "{}",
            bounded.tracks().len()
        );
    }
    assert_eq!(bounded.totals(), full.totals());
    assert_eq!(bounded.tracks()[0].signal_id, 0, "the open track is kept");
    assert_eq!(bounded.tracks()[0].phase, Phase::Open);
    assert_eq!(bounded.tracks().last(), full.tracks().last());
}
