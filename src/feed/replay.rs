//! Replays recorded bars as if live: history first (warm-up), then one timestamp at a time at the
//! chosen pace, the bars announced to the journal ahead of them. The pace and pause come from a
//! watch channel the app owns.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{FeedEvent, FeedHealth};
use crate::data::LoadWarning;
use crate::journal::NextBars;
use crate::model::{Bar, Symbol};

pub const SOURCE: &str = "replay";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayControl {
    /// Bars per second; 0 = as fast as the consumer takes them.
    pub speed: f64,
    pub paused: bool,
}

pub use super::plan::{Part, ReplayPlan, Step};

/// Steps sent together when replaying as fast as possible (three bars a step at most: well
/// under the feed channel's capacity).
const CHUNK_STEPS: usize = 64;

/// Bars announced to the journal at a time (see `FeedEvent::ReplayNext`).
const ANNOUNCE_BARS: usize = 8_192;

/// Run the replay until its last bar or until the receiver goes away.
pub async fn run(
    plan: ReplayPlan,
    tx: mpsc::Sender<FeedEvent>,
    mut control: watch::Receiver<ReplayControl>,
) {
    let tf = plan.timeframe;
    let health = |h| FeedEvent::Health {
        source: SOURCE.into(),
        health: h,
    };
    if tx.send(health(FeedHealth::Connected)).await.is_err() {
        return;
    }
    let mut parts = plan.peekable();
    // History first: it is all before the first step.
    while let Some(part) = parts.next_if(|p| !matches!(p, Part::Step(_))) {
        let ev = match part {
            Part::History { symbol, bars, more } => FeedEvent::history(symbol, tf, bars, more),
            Part::Skipped(w) => skipped(w),
            Part::Step(_) => unreachable!("steps stay in the iterator"),
        };
        if tx.send(ev).await.is_err() {
            return;
        }
    }
    let mut ahead: VecDeque<Step> = VecDeque::new();
    loop {
        if ahead.is_empty() {
            // The next bars, announced before they are fed, so the journal can store them once
            // and count each as it arrives.
            let mut bars = Vec::with_capacity(ANNOUNCE_BARS + 2);
            while bars.len() < ANNOUNCE_BARS {
                match parts.next() {
                    Some(Part::Step(step)) => {
                        bars.extend_from_slice(&step.1);
                        ahead.push_back(step);
                    }
                    Some(Part::Skipped(w)) => {
                        if tx.send(skipped(w)).await.is_err() {
                            return;
                        }
                    }
                    Some(Part::History { .. }) => {}
                    None => break,
                }
            }
            if ahead.is_empty() {
                break;
            }
            let next = FeedEvent::ReplayNext(NextBars::new(tf, &bars));
            if tx.send(next).await.is_err() {
                return;
            }
        }
        // Wait out a pause; a dropped control channel means "keep going at the last pace".
        loop {
            let c = *control.borrow_and_update();
            if !c.paused {
                break;
            }
            if control.changed().await.is_err() {
                break;
            }
        }
        let speed = control.borrow().speed;
        // As fast as possible, bars go in chunks: the replay then wakes once a chunk instead of
        // once a bar, when the consumer frees a slot (a thread switch each, a quarter of a fast
        // replay's time). Paced, one step at a time.
        let take = if speed > 0.0 { 1 } else { CHUNK_STEPS };
        let take = take.min(ahead.len());
        let bars: Vec<(Symbol, Bar)> = ahead.drain(..take).flat_map(|(_, g)| g).collect();
        let Ok(permits) = tx.reserve_many(bars.len()).await else {
            return;
        };
        for (permit, (symbol, bar)) in permits.zip(bars) {
            permit.send(FeedEvent::Bar {
                symbol,
                timeframe: tf,
                bar,
            });
        }
        if speed > 0.0 {
            let pause = Duration::from_secs_f64(1.0 / speed);
            // A speed change or pause cuts the wait short so keys feel immediate.
            let _ = tokio::time::timeout(pause, control.changed()).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    let _ = tx.send(health(FeedHealth::Ended)).await;
}

/// A row of a bar file skipped on the way, for the status bar.
fn skipped(w: LoadWarning) -> FeedEvent {
    FeedEvent::Warning {
        message: w.skipped_line(),
        source: w.file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timeframe;
    use chrono::{TimeZone, Utc};

    fn b(day: u32) -> Bar {
        Bar {
            time: Utc.with_ymd_and_hms(2025, 1, day, 5, 0, 0).unwrap(),
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 1.0,
        }
    }

    #[tokio::test]
    async fn history_then_grouped_steps_then_ended() {
        let start = Utc.with_ymd_and_hms(2025, 1, 3, 0, 0, 0).unwrap();
        let plan = ReplayPlan::new(
            Timeframe::Day1,
            vec![
                (Symbol::Iwm, vec![b(1), b(2), b(3), b(6)]),
                (Symbol::Twm, vec![b(2), b(3)]),
            ],
            start,
        );
        let (tx, mut rx) = mpsc::channel(64);
        let (_ctl, ctl_rx) = watch::channel(ReplayControl {
            speed: 0.0,
            paused: false,
        });
        run(plan, tx, ctl_rx).await;
        let mut kinds = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            kinds.push(match ev {
                FeedEvent::History { bars, .. } => format!("H{}", bars.len()),
                FeedEvent::Bar { symbol, .. } => symbol.to_string(),
                FeedEvent::Health { health, .. } => format!("{health:?}"),
                FeedEvent::ReplayNext(next) => format!("next {}", next.len()),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(
            kinds,
            [
                "Connected",
                "H2",
                "H1",
                "next 3",
                "TWM",
                "IWM",
                "IWM",
                "Ended"
            ]
        );
    }
}
