//! Headless mode: the same pipeline as the dashboard, printing one JSON object per line per event.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::feed::{FeedEvent, FeedHealth};
use crate::session::{Input, Notice};
use crate::wiring::Wiring;

/// Run until the replay ends, `run_for` elapses, or every feed is gone. Exit code 0 in each case.
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
    let reason = loop {
        tokio::select! {
            ev = w.feed_rx.recv() => {
                let Some(ev) = ev else { break "feeds closed" };
                let ended = matches!(&ev, FeedEvent::Health { health: FeedHealth::Ended, .. });
                print(out, &w.session.handle(Input::Feed(ev)))?;
                if ended {
                    break "replay ended";
                }
            }
            Some(ev) = w.broker_rx.recv() => print(out, &w.session.handle(Input::Broker(ev)))?,
            _ = &mut sleep, if deadline.is_some() => break "run-for elapsed",
        }
    };
    // A clean stop: the next start begins a new session instead of resuming this one.
    w.session.end(reason);
    out.flush()
}

fn print(out: &mut impl Write, notices: &[Notice]) -> std::io::Result<()> {
    for n in notices {
        serde_json::to_writer(&mut *out, n)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
