//! Batched bars and history by identity, read back through a second connection (what a
//! restarted process would see).

use super::tests::{bar, open_at, signal, temp};
use super::*;
use crate::broker::BrokerKind;
use crate::model::{Symbol, Timeframe};

fn committed_bars(path: &Path) -> usize {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("SELECT COUNT(*) FROM events WHERE kind = 'bar'", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as usize
}

#[test]
fn batched_bars_commit_with_the_next_broker_entry_or_a_flush_and_keep_their_order() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.batch_bars(100).unwrap();
    for i in 0..10 {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i)).unwrap();
    }
    assert_eq!(
        committed_bars(&path),
        0,
        "a batch is not on disk before it commits"
    );
    // The bars' own signal joins their transaction: lost with them or kept with them.
    j.record_signal(&signal(1), SignalState::Proposed).unwrap();
    assert_eq!(committed_bars(&path), 0, "a signal is batched with its bar");
    j.record(&Entry::BrokerError {
        message: "venue said no".into(),
    })
    .unwrap();
    assert_eq!(
        committed_bars(&path),
        10,
        "a broker entry commits the bars before it"
    );
    for i in 10..15 {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i)).unwrap();
    }
    j.flush().unwrap();
    assert_eq!(committed_bars(&path), 15);
    // A full batch commits by itself.
    j.batch_bars(4).unwrap();
    for i in 15..19 {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i)).unwrap();
    }
    assert_eq!(committed_bars(&path), 19);
    let kinds: Vec<String> = j
        .list(&JournalFilter {
            session: Some(s.clone()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds[11], "signal", "{kinds:?}");
    let times: Vec<_> = j
        .session_bars(&s)
        .unwrap()
        .iter()
        .map(|b| b.bar.time)
        .collect();
    assert_eq!(times, (0..19).map(|i| bar(i).time).collect::<Vec<_>>());
}

#[test]
fn the_same_history_is_stored_once_and_read_back_bit_exact_for_each_session() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let history: Vec<_> = (0..50).map(bar).collect();
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
        j.record_history(Symbol::Iwm, Timeframe::Day1, &history)
            .unwrap();
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(50))
            .unwrap();
        j.end_session("done").unwrap();
        sessions.push(s);
    }
    // Another content is another set.
    let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.record_history(Symbol::Iwm, Timeframe::Day1, &history[1..])
        .unwrap();
    let sets: i64 = j
        .conn
        .query_row("SELECT COUNT(*) FROM bar_sets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sets, 2);
    for id in &sessions {
        let bars = j.session_bars(id).unwrap();
        let (hist, live): (Vec<_>, Vec<_>) = bars.iter().partition(|b| !b.live);
        assert_eq!(hist.iter().map(|b| b.bar).collect::<Vec<_>>(), history);
        assert_eq!(live.len(), 1);
        let summary = j.sessions().unwrap();
        let this = summary.iter().find(|x| &x.id == id).unwrap();
        assert_eq!(this.bars, 51, "history bars count in the session's bars");
    }
    assert_eq!(j.session_bars(&s).unwrap().len(), 49);
}

fn kinds_of(j: &Journal, session: &str) -> Vec<String> {
    j.list(&JournalFilter {
        session: Some(session.to_string()),
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|r| r.kind)
    .collect()
}

#[test]
fn replayed_bars_are_journaled_by_identity_and_read_back_in_their_order() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.batch_bars(100).unwrap();
    let plan: Vec<_> = (0..20)
        .map(|i| (if i % 2 == 0 { Symbol::Twm } else { Symbol::Iwm }, bar(i)))
        .collect();
    j.expect_replay(NextBars::new(Timeframe::Day1, &plan))
        .unwrap();
    let stranger = (Symbol::Srty, bar(7));
    for (k, (sym, b)) in plan.iter().enumerate() {
        j.record_bar(*sym, Timeframe::Day1, b).unwrap();
        if k == 7 {
            // Not the replay's next bar: a row of its own, in its place.
            j.record_bar(stranger.0, Timeframe::Day1, &stranger.1)
                .unwrap();
            j.record_signal(&signal(1), SignalState::Proposed).unwrap();
        }
    }
    j.flush().unwrap();
    assert_eq!(committed_bars(&path), 1, "only the stranger is a bar row");
    assert_eq!(
        kinds_of(&j, &s)[1..],
        ["replayed", "bar", "signal", "replayed"],
        "the replayed rows bracket the stranger"
    );
    let back: Vec<_> = j
        .session_bars(&s)
        .unwrap()
        .into_iter()
        .map(|b| (b.symbol, b.bar, b.live))
        .collect();
    let mut want: Vec<_> = plan.iter().map(|&(s, b)| (s, b, true)).collect();
    want.insert(8, (stranger.0, stranger.1, true));
    assert_eq!(back, want);
    let mut last = j.last_live_bars(&s).unwrap();
    last.sort_by_key(|(s, _)| s.index());
    assert_eq!(
        last,
        vec![
            (Symbol::Iwm, bar(19).time),
            (Symbol::Twm, bar(18).time),
            (Symbol::Srty, bar(7).time)
        ]
    );
    let summary = j.sessions().unwrap();
    assert_eq!(summary[0].bars, 21);
}

#[test]
fn replayed_bars_not_committed_are_lost_with_what_followed_them() {
    let (_d, path) = temp();
    let plan: Vec<_> = (0..10).map(|i| (Symbol::Iwm, bar(i))).collect();
    let s = {
        let mut j = open_at(&path);
        let s = j.start_session("h", BrokerKind::Sim, "replay").unwrap();
        j.batch_bars(100).unwrap();
        j.expect_replay(NextBars::new(Timeframe::Day1, &plan))
            .unwrap();
        for (sym, b) in &plan[..4] {
            j.record_bar(*sym, Timeframe::Day1, b).unwrap();
        }
        j.record(&Entry::BrokerError {
            message: "commits the four".into(),
        })
        .unwrap();
        for (sym, b) in &plan[4..7] {
            j.record_bar(*sym, Timeframe::Day1, b).unwrap();
        }
        j.record_signal(&signal(1), SignalState::Proposed).unwrap();
        // A killed process: the open batch never commits.
        std::mem::forget(j);
        s
    };
    let j = open_at(&path);
    let back = j.session_bars(&s).unwrap();
    assert_eq!(back.len(), 4, "the committed part of the replay, no more");
    assert_eq!(
        j.last_live_bars(&s).unwrap(),
        vec![(Symbol::Iwm, bar(3).time)]
    );
    assert!(
        j.session_signals(&s).unwrap().is_empty(),
        "lost with its bar"
    );
}

#[test]
fn announced_bars_are_stored_once_and_read_back_bit_exact() {
    let (_d, path) = temp();
    let mut j = open_at(&path);
    let plan: Vec<_> = (0..8_192).map(|i| (Symbol::Iwm, bar(i % 28))).collect();
    let sets = |j: &Journal| -> i64 {
        j.conn
            .query_row("SELECT COUNT(*) FROM bar_sets", [], |r| r.get(0))
            .unwrap()
    };
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.expect_replay(NextBars::new(Timeframe::Day1, &plan))
        .unwrap();
    j.end_session("done").unwrap();
    assert_eq!(sets(&j), 1, "an announcement is one row");
    let key: String = j
        .conn
        .query_row("SELECT fingerprint FROM bar_sets LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let fp = key.split('#').next().unwrap().to_string();
    assert_eq!(j.replay_set(&fp).unwrap(), plan);
    // Mark the row: a second session of the same data must find it stored and leave it.
    j.conn
        .execute(
            "UPDATE bar_sets SET bars = '[]' WHERE fingerprint = ?1",
            [&key],
        )
        .unwrap();
    j.start_session("h", BrokerKind::Sim, "replay").unwrap();
    j.expect_replay(NextBars::new(Timeframe::Day1, &plan))
        .unwrap();
    assert_eq!(sets(&j), 1);
    assert!(
        j.replay_set(&fp).unwrap().is_empty(),
        "the second session did not write the bars again"
    );
}

#[test]
fn a_replay_an_older_version_stored_in_json_rows_still_reads_in_order() {
    let (_d, path) = temp();
    let j = open_at(&path);
    let rows: Vec<Vec<(Symbol, crate::model::Bar)>> = vec![
        (0..3).map(|i| (Symbol::Iwm, bar(i))).collect(),
        (3..5).map(|i| (Symbol::Twm, bar(i))).collect(),
    ];
    for (k, row) in rows.iter().enumerate() {
        j.conn
            .execute(
                "INSERT INTO bar_sets (fingerprint, bars) VALUES (?1, ?2)",
                rusqlite::params![
                    format!("replay-old#{k}"),
                    serde_json::to_string(row).unwrap()
                ],
            )
            .unwrap();
    }
    assert_eq!(j.replay_set("replay-old").unwrap(), rows.concat());
}
