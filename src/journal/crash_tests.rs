//! Crash tests: a child process (this test binary, re-invoked with an env var) writes a session
//! and is killed with SIGKILL at a chosen point; the parent reopens the journal and checks that
//! recovery lost nothing committed and duplicated nothing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use rust_decimal_macros::dec;

use super::tests::{bar, fill, open_at, order, signal};
use super::*;
use crate::broker::BrokerEvent;
use crate::broker::BrokerKind;
use crate::model::{OrderStatus, Side};
use crate::model::{Symbol, Timeframe};

const ENV_DB: &str = "DOUBLE_AGENT_CRASH_DB";
const ENV_POINT: &str = "DOUBLE_AGENT_CRASH_POINT";

/// Bars the parent waits to see committed before killing the burst.
const BURST_SEEN: u32 = 40;

/// The scripted session, in order. `stop` names the point after which the child announces
/// READY and waits to be killed (mid-burst, it keeps writing while it is killed).
fn child_script(path: &Path, stop: &str) -> Result<()> {
    let mut out = std::io::stdout();
    let mut ready = |point: &str| {
        if point == stop {
            // The parent kills us on this line; everything above is committed.
            let _ = writeln!(out, "READY");
            let _ = out.flush();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    };
    let mut j = open_at(path);
    j.start_session("cfg", BrokerKind::Paper, "replay")?;
    for i in 0..3 {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i))?;
    }
    j.record_signal(&signal(1), SignalState::Proposed)?;
    j.record_signal(&signal(2), SignalState::Proposed)?;
    ready("after_signal");
    j.record_answer(1, SignalState::Acknowledged)?;
    j.record_answer(2, SignalState::Snoozed { until_bar: 6 })?;
    ready("after_answer");
    let id = j.next_client_order_id()?;
    let o = order(id.clone(), Some(1), dec!(100));
    j.record_intent(&o)?;
    ready("after_intent"); // the order was never sent
    j.record_broker_event(&BrokerEvent::Accepted {
        client_order_id: id.clone(),
        broker_order_id: Some("b-1".into()),
    })?;
    ready("after_accepted");
    j.record_broker_event(&BrokerEvent::Filled(fill(
        &id,
        Side::Buy,
        dec!(40),
        dec!(40.10),
    )))?;
    ready("after_partial_fill");
    j.record_broker_event(&BrokerEvent::Filled(fill(
        &id,
        Side::Buy,
        dec!(60),
        dec!(40.20),
    )))?;
    ready("after_fill");
    j.record_kill_switch(true, &[])?;
    ready("after_kill");
    let mut out = std::io::stdout();
    for i in 3.. {
        j.record_bar(Symbol::Iwm, Timeframe::Day1, &bar(i))?;
        // Announced only after the commit: the parent's count is a lower bound.
        let _ = writeln!(out, "BAR {i}");
        let _ = out.flush();
    }
    Ok(())
}

/// Entry point of the child; a no-op in a normal test run.
#[test]
fn crash_child() {
    let (Ok(db), Ok(point)) = (std::env::var(ENV_DB), std::env::var(ENV_POINT)) else {
        return;
    };
    if let Err(e) = child_script(Path::new(&db), &point) {
        println!("CHILD ERROR {e}");
    }
}

/// Run the child to `point`, SIGKILL it, return the journal path and the last line it printed.
fn crash_at(point: &str) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    // /proc/self/exe is this very binary even if a concurrent build (shared target dir)
    // has replaced the file at current_exe() since we started.
    let exe = if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().expect("test binary path")
    };
    let mut child = Command::new(exe)
        .args([
            "journal::crash_tests::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DB, &path)
        .env(ENV_POINT, point)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    // Read on a thread so a child that never gets there fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut last = String::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(20)) {
        if line.contains("CHILD ERROR") {
            let _ = child.kill();
            panic!("{line}");
        }
        // libtest prints `test <name> ... ` without a newline first, so markers may share a line.
        let line = line.rsplit("... ").next().unwrap_or_default().to_string();
        let bar_seen = line
            .strip_prefix("BAR ")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= BURST_SEEN);
        if line == "READY" || bar_seen {
            last = line;
            break;
        }
    }
    if last.is_empty() {
        let _ = child.kill();
    }
    assert!(!last.is_empty(), "child never reached {point}");
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on unix
    let _ = child.wait();
    (dir, path, last)
}

fn reopen(path: &Path) -> (Journal, Recovered) {
    let j = open_at(path);
    let r = j.recover().expect("recover");
    (j, r)
}

fn open_ids(r: &Recovered) -> Vec<(u64, SignalState)> {
    r.open_signals.iter().map(|(s, st)| (s.id, *st)).collect()
}

#[test]
fn crash_after_signal_proposed() {
    let (_d, path, _) = crash_at("after_signal");
    let (j, r) = reopen(&path);
    assert_eq!(
        open_ids(&r),
        [(1, SignalState::Proposed), (2, SignalState::Proposed)]
    );
    assert_eq!(r.next_signal_id, 3);
    assert!(r.working_orders.is_empty() && r.positions.is_empty());
    assert!(
        !r.last_session.as_ref().expect("session").ended,
        "crashed, not ended"
    );
    assert_eq!(j.list(&JournalFilter::default()).unwrap().len(), 6);
}

#[test]
fn crash_after_answer() {
    let (_d, path, _) = crash_at("after_answer");
    let (_j, r) = reopen(&path);
    assert_eq!(open_ids(&r), [(2, SignalState::Snoozed { until_bar: 6 })]);
    let unsent: Vec<u64> = r.acknowledged_unsent.iter().map(|(s, _)| s.id).collect();
    assert_eq!(
        unsent,
        [1],
        "acknowledged, never sent: shown again, not lost"
    );
    assert!(r.working_orders.is_empty());
    assert_eq!(r.next_order_seq, 1);
}

#[test]
fn crash_between_intent_and_send() {
    let (_d, path, _) = crash_at("after_intent");
    let (mut j, r) = reopen(&path);
    assert_eq!(r.working_orders.len(), 1);
    let w = &r.working_orders[0];
    assert_eq!(
        (w.status, w.needs_settlement()),
        (OrderStatus::Unknown, true)
    );
    assert_eq!(r.unsettled().count(), 1);
    assert!(
        r.acknowledged_unsent.is_empty(),
        "the intent covers signal 1"
    );
    assert_eq!(r.ordered_signals.get(&1), Some(&w.order.client_order_id));
    assert_eq!(r.next_order_seq, 2);
    // The restarted process cannot journal (so cannot send) the same order again.
    j.start_session("cfg", BrokerKind::Paper, "replay").unwrap();
    assert!(matches!(
        j.record_intent(&w.order),
        Err(JournalError::DuplicateIntent(_))
    ));
    let next = j.next_client_order_id().unwrap();
    assert_ne!(next, w.order.client_order_id);
}

#[test]
fn crash_after_broker_accepted() {
    let (_d, path, _) = crash_at("after_accepted");
    let (_j, r) = reopen(&path);
    assert_eq!(r.working_orders[0].status, OrderStatus::Accepted);
    assert_eq!(r.unsettled().count(), 0);
    assert!(r.positions.is_empty());
}

#[test]
fn crash_after_partial_fill() {
    let (_d, path, _) = crash_at("after_partial_fill");
    let (_j, r) = reopen(&path);
    let w = &r.working_orders[0];
    assert_eq!(
        (w.status, w.filled_qty),
        (OrderStatus::PartiallyFilled, dec!(40))
    );
    assert_eq!(r.risk_restore().working[0].2, dec!(60), "remaining qty");
    assert_eq!(r.positions[0].qty, dec!(40));
}

#[test]
fn crash_after_fill() {
    let (_d, path, _) = crash_at("after_fill");
    let (mut j, r) = reopen(&path);
    assert!(r.working_orders.is_empty());
    let p = &r.positions[0];
    assert_eq!(
        (p.symbol, p.qty, p.avg_price),
        (Symbol::Twm, dec!(100), dec!(40.16))
    );
    assert!(!r.kill_switch);
    // The venue re-sends the last fill after the reconnect: journaled once, position unchanged.
    j.start_session("cfg", BrokerKind::Paper, "replay").unwrap();
    let id = ClientOrderId::new(&r.last_session.as_ref().unwrap().id, 1);
    let again = BrokerEvent::Filled(fill(&id, Side::Buy, dec!(60), dec!(40.20)));
    assert_eq!(j.record_broker_event(&again).unwrap(), None);
    assert_eq!(j.recover().unwrap().positions[0].qty, dec!(100));
}

#[test]
fn crash_after_kill_switch() {
    let (_d, path, _) = crash_at("after_kill");
    let (_j, r) = reopen(&path);
    assert!(r.kill_switch, "a kill switch survives a crash");
}

#[test]
fn crash_mid_bar_burst() {
    let (_d, path, last) = crash_at("burst");
    let announced: u32 = last.trim_start_matches("BAR ").parse().unwrap();
    let (j, r) = reopen(&path);
    let session = r.last_session.expect("session").id;
    let bars = j.session_bars(&session).unwrap();
    // Every announced bar is there, each once, in order; at most a few more committed after.
    assert!(
        bars.len() as u32 > announced,
        "{} bars, {announced} announced",
        bars.len()
    );
    for (i, b) in bars.iter().enumerate() {
        assert_eq!(b.bar, bar(i as u32), "bar {i}");
    }
    assert!(bars.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(r.kill_switch && r.working_orders.is_empty() && r.positions[0].qty == dec!(100));
}
