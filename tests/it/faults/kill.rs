//! Property: while the kill switch is engaged, no action, key, bar or signal sends an order.
//! The switch may be toggled inside the sequence; every step is checked against the state the
//! switch was in before and after it, so releasing it is allowed to trade again.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use double_agent::backtest::synthetic;
use double_agent::broker::paper::PaperBroker;
use double_agent::config::{Config, Mode};
use double_agent::feed::FeedEvent;
use double_agent::model::{Agent, Side, Signal, SignalKind, Symbol, Timeframe};
use double_agent::run::app::input::handle as handle_key;
use double_agent::session::{Action, Input, Session};
use double_agent::ui::keymap::Keymap;
use double_agent::ui::view::ViewState;
use proptest::prelude::*;
use rust_decimal::Decimal;

const N: usize = 700;
const WARMUP: usize = 300;

#[derive(Debug, Clone)]
enum Step {
    Act(Action),
    Key(char),
    /// Live bars for the next `k` minutes (the simulator fills here; agents may speak).
    Bars(usize),
    Signal {
        symbol: usize,
        sell: bool,
        qty: u32,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let id = proptest::option::of(1u64..12);
    prop_oneof![
        (id.clone(), proptest::option::of(0u32..500)).prop_map(|(id, q)| Action::Acknowledge {
            id,
            qty: q.map(Decimal::from)
        }),
        (id.clone(), proptest::char::range('a', 'z'))
            .prop_map(|(id, reason)| Action::Override { id, reason }),
        id.prop_map(|id| Action::Snooze { id }),
        (1u64..12).prop_map(|id| Action::Select { id }),
        Just(Action::SelectNext),
        Just(Action::SelectPrev),
        Just(Action::Flatten),
        Just(Action::TogglePauseAgents),
        Just(Action::CycleMode),
        // Rare: releasing is allowed, the property follows the switch's state.
        Just(Action::ToggleKill),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => action().prop_map(Step::Act),
        4 => prop_oneof![
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
            Just('\n'), Just('\x1b'), Just(' '), Just('?'), Just('K'), Just('F'),
        ].prop_map(Step::Key),
        2 => (1usize..6).prop_map(Step::Bars),
        2 => (0usize..3, any::<bool>(), 1u32..400)
            .prop_map(|(symbol, sell, qty)| Step::Signal { symbol, sell, qty }),
    ]
}

struct Rig {
    s: Session,
    bars: Vec<(Symbol, Vec<double_agent::model::Bar>)>,
    at: usize,
    next_id: u64,
}

impl Rig {
    /// Warmed up, holding TWM (so Flatten has something to sell), one order working, killed.
    fn new() -> Rig {
        let mut cfg = Config::default_config();
        cfg.signals.mode = Mode::Manual;
        let broker = Box::new(PaperBroker::new(&cfg.paper));
        let mut s = Session::new(cfg, broker, Timeframe::Min1, "kill");
        let bars = synthetic::series(N);
        for (symbol, b) in &bars {
            s.handle(Input::Feed(FeedEvent::History {
                symbol: *symbol,
                timeframe: Timeframe::Min1,
                bars: b[..WARMUP].to_vec(),
            }));
        }
        let mut r = Rig {
            s,
            bars,
            at: WARMUP,
            next_id: 1_000,
        };
        r.signal(1, false, 20);
        r.s.handle(Input::Action(Action::Acknowledge {
            id: None,
            qty: None,
        }));
        r.advance(1);
        r.signal(1, false, 10);
        r.s.handle(Input::Action(Action::Acknowledge {
            id: None,
            qty: None,
        }));
        assert!(
            r.s.store.positions.contains_key(&Symbol::Twm),
            "{:#?}",
            r.s.store.log
        );
        r.s.handle(Input::Action(Action::ToggleKill));
        assert!(r.s.kill_switch());
        r
    }

    fn advance(&mut self, k: usize) {
        for _ in 0..k.min(N - 1 - self.at) {
            self.at += 1;
            for sym in [Symbol::Twm, Symbol::Srty, Symbol::Iwm] {
                let bar = self.bars.iter().find(|(s, _)| *s == sym).unwrap().1[self.at];
                self.s.handle(Input::Feed(FeedEvent::Bar {
                    symbol: sym,
                    timeframe: Timeframe::Min1,
                    bar,
                }));
            }
        }
    }

    fn signal(&mut self, symbol: usize, sell: bool, qty: u32) {
        self.next_id += 1;
        let sym = Symbol::ALL[symbol];
        let px = self.s.store.last_price(sym).unwrap_or(Decimal::ONE);
        self.s.inject_signal(Signal {
            id: self.next_id,
            time: self.s.store.now.unwrap(),
            agent: if sell { Agent::Bull } else { Agent::Bear },
            kind: if sell {
                SignalKind::BearStop
            } else {
                SignalKind::BearEntry { tier: 1 }
            },
            symbol: sym,
            side: if sell { Side::Sell } else { Side::Buy },
            qty: Decimal::from(qty),
            reference_price: px,
            stop_price: None,
            iwm_stop: None,
            record: None,
            confidence: 0.6,
            reasons: vec![],
        });
    }
}

fn key(c: char) -> Event {
    let code = match c {
        '\n' => KeyCode::Enter,
        '\x1b' => KeyCode::Esc,
        c => KeyCode::Char(c),
    };
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn kill_switch_engaged_means_no_order_but_an_exit(steps in proptest::collection::vec(step(), 1..60)) {
        let mut r = Rig::new();
        let keymap = Keymap::from_config(&r.s.config().keys).unwrap();
        let mut view = ViewState::new(200);
        for st in steps {
            let (killed, before) = (r.s.kill_switch(), r.s.store.orders.len());
            let held_before: std::collections::BTreeMap<_, _> =
                r.s.store.positions.values().map(|p| (p.symbol, p.qty)).collect();
            match st {
                Step::Act(a) => { r.s.handle(Input::Action(a)); }
                Step::Key(c) => {
                    let (actions, _) = handle_key(&key(c), &keymap, &mut view, &r.s);
                    for a in actions {
                        r.s.handle(Input::Action(a));
                    }
                }
                Step::Bars(k) => r.advance(k),
                Step::Signal { symbol, sell, qty } => r.signal(symbol, sell, qty),
            }
            // While killed, the only orders are ways out: sells of no more than was held.
            if killed && r.s.kill_switch() {
                for o in &r.s.store.orders[before..] {
                    let held = held_before.get(&o.request.symbol).copied().unwrap_or_default();
                    prop_assert_eq!(o.request.side, Side::Sell, "a buy while killed");
                    prop_assert!(o.request.qty <= held, "sold {} of {} held", o.request.qty, held);
                }
            }
        }
    }
}
