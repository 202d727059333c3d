//! Journal unit tests: schema, durability rules, uniqueness, queries, export, recovery states.

use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::broker::BrokerEvent;
use crate::broker::BrokerKind;
use crate::model::{Agent, Fill, OrderType, Side, SignalKind};
use crate::model::{Bar, OrderRequest, Position, Signal, Symbol, Timeframe};
use crate::risk::RefusalReason;

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 4, 4, 14, 30, 0).unwrap()
}

/// A clock that ticks one second per entry: deterministic times.
pub(super) fn open_at(path: &Path) -> Journal {
    let mut t = t0();
    Journal::open_with_clock(
        path,
        Box::new(move || {
            t += Duration::seconds(1);
            t
        }),
    )
    .expect("open journal")
}

pub(super) fn bar(i: u32) -> Bar {
    let p = 200.0 + f64::from(i) * 0.01;
    Bar {
        time: t0() + Duration::days(i64::from(i)),
        open: p,
        high: p + 1.0,
        low: p - 1.0,
        close: p + 0.25,
        volume: 1e6 + f64::from(i),
    }
}

pub(super) fn signal(id: u64) -> Signal {
    Signal {
        id,
        time: t0(),
        agent: Agent::Bear,
        kind: SignalKind::BearEntry { tier: 1 },
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty: dec!(100),
        reference_price: dec!(40.12),
        stop_price: Some(dec!(37.5)),
        iwm_stop: Some(205.1),
        record: None,
        confidence: 0.7,
        reasons: vec![],
    }
}

pub(super) fn order(id: ClientOrderId, signal_id: Option<u64>, qty: Decimal) -> OrderRequest {
    OrderRequest {
        client_order_id: id,
        symbol: Symbol::Twm,
        side: Side::Buy,
        qty,
        order_type: OrderType::Market,
        signal_id,
        book: None,
        created: t0(),
    }
}

pub(super) fn fill(id: &ClientOrderId, side: Side, qty: Decimal, price: Decimal) -> Fill {
    Fill {
        client_order_id: id.clone(),
        symbol: Symbol::Twm,
        side,
        qty,
        price,
        commission: dec!(1),
        time: t0(),
    }
}

pub(super) fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    (dir, path)
}

#[test]
fn schema_is_versioned_and_wal() {
    let (_d, path) = temp();
    let j = open_at(&path);
    let v: i32 = j
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let mode: String = j
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!((v, mode.as_str()), (SCHEMA_VERSION, "wal"));
    // Intents switch to FULL for their own commit only; bars stay on the cheaper NORMAL.
    let mut j = j;
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    let id = j.next_client_order_id().unwrap();
    j.record_intent(&order(id, None, dec!(1))).unwrap();
    let sync: i32 = j
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "back to NORMAL after the durable write");
    j.conn.execute_batch("PRAGMA user_version=99").unwrap();
    drop(j);
    let err = Journal::open(&path).expect_err("newer schema must be refused");
    assert!(
        matches!(err, JournalError::TooNew { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn every_entry_kind_round_trips_through_its_columns() {
    let id = ClientOrderId::new("s", 1);
    let o = order(id.clone(), Some(1), dec!(10));
    let entries = vec![
        Entry::SessionEnd {
            reason: "quit".into(),
        },
        Entry::Bar {
            symbol: Symbol::Iwm,
            timeframe: Timeframe::Day1,
            bar: bar(3),
            live: true,
        },
        Entry::Signal {
            signal: signal(1),
            state: SignalState::Proposed,
            at_close: None,
        },
        Entry::Answer {
            signal_id: 1,
            answer: crate::model::Answer::Edit { qty: dec!(50) },
            state: SignalState::Edited { qty: dec!(50) },
        },
        Entry::OrderIntent(o.clone()),
        Entry::BrokerAccepted {
            client_order_id: id.clone(),
            broker_order_id: Some("b".into()),
        },
        Entry::Fill(fill(&id, Side::Buy, dec!(10), dec!(40.1234))),
        Entry::BrokerPositions {
            positions: vec![Position::flat(Symbol::Twm, t0())],
        },
        Entry::RiskRefusal {
            order: o,
            reason: RefusalReason::MaxOrderNotional {
                notional: dec!(61200),
                max: dec!(50000),
            },
            text: "order $61,200 > max $50,000".into(),
        },
        Entry::KillSwitch {
            engaged: true,
            cancel: vec![id],
        },
    ];
    for e in entries {
        let (kind, payload) = e.to_columns().unwrap();
        assert_eq!(Entry::from_columns(&kind, &payload).unwrap(), e, "{kind}");
    }
}

#[test]
fn nothing_is_recorded_without_a_session_and_answers_must_be_answers() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    assert!(matches!(
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(0)),
        Err(JournalError::NoSession)
    ));
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    assert!(matches!(
        j.record_answer(1, SignalState::Proposed),
        Err(JournalError::NotAnAnswer(_))
    ));
}

#[test]
fn an_intent_is_journaled_once_ever_and_a_resent_fill_is_ignored() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    j.start_session("h", BrokerKind::Paper, "replay").unwrap();
    let id = j.next_client_order_id().unwrap();
    let o = order(id.clone(), Some(1), dec!(10));
    j.record_intent(&o).unwrap();
    assert!(matches!(j.record_intent(&o), Err(JournalError::DuplicateIntent(ref d)) if *d == id));
    let f = BrokerEvent::Filled(fill(&id, Side::Buy, dec!(10), dec!(40)));
    assert!(j.record_broker_event(&f).unwrap().is_some());
    assert_eq!(j.record_broker_event(&f).unwrap(), None);
    drop(j);
    let mut j = open_at(&path);
    j.start_session("h", BrokerKind::Paper, "replay").unwrap();
    assert!(matches!(
        j.record_intent(&o),
        Err(JournalError::DuplicateIntent(_))
    ));
    assert_eq!(j.record_broker_event(&f).unwrap(), None);
    assert_eq!(j.recover().unwrap().positions[0].qty, dec!(10));
}

#[test]
fn order_numbers_never_repeat_across_sessions() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let s1 = j.start_session("h", BrokerKind::Paper, "replay").unwrap();
    let a = j.next_client_order_id().unwrap();
    let b = j.next_client_order_id().unwrap();
    j.record_intent(&order(b.clone(), None, dec!(1))).unwrap();
    drop(j);
    let mut j = open_at(&path);
    // Same injected clock start: the session id must still differ.
    let s2 = j.start_session("h", BrokerKind::Paper, "replay").unwrap();
    assert_ne!(s1, s2);
    let c = j.next_client_order_id().unwrap();
    assert_eq!(order_seq(a.as_str()), Some(1));
    assert_eq!(order_seq(b.as_str()), Some(2));
    assert_eq!(order_seq(c.as_str()), Some(3), "{c}");
}

#[test]
fn list_filters_and_exports() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.record_bars(Symbol::Iwm, Timeframe::Day1, &[bar(0), bar(1), bar(2)])
        .unwrap();
    j.record_signal(&signal(7), SignalState::Proposed).unwrap();
    j.record_answer(7, SignalState::Overridden { reason: 't' })
        .unwrap();
    j.record_feed_health("replay", &crate::model::FeedHealth::Ended)
        .unwrap();
    let all = j.list(&JournalFilter::default()).unwrap();
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let by_signal = j
        .list(&JournalFilter {
            signal_id: Some(7),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        by_signal
            .iter()
            .map(|r| r.kind.as_str())
            .collect::<Vec<_>>(),
        ["signal", "answer"]
    );
    let last2 = j
        .list(&JournalFilter {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        last2.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        ["answer", "feed_health"]
    );
    let bars = j
        .list(&JournalFilter {
            session: Some(s),
            kinds: vec!["bar".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(bars.len(), 3);

    let mut csv_out = Vec::new();
    export_csv(&mut csv_out, &all).unwrap();
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let headers = reader.headers().unwrap().clone();
    // The facts entries share each have a column; the whole payload stays last.
    let cols: Vec<&str> = headers.iter().skip(6).collect();
    assert_eq!(
        cols,
        ["agent", "symbol", "side", "qty", "price", "state", "payload"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 7);
    assert_eq!(&records[5][3], "answer");
    assert_eq!(&records[5][11], "overridden", "{:?}", &records[5]);
    assert!(
        records[5][12].contains("\"overridden\""),
        "{:?}",
        &records[5]
    );
    let signal = records
        .iter()
        .find(|r| &r[3] == "signal")
        .expect("a signal");
    assert!(!signal[6].is_empty() && !signal[7].is_empty(), "{signal:?}");
    assert!(
        !signal[9].is_empty() && !signal[10].is_empty(),
        "{signal:?}"
    );

    let mut json_out = Vec::new();
    export_json(&mut json_out, &all).unwrap();
    let parsed: Vec<serde_json::Value> = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(parsed.len(), 7);
    assert_eq!(parsed[6]["payload"]["health"]["state"], "ended");
}

#[test]
fn sessions_replay_the_same_bars_in_the_same_order() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let s1 = j.start_session("aaa", BrokerKind::Sim, "replay").unwrap();
    for i in 0..5 {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i)).unwrap();
        j.record_bar(Symbol::Twm, Timeframe::Day1, &bar(100 + i))
            .unwrap();
    }
    j.record_signal(&signal(1), SignalState::Proposed).unwrap();
    j.record_answer(1, SignalState::Snoozed { until_bar: 9 })
        .unwrap();
    j.record_answer(1, SignalState::Acknowledged).unwrap();
    j.end_session("quit").unwrap();
    let s2 = j.start_session("bbb", BrokerKind::Paper, "alpaca").unwrap();
    j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(50))
        .unwrap();

    let sessions = j.sessions().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        (sessions[0].id.as_str(), sessions[0].bars, sessions[0].ended),
        (s1.as_str(), 10, true)
    );
    assert_eq!(
        (sessions[1].broker.as_str(), sessions[1].ended),
        ("PAPER", false)
    );
    let bars = j.session_bars(&s1).unwrap();
    let got: Vec<(Symbol, Bar)> = bars.iter().map(|b| (b.symbol, b.bar)).collect();
    let want: Vec<(Symbol, Bar)> = (0..5)
        .flat_map(|i| [(Symbol::Iwm, bar(i)), (Symbol::Twm, bar(100 + i))])
        .collect();
    assert_eq!(got, want, "bit-exact f64s, same order");
    assert_eq!(j.session_bars(&s2).unwrap().len(), 1);
    let sigs = j.session_signals(&s1).unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(
        (sigs[0].signal.clone(), sigs[0].state),
        (signal(1), SignalState::Acknowledged)
    );
}
