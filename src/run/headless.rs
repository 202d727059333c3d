//! Headless mode: the same pipeline as the dashboard, printing one JSON object per line per event.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::feed::{FeedEvent, FeedHealth};
use crate::run::wiring::Wiring;
use crate::session::{Input, Notice};

/// Run until the replay ends, `run_for` elapses, every feed is gone or a termination signal
/// arrives (see `signals`). Each ends the session cleanly.
pub async fn run(
    mut w: Wiring,
    run_for: Option<Duration>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let deadline = run_for.map(|d| Instant::now() + d);
    let sleep = tokio::time::sleep_until(
        deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365)),
    );
    tokio::pin!(sleep);
    print(out, &std::mem::take(&mut w.startup))?;
    // Bars share journal transactions; the loop commits whenever it has caught up with the feed.
    w.session.batch_journal(JOURNAL_BATCH);
    let mut rate = Rate::default();
    let mut notices = Vec::new();
    let reason = loop {
        tokio::select! {
            ev = w.feed_rx.recv() => {
                let Some(ev) = ev else { break "feeds closed" };
                let ended = matches!(&ev, FeedEvent::Health { health: FeedHealth::Ended, .. });
                rate.started.get_or_insert_with(std::time::Instant::now);
                w.session.handle_into(Input::Feed(ev), &mut notices);
                rate.bars += notices.iter().filter(|n| matches!(n, Notice::Bar { .. })).count();
                print(out, &notices)?;
                notices.clear();
                if w.feed_rx.is_empty() {
                    // Caught up: commit, and let a reader of the lines see them now.
                    w.session.flush_journal();
                    out.flush()?;
                }
                if ended {
                    break "replay ended";
                }
            }
            Some(ev) = w.broker_rx.recv() => {
                print(out, &w.session.handle(Input::Broker(ev)))?;
                out.flush()?;
            }
            _ = &mut sleep, if deadline.is_some() => break "run-for elapsed",
            signo = crate::process::signals::requested() => break crate::process::signals::reason(signo),
        }
        if let Some(failed) = w.session.journal_failure() {
            // Unattended, nobody reads the log pane: trading on without a record is worse
            // than stopping.
            let msg =
                format!("journal write failed ({failed}): stopping, nothing more can be recorded");
            out.flush()?;
            eprintln!("headless: {}", rate.summary("journal write failed"));
            return Err(std::io::Error::other(msg));
        }
    };
    // A clean stop: the next start begins a new session instead of resuming this one.
    w.session.end(reason);
    out.flush()?;
    // On stderr: stdout is the events, one JSON object a line, and ends with the last event.
    eprintln!("headless: {}", rate.summary(reason));
    timed_run_got_bars(&w.session, reason)
}

/// A run that ended on its own (`--run-for`, the feeds closing) without a single bar from its
/// live feed failed, whatever else it did: said, with a non-zero exit.
pub fn timed_run_got_bars(session: &crate::session::Session, reason: &str) -> std::io::Result<()> {
    match session.never_got_bars() {
        Some(why) if matches!(reason, "run-for elapsed" | "feeds closed") => {
            Err(std::io::Error::other(why))
        }
        _ => Ok(()),
    }
}

/// Bars to a journal transaction at most (see `Journal::batch_bars`).
const JOURNAL_BATCH: usize = 4_096;

/// The run's throughput, for the summary line.
#[derive(Default)]
struct Rate {
    started: Option<std::time::Instant>,
    bars: usize,
}

impl Rate {
    fn summary(&self, reason: &str) -> serde_json::Value {
        let secs = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        serde_json::json!({
            "reason": reason,
            "bars": self.bars,
            "elapsed_ms": secs * 1e3,
            "bars_per_second": if secs > 0.0 { self.bars as f64 / secs } else { 0.0 },
            "peak_rss_mb": crate::process::procstat::peak_rss_mb(),
        })
    }
}

fn print(out: &mut impl Write, notices: &[Notice]) -> std::io::Result<()> {
    for n in notices {
        serde_json::to_writer(&mut *out, n)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
