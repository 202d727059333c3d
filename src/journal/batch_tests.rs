//! Batched bars and history by identity, read back through a second connection (what a
//! restarted process would see).

use super::tests::{bar, open_at, signal, temp};
use super::*;
use crate::model::{Symbol, Timeframe};

fn committed_bars(path: &Path) -> usize {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("SELECT COUNT(*) FROM events WHERE kind = 'bar'", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as usize
}

#[test]
fn batched_bars_commit_with_the_next_decision_or_a_flush_and_keep_their_order() {
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
    j.record_signal(&signal(1), SignalState::Proposed).unwrap();
    assert_eq!(
        committed_bars(&path),
        10,
        "a decision commits the bars before it"
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
