//! Replays recorded bars as if live: history first (warm-up), then one timestamp at a time at the
//! chosen pace. The pace and pause come from a watch channel the app owns.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use super::{FeedEvent, FeedHealth};
use crate::model::{Bar, Symbol, Timeframe};

pub const SOURCE: &str = "replay";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayControl {
    /// Bars per second; 0 = as fast as the consumer takes them.
    pub speed: f64,
    pub paused: bool,
}

/// One timestamp of a replay: the bars of every symbol that has one.
pub type Step = (DateTime<Utc>, Vec<(Symbol, Bar)>);

/// Bars of several symbols merged into one time-ordered stream of same-time groups.
pub struct ReplayPlan {
    pub timeframe: Timeframe,
    pub history: Vec<(Symbol, Vec<Bar>)>,
    /// Live part: each entry is one timestamp with the bars of every symbol that has one.
    pub steps: Vec<Step>,
}

impl ReplayPlan {
    pub fn new(
        timeframe: Timeframe,
        series: Vec<(Symbol, Vec<Bar>)>,
        start: DateTime<Utc>,
    ) -> Self {
        let mut history = Vec::new();
        let mut live = Vec::new();
        for (sym, bars) in series {
            let split = bars.partition_point(|b| b.time < start);
            live.extend(bars[split..].iter().map(|b| (sym, *b)));
            history.push((sym, bars[..split].to_vec()));
        }
        ReplayPlan::from_parts(timeframe, history, live)
    }

    /// A plan from bars already split into history and live (e.g. as a journal recorded them).
    pub fn from_parts(
        timeframe: Timeframe,
        history: Vec<(Symbol, Vec<Bar>)>,
        mut live: Vec<(Symbol, Bar)>,
    ) -> Self {
        // Vehicles before IWM within a timestamp: when IWM's close fires a signal, the engine
        // already knows the vehicle's price of the same bar.
        live.sort_by_key(|(s, b)| (b.time, *s == Symbol::Iwm, *s));
        let mut steps: Vec<Step> = Vec::new();
        for (s, b) in live {
            match steps.last_mut() {
                Some((lt, group)) if *lt == b.time => group.push((s, b)),
                _ => steps.push((b.time, vec![(s, b)])),
            }
        }
        ReplayPlan {
            timeframe,
            history,
            steps,
        }
    }

    /// Resume after a crash: every live bar of a symbol up to its cutoff (the last one the
    /// session journaled) becomes history, so it warms the engine but is never traded again.
    pub fn resume_after(self, cutoffs: &[(Symbol, DateTime<Utc>)]) -> Self {
        let cutoff = |s: Symbol| cutoffs.iter().find(|(c, _)| *c == s).map(|(_, t)| *t);
        let mut history = self.history;
        let mut live = Vec::new();
        for (s, b) in self.steps.into_iter().flat_map(|(_, g)| g) {
            if cutoff(s).is_some_and(|t| b.time <= t) {
                match history.iter_mut().find(|(h, _)| *h == s) {
                    Some((_, bars)) => bars.push(b),
                    None => history.push((s, vec![b])),
                }
            } else {
                live.push((s, b));
            }
        }
        ReplayPlan::from_parts(self.timeframe, history, live)
    }
}

/// Steps sent together when replaying as fast as possible (three bars a step at most: well
/// under the feed channel's capacity).
const CHUNK_STEPS: usize = 64;

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
    for (symbol, bars) in plan.history {
        if tx
            .send(FeedEvent::History {
                symbol,
                timeframe: tf,
                bars,
            })
            .await
            .is_err()
        {
            return;
        }
    }
    let mut steps = plan.steps.into_iter().peekable();
    while steps.peek().is_some() {
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
        let bars: Vec<(Symbol, Bar)> = steps.by_ref().take(take).flat_map(|(_, g)| g).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.steps[0].1.len(), 2);
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
                other => format!("{other:?}"),
            });
        }
        assert_eq!(
            kinds,
            ["Connected", "H2", "H1", "TWM", "IWM", "IWM", "Ended"]
        );
    }
}
