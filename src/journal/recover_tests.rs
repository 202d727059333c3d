//! Recovery tests: order status after each venue event, venue scope, fills vs positions.

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::tests::{fill, open_at, order, temp};
use super::*;
use crate::broker::BrokerEvent;
use crate::broker::BrokerKind;
use crate::model::{OrderStatus, Side, Symbol};
use crate::risk::RefusalReason;

#[test]
fn recovered_order_status_table() {
    // (events after the intent, expected working status or None when finished)
    type Step = fn(&ClientOrderId) -> BrokerEvent;
    let accepted: Step = |id| BrokerEvent::Accepted {
        client_order_id: id.clone(),
        broker_order_id: None,
    };
    let partial: Step = |id| BrokerEvent::Filled(fill(id, Side::Buy, dec!(4), dec!(40)));
    let rest: Step = |id| BrokerEvent::Filled(fill(id, Side::Buy, dec!(6), dec!(41)));
    let rejected: Step = |id| BrokerEvent::Rejected {
        client_order_id: id.clone(),
        reason: "x".into(),
    };
    let canceled: Step = |id| BrokerEvent::Canceled {
        client_order_id: id.clone(),
    };
    let unknown: Step = |id| BrokerEvent::Unknown {
        client_order_id: id.clone(),
        error: "503".into(),
    };
    let cases: Vec<(&str, Vec<Step>, Option<OrderStatus>, bool)> = vec![
        ("intent only", vec![], Some(OrderStatus::Unknown), true),
        (
            "accepted",
            vec![accepted],
            Some(OrderStatus::Accepted),
            true,
        ),
        (
            "partial",
            vec![accepted, partial],
            Some(OrderStatus::PartiallyFilled),
            true,
        ),
        (
            "fill before accept",
            vec![partial, accepted],
            Some(OrderStatus::PartiallyFilled),
            true,
        ),
        ("filled", vec![accepted, partial, rest], None, true),
        ("rejected frees signal", vec![rejected], None, false),
        (
            "late accept after cancel",
            vec![canceled, accepted],
            None,
            true,
        ),
        (
            "lost response",
            vec![unknown],
            Some(OrderStatus::Unknown),
            true,
        ),
    ];
    for (name, steps, want, signal_used) in cases {
        let (_d, path) = temp();
        let mut j = open_at(&path);
        j.start_session("h", BrokerKind::Paper, "replay").unwrap();
        let id = j.next_client_order_id().unwrap();
        j.record_intent(&order(id.clone(), Some(3), dec!(10)))
            .unwrap();
        for step in steps {
            j.record_broker_event(&step(&id)).unwrap();
        }
        let r = j.recover().unwrap();
        assert_eq!(
            r.working_orders.first().map(|w| w.status),
            want,
            "case {name}"
        );
        assert_eq!(
            r.ordered_signals.contains_key(&3),
            signal_used,
            "case {name}"
        );
        assert_eq!(
            r.risk_restore().working.len(),
            usize::from(want.is_some()),
            "case {name}"
        );
    }
}

#[test]
fn recovery_scope_follows_the_venue_and_kill_switch_is_global() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    j.start_session("h", BrokerKind::Paper, "alpaca").unwrap();
    let paper_id = j.next_client_order_id().unwrap();
    j.record_intent(&order(paper_id.clone(), None, dec!(5)))
        .unwrap();
    j.record_kill_switch(true, &[]).unwrap();
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.record_broker_event(&BrokerEvent::Filled(fill(
        &ClientOrderId::new("x", 1),
        Side::Buy,
        dec!(2),
        dec!(40),
    )))
    .unwrap();
    let r = j.recover().unwrap();
    assert!(r.working_orders.is_empty(), "SIM: only the latest session");
    assert_eq!(r.positions[0].qty, dec!(2));
    assert!(r.kill_switch);
    j.start_session("h", BrokerKind::Paper, "alpaca").unwrap();
    let r = j.recover().unwrap();
    assert_eq!(
        r.working_orders[0].order.client_order_id, paper_id,
        "PAPER: every PAPER session"
    );
    assert!(
        r.positions.is_empty(),
        "the SIM fill is not at the PAPER venue"
    );
    j.record_kill_switch(false, &[]).unwrap();
    assert!(!j.recover().unwrap().kill_switch);
}

fn halt(j: &mut Journal, day: chrono::NaiveDate) {
    let id = j.next_client_order_id().unwrap();
    j.record_refusal(&crate::risk::RiskRefused {
        order: order(id, None, dec!(10)),
        reason: RefusalReason::DailyLossLimit {
            loss: dec!(3100),
            start_equity: dec!(100000),
            limit_pct: dec!(0.03),
            day,
        },
    })
    .unwrap();
}

#[test]
fn a_daily_loss_halt_stays_with_the_account_that_lost_it() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    halt(&mut j, day);
    j.end_session("replay ended").unwrap();
    j.start_session("h", BrokerKind::Paper, "alpaca").unwrap();
    // The replay's halt on 2025-04-04 is not the PAPER account's, nor a LIVE one's.
    assert_eq!(
        j.recover().unwrap().halted_day,
        None,
        "PAPER after a SIM halt"
    );
    assert_eq!(
        j.recover_for(Some(BrokerKind::Live)).unwrap().halted_day,
        None,
        "a venue with no session yet"
    );
    assert_eq!(
        j.recover_for(Some(BrokerKind::Sim)).unwrap().halted_day,
        Some(day),
        "the session that lost keeps its halt"
    );
    halt(&mut j, day);
    let r = j.recover().unwrap();
    assert_eq!(
        r.halted_day,
        Some(day),
        "PAPER's own halt survives its restart"
    );
    assert!(!r.kill_switch, "only the kill switch is global");
}

#[test]
fn a_sim_session_journals_the_cash_it_started_from() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    j.start_sim_session("h", "replay", dec!(250000)).unwrap();
    j.start_session("h", BrokerKind::Paper, "alpaca").unwrap();
    let s = j.sessions().unwrap();
    assert_eq!(s[0].starting_cash, Some(dec!(250000)));
    assert_eq!(
        s[1].starting_cash, None,
        "a real venue reports its own cash"
    );
    let r = j.recover_for(Some(BrokerKind::Sim)).unwrap();
    assert_eq!(
        r.last_session.and_then(|s| s.starting_cash),
        Some(dec!(250000))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The decimal sum of journaled fills equals the recovered positions, symbol by symbol.
    #[test]
    fn recovered_positions_equal_the_fills(
        fills in proptest::collection::vec((0usize..3, any::<bool>(), 1u32..500, 100u32..100_000), 1..30)
    ) {
        let (_d, path) = temp();
        let mut j = open_at(&path);
        j.start_session("h", BrokerKind::Paper, "replay").unwrap();
        let mut sums = [Decimal::ZERO; 3];
        for (i, (sym, buy, qty, cents)) in fills.iter().enumerate() {
            let side = if *buy { Side::Buy } else { Side::Sell };
            let mut f = fill(&ClientOrderId::new("p", i as u64), side, Decimal::from(*qty), Decimal::new(i64::from(*cents), 2));
            f.symbol = Symbol::ALL[*sym];
            sums[*sym] += side.sign() * f.qty;
            j.record_broker_event(&BrokerEvent::Filled(f)).unwrap();
        }
        let r = j.recover().unwrap();
        for (k, s) in Symbol::ALL.into_iter().enumerate() {
            let got = r.positions.iter().find(|p| p.symbol == s).map_or(Decimal::ZERO, |p| p.qty);
            prop_assert_eq!(got, sums[k], "{}", s);
        }
    }
}

#[test]
fn margin_interest_is_taken_off_the_recovered_cash_like_a_fill() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    let id = j.next_client_order_id().unwrap();
    j.record_intent(&order(id.clone(), Some(3), dec!(10)))
        .unwrap();
    let f = fill(&id, Side::Buy, dec!(10), dec!(40));
    let paid = f.cash_delta();
    j.record_broker_event(&BrokerEvent::Filled(f)).unwrap();
    j.record_broker_event(&BrokerEvent::Interest {
        amount: dec!(13.92),
        days: 2,
        time: chrono::Utc::now(),
    })
    .unwrap();
    assert_eq!(j.recover().unwrap().fills_cash, paid - dec!(13.92));
}
