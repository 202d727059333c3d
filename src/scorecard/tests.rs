//! The scorecard's tests: hypothetical entries, stops, exits, answers and folding.

use super::*;
use crate::model::test_bar as bar;
use crate::model::SignalKind;
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;

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
        record: None,
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

/// A restart feeds a symbol's history after the IWM bars that bring the journaled signals back:
/// a bar from before the signal (or of its own day) must neither enter nor close its track.
#[test]
fn bars_from_before_the_signal_move_nothing() {
    let mut sc = Scorecard::default();
    let mut s = entry(1, dec!(100), dec!(28));
    s.time = Utc.with_ymd_and_hms(2025, 4, 3, 4, 0, 0).unwrap();
    sc.on_signal(&s);
    sc.on_bar(Symbol::Twm, &bar(1, 90.0, 91.0, 89.0, 90.0));
    sc.on_bar(Symbol::Twm, &bar(3, 50.0, 51.0, 49.0, 50.0));
    assert_eq!(sc.tracks().next().unwrap().phase, Phase::Pending);
    sc.on_bar(Symbol::Twm, &bar(4, 30.0, 31.0, 29.5, 31.0));
    let t = sc.tracks().next().unwrap();
    assert_eq!((t.phase, t.entry), (Phase::Open, Some(dec!(30))));
    let mut exit = signal(2, Agent::Bear, SignalKind::BearStop, dec!(100), None);
    exit.time = Utc.with_ymd_and_hms(2025, 4, 8, 4, 0, 0).unwrap();
    sc.on_signal(&exit);
    sc.on_bar(Symbol::Twm, &bar(7, 32.0, 33.0, 31.5, 32.0));
    assert_eq!(sc.tracks().next().unwrap().phase, Phase::Closing);
    sc.on_bar(Symbol::Twm, &bar(9, 33.0, 34.0, 32.5, 33.0));
    let t = sc.tracks().next().unwrap();
    assert_eq!((t.phase, t.mark), (Phase::Exited, Some(dec!(33))));
}

#[test]
fn enters_at_next_open_and_stops_out_at_the_stop() {
    let mut sc = Scorecard::default();
    sc.on_signal(&entry(1, dec!(100), dec!(28)));
    sc.on_answer(1, Answer::Override { reason: 'n' });
    sc.on_bar(Symbol::Iwm, &bar(2, 200.0, 201.0, 199.0, 200.0)); // other symbol: ignored
    sc.on_bar(Symbol::Twm, &bar(2, 30.0, 31.0, 29.5, 31.0));
    let t = &sc.tracks().next().unwrap();
    assert_eq!(
        (t.phase, t.entry, t.mark),
        (Phase::Open, Some(dec!(30)), Some(dec!(31)))
    );
    assert_eq!(t.agent_pnl(), dec!(100));
    sc.on_bar(Symbol::Twm, &bar(3, 29.0, 29.2, 27.5, 27.8));
    let t = &sc.tracks().next().unwrap();
    assert_eq!(t.phase, Phase::StoppedOut);
    assert_eq!(t.mark, Some(dec!(28)));
    assert_eq!(t.agent_pnl(), dec!(-200));
    assert_eq!(t.trader_pnl(), Decimal::ZERO, "an override made nothing");
    // Closed: later bars change nothing.
    sc.on_bar(Symbol::Twm, &bar(4, 40.0, 41.0, 39.0, 40.0));
    assert_eq!(sc.tracks().next().unwrap().agent_pnl(), dec!(-200));
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
    assert_eq!(sc.tracks().next().unwrap().mark, Some(dec!(26)));
    assert_eq!(sc.tracks().next().unwrap().agent_pnl(), dec!(-40));
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
    assert_eq!(sc.tracks().next().unwrap().phase, Phase::Open);
    sc.on_signal(&signal(
        3,
        Agent::Bear,
        SignalKind::BearStop,
        dec!(100),
        None,
    ));
    sc.on_bar(Symbol::Twm, &bar(3, 34.0, 35.0, 33.0, 34.5));
    let t = &sc.tracks().next().unwrap();
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
    assert_eq!(sc.tracks().next().unwrap().choice, None);
    assert_eq!(
        sc.tracks().nth(1).unwrap().trader_pnl(),
        sc.tracks().nth(1).unwrap().agent_pnl()
    );
    assert!(!sc.tracks().nth(1).unwrap().differs());
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
    assert_eq!(sc.tracks().next().unwrap().phase, Phase::Open);
    assert_eq!(sc.tracks().next().unwrap().agent_pnl(), dec!(5));
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
    assert_eq!(
        bounded.tracks().next().unwrap().signal_id,
        0,
        "the open track is kept"
    );
    assert_eq!(bounded.tracks().next().unwrap().phase, Phase::Open);
    assert_eq!(bounded.tracks().last(), full.tracks().last());
}

/// The scan the scorecard replaced: every track looked at on every bar. The heaps, lazy marks and
/// folding must give the same tracks and totals.
mod reference {
    use super::*;

    #[derive(Default)]
    pub struct Scan(pub Vec<Track>);

    impl Scan {
        pub fn on_signal(&mut self, s: &Signal) {
            if s.kind.is_exit() {
                for t in &mut self.0 {
                    if t.agent == s.agent
                        && t.symbol == s.symbol
                        && matches!(t.phase, Phase::Pending | Phase::Open)
                    {
                        t.phase = Phase::Closing;
                        t.closing_after = Some(s.time);
                    }
                }
                return;
            }
            self.0.push(Track::proposed(s));
        }

        pub fn on_bar(&mut self, symbol: Symbol, bar: &Bar) {
            let (open, high, low, close) = (
                price(bar.open),
                price(bar.high),
                price(bar.low),
                price(bar.close),
            );
            for t in self.0.iter_mut().filter(|t| t.symbol == symbol) {
                match t.phase {
                    Phase::StoppedOut | Phase::Exited => continue,
                    Phase::Closing if t.closing_after.is_some_and(|at| bar.time <= at) => continue,
                    Phase::Pending if bar.time <= t.time => continue,
                    Phase::Closing => {
                        t.entry.get_or_insert(open);
                        t.mark = Some(open);
                        t.phase = Phase::Exited;
                        continue;
                    }
                    Phase::Pending => {
                        t.entry = Some(open);
                        t.phase = Phase::Open;
                    }
                    Phase::Open => {}
                }
                let hit = t.stop.and_then(|stop| match t.side {
                    Side::Buy if low <= stop => Some(open.min(stop)),
                    Side::Sell if high >= stop => Some(open.max(stop)),
                    _ => None,
                });
                match hit {
                    Some(px) => {
                        t.mark = Some(px);
                        t.phase = Phase::StoppedOut;
                    }
                    None => t.mark = Some(close),
                }
            }
        }

        pub fn on_answer(&mut self, id: u64, choice: Choice) {
            if let Some(t) = self.0.iter_mut().find(|t| t.signal_id == id) {
                t.choice = Some(choice);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Entry {
        bull: bool,
        sym: usize,
        sell: bool,
        stop: Option<i64>,
    },
    Exit {
        bull: bool,
        sym: usize,
    },
    Bar {
        sym: usize,
        open: i64,
        wick: i64,
    },
    Answer {
        back: u64,
        ack: bool,
    },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (any::<bool>(), 0..3usize, proptest::bool::weighted(0.2), proptest::option::weighted(0.8, 80..120i64))
            .prop_map(|(bull, sym, sell, stop)| Op::Entry { bull, sym, sell, stop }),
        1 => (any::<bool>(), 0..3usize).prop_map(|(bull, sym)| Op::Exit { bull, sym }),
        6 => (0..3usize, 80..120i64, 0..45i64).prop_map(|(sym, open, wick)| Op::Bar { sym, open, wick }),
        2 => (0..4u64, any::<bool>()).prop_map(|(back, ack)| Op::Answer { back, ack }),
    ]
}

proptest::proptest! {
    #[test]
    fn the_scorecard_matches_a_scan_of_every_track(
        ops in proptest::collection::vec(op(), 1..300),
        // Answers come at most four signals late; a cap above that keeps their tracks.
        cap in 5usize..12,
    ) {
        let mut sc = Scorecard::with_capacity(cap);
        let mut scan = reference::Scan::default();
        let mut id = 0u64;
        for op in ops {
            match op {
                Op::Entry { bull, sym, sell, stop } => {
                    id += 1;
                    let (agent, kind) = if bull { (Agent::Bull, SignalKind::BullHedge) } else { (Agent::Bear, SignalKind::BearEntry { tier: 1 }) };
                    let mut s = signal(id, agent, kind, dec!(10), stop.map(Decimal::from));
                    s.symbol = Symbol::ALL[sym];
                    s.side = if sell { Side::Sell } else { Side::Buy };
                    sc.on_signal(&s);
                    scan.on_signal(&s);
                }
                Op::Exit { bull, sym } => {
                    id += 1;
                    let (agent, kind) = if bull { (Agent::Bull, SignalKind::BullHedgeExit) } else { (Agent::Bear, SignalKind::BearStop) };
                    let mut s = signal(id, agent, kind, dec!(10), None);
                    s.symbol = Symbol::ALL[sym];
                    sc.on_signal(&s);
                    scan.on_signal(&s);
                }
                Op::Bar { sym, open, wick } => {
                    let o = open as f64;
                    // Thirds: lows and highs off the grid of stops, and now and then on it.
                    let w = wick as f64 / 3.0;
                    let b = bar(2, o, o + w, o - w, o + w / 2.0 - 3.0);
                    sc.on_bar(Symbol::ALL[sym], &b);
                    scan.on_bar(Symbol::ALL[sym], &b);
                }
                Op::Answer { back, ack } => {
                    let target = id.saturating_sub(back);
                    let (answer, choice) = if ack { (Answer::Acknowledge, Choice::Acknowledged) } else { (Answer::Override { reason: 'n' }, Choice::Overridden { reason: 'n' }) };
                    sc.on_answer(target, answer);
                    scan.on_answer(target, choice);
                }
            }
        }
        // Every kept track is the scan's track of the same signal, marks included.
        for t in sc.tracks() {
            let r = scan.0.iter().find(|r| r.signal_id == t.signal_id).unwrap();
            proptest::prop_assert_eq!(&t, r);
        }
        // Nothing open was folded away.
        let open = scan.0.iter().filter(|t| !t.is_closed()).count();
        proptest::prop_assert_eq!(sc.tracks().filter(|t| !t.is_closed()).count(), open);
        let mut want = Totals::default();
        for t in scan.0.iter().filter(|t| t.choice.is_some()) {
            add(&mut want, t);
        }
        proptest::prop_assert_eq!(sc.totals(), want);
    }
}
