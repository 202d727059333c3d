//! Property tests: the kill switch admits nothing, no approved entry breaks a cap, and a gate
//! with bounded memory refuses exactly the repeats an unbounded one would.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::tests::{costs, ctx, limits, order, t0};
use super::*;
use crate::model::{Side, Symbol};

impl RiskGate {
    /// `check` on a copy, for every test of the gate: they look at the order again.
    #[allow(clippy::result_large_err)]
    pub(super) fn check_copy(
        &mut self,
        o: &OrderRequest,
        ctx: &RiskContext,
    ) -> Result<RiskApproved, RiskRefused> {
        self.check(o.clone(), ctx)
    }
}

fn symbol() -> impl Strategy<Value = Symbol> {
    prop_oneof![Just(Symbol::Iwm), Just(Symbol::Twm), Just(Symbol::Srty)]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

#[derive(Debug, Clone)]
enum Op {
    Check {
        symbol: Symbol,
        side: Side,
        qty: u32,
        held: i32,
        secs: i64,
        equity: u32,
    },
    Cancel(usize),
    Engage,
    Release,
}

fn op(with_release: bool) -> impl Strategy<Value = Op> {
    let check = (
        symbol(),
        side(),
        0u32..3000,
        -500i32..3000,
        0i64..4000,
        1000u32..300_000,
    )
        .prop_map(|(symbol, side, qty, held, secs, equity)| Op::Check {
            symbol,
            side,
            qty,
            held,
            secs,
            equity,
        });
    let release = if with_release { 1 } else { 0 };
    prop_oneof![
        6 => check,
        1 => (0usize..20).prop_map(Op::Cancel),
        1 => Just(Op::Engage),
        release => Just(Op::Release),
    ]
}

/// Runs `ops`; returns for each check whether the gate approved it and whether it was killed.
fn run(gate: &mut RiskGate, ops: &[Op]) -> Vec<(bool, bool)> {
    let mut n = 100;
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Check {
                symbol,
                side,
                qty,
                held,
                secs,
                equity,
            } => {
                n += 1;
                let mut c = ctx();
                c.now = t0() + Duration::seconds(*secs);
                c.last_data = Some(c.now);
                c.equity = Decimal::from(*equity);
                c.positions.insert(*symbol, Decimal::from(*held));
                let killed = gate.is_killed();
                let o = order(n, *symbol, *side, Decimal::from(*qty));
                let exit = is_exit(&o, &c);
                let approved = gate.check_copy(&o, &c).is_ok();
                out.push((approved, killed && !exit));
            }
            Op::Cancel(i) => {
                let working = gate.working();
                if let Some(id) = working.get(i % working.len().max(1)) {
                    gate.on_broker_event(&BrokerEvent::Canceled {
                        client_order_id: id.clone(),
                    });
                }
            }
            Op::Engage => {
                gate.engage();
            }
            Op::Release => gate.release(),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_new_risk_passes_an_engaged_kill_switch(
        before in proptest::collection::vec(op(true), 0..20),
        after in proptest::collection::vec(op(false), 1..40),
    ) {
        let mut gate = RiskGate::new(limits());
        run(&mut gate, &before);
        let working_before = gate.working();
        let to_cancel = gate.engage();
        prop_assert_eq!(to_cancel, working_before);
        // The second flag is "killed and not an exit": exits always have a way out.
        let results = run(&mut gate, &after);
        prop_assert!(results.iter().all(|(approved, blocked)| !(*approved && *blocked)));
        prop_assert!(gate.is_killed());
    }

    #[test]
    fn entries_are_approved_only_while_released(ops in proptest::collection::vec(op(true), 1..60)) {
        let mut gate = RiskGate::new(limits());
        for (approved, killed) in run(&mut gate, &ops) {
            prop_assert!(!(approved && killed));
        }
    }

    #[test]
    fn approved_entries_never_exceed_caps_or_cash_costs_included(
        sym in symbol(),
        side in side(),
        qty in 1u32..5000,
        held in proptest::collection::vec(-200i32..3000, 3),
        buying in proptest::collection::vec(0u32..400, 3),
        equity in 1000u32..400_000,
        cash in 0u32..400_000,
    ) {
        let mut gate = RiskGate::new(limits().with_costs(costs()));
        let mut c = ctx();
        c.equity = Decimal::from(equity);
        c.cash = Decimal::from(cash);
        for ((s, q), b) in Symbol::ALL.into_iter().zip(&held).zip(&buying) {
            c.positions.insert(s, Decimal::from(*q));
            c.pending_buys.insert(s, Decimal::from(*b));
            c.pending.insert(s, Decimal::from(*b));
        }
        let o = order(1, sym, side, Decimal::from(qty));
        let exit = is_exit(&o, &c);
        if let Ok(approved) = gate.check_copy(&o, &c) {
            prop_assert_eq!(approved.order(), &o);
            if !exit {
                let l = gate.limits().clone();
                let price = c.prices[&sym];
                let px = l.costs.slipped(Side::Buy, price);
                let cost = o.qty * px + l.costs.commission(o.qty, px);
                prop_assert!(cost <= l.max_order_notional);
                let after = c.held(sym) + side.sign() * o.qty;
                prop_assert!((after * price).abs() <= c.equity * l.max_position_pct);
                if side == Side::Buy {
                    let reserved: Decimal = Symbol::ALL
                        .into_iter()
                        .map(|s| l.costs.buy_cost(c.pending_buys[&s], c.prices[&s]))
                        .sum();
                    prop_assert!(
                        cost <= c.cash - reserved,
                        "cost {} > cash {} - reserved {}", cost, c.cash, reserved
                    );
                }
                let gross: Decimal = Symbol::ALL
                    .into_iter()
                    .map(|s| {
                        let q = if s == sym { after } else { c.held(s) };
                        (RiskContext::beta(s) * q * c.prices[&s]).abs()
                    })
                    .sum();
                prop_assert!(gross <= c.equity * l.max_beta_exposure);
            }
        }
    }

    /// The gate's memory of ids and ordered signals folds away beyond 3 entries; against a
    /// model that keeps everything, it still refuses exactly every repeated id and every second
    /// order for a signal whose order was not rejected, whatever fills, cancels or rejects.
    #[test]
    fn a_gate_with_bounded_memory_never_lets_a_duplicate_through(
        ops in proptest::collection::vec((0u8..4, 0usize..64, 0u64..12), 1..150),
    ) {
        let mut gate = RiskGate::new(limits()).with_memory_cap(3);
        let mut c = ctx();
        c.positions.insert(Symbol::Twm, Decimal::from(1_000_000));
        let (mut ids, mut signals, mut working) = (HashSet::new(), HashMap::new(), HashSet::new());
        let mut sent: Vec<OrderRequest> = Vec::new();
        let mut n = 0;
        for (kind, pick, signal) in ops {
            let earlier = (!sent.is_empty()).then(|| sent[pick % sent.len()].clone());
            let o = match (kind, earlier) {
                (0, Some(o)) => o,
                (1, Some(o)) => {
                    let id = o.client_order_id.clone();
                    gate.on_broker_event(&BrokerEvent::Rejected { client_order_id: id.clone(), reason: "r".into() });
                    // Rejected while working frees its signal (nothing executed); after, nothing.
                    if working.remove(&id) && signals.get(&o.signal_id) == Some(&id) {
                        signals.remove(&o.signal_id);
                    }
                    continue;
                }
                (2, Some(o)) => {
                    working.remove(&o.client_order_id);
                    gate.on_broker_event(&BrokerEvent::Canceled { client_order_id: o.client_order_id });
                    continue;
                }
                _ => {
                    n += 1;
                    // A sell of what is held: an exit, which only the duplicate and rate checks see.
                    let mut o = order(n, Symbol::Twm, Side::Sell, Decimal::ONE);
                    o.signal_id = Some(signal);
                    o
                }
            };
            // One order a minute keeps the rate limit out of it.
            c.now += Duration::seconds(61);
            c.last_data = Some(c.now);
            let repeat = ids.contains(&o.client_order_id) || signals.contains_key(&o.signal_id);
            match gate.check_copy(&o, &c) {
                Ok(_) => {
                    prop_assert!(!repeat, "{:?} approved twice", o.client_order_id);
                    ids.insert(o.client_order_id.clone());
                    working.insert(o.client_order_id.clone());
                    signals.insert(o.signal_id, o.client_order_id.clone());
                    sent.push(o);
                }
                Err(r) => {
                    prop_assert!(matches!(r.reason, RefusalReason::DuplicateOrder { .. }), "{}", r.reason);
                    prop_assert!(repeat, "{:?} refused as a repeat", o.client_order_id);
                }
            }
        }
    }
}
