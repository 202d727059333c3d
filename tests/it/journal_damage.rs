//! The flight recorder's own failures, through the real binary: a damaged journal is refused
//! with the way out, a write that fails stops a headless run with an error.

use std::process::Stdio;

use super::guards::{bin, lines, record_a_session, wait_line};

#[test]
fn a_damaged_journal_is_refused_with_the_way_out() {
    let (_, dir) = bin();
    assert!(record_a_session(&dir).status.success());
    let path = dir.join("journal.sqlite3");
    // The page of an index the start never reads (fills by client order id) turns to garbage:
    // the journal opens and reads back as before, only `PRAGMA quick_check` sees the damage.
    let (page, size): (u64, u64) = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT pageno, pgsize FROM dbstat WHERE name = 'one_fill' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = ((page - 1) * size) as usize;
    bytes[at..at + size as usize].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
    let out = record_a_session(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "traded on a damaged journal: {err}");
    assert!(
        err.contains("damaged") && err.contains("Move it aside") && err.contains("journal.sqlite3"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing may run: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Moved aside, a new journal starts.
    std::fs::rename(&path, dir.join("journal.sqlite3.damaged")).unwrap();
    assert!(record_a_session(&dir).status.success());
}

#[test]
fn a_journal_write_that_fails_stops_a_headless_run_with_an_error() {
    let (_, dir) = bin();
    assert!(record_a_session(&dir).status.success());
    let (mut c, _) = bin();
    let mut child = c
        .env("DOUBLE_AGENT_DATA_DIR", &dir)
        .args(["--headless", "--speed", "4", "--start", "2025-01-02"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    wait_line(&rx, |l| l.contains(r#""type":"bar""#));
    // Another writer holds the journal past the recorder's busy timeout: its next commit fails,
    // as it would on a full disk.
    let blocker = rusqlite::Connection::open(dir.join("journal.sqlite3")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run went on without its journal");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    blocker.execute_batch("ROLLBACK").unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "exit 0 without a journal: {err}");
    assert!(err.contains("journal write failed"), "{err}");
}
