//! The plan feeds what the old all-in-memory plan fed, in pieces.
use chrono::TimeZone;

use super::*;

fn bar(k: i64) -> Bar {
    let p = 100.0 + (k % 7) as f64;
    Bar {
        time: Utc.with_ymd_and_hms(2020, 1, 2, 14, 30, 0).unwrap() + chrono::Duration::minutes(k),
        open: p,
        high: p + 1.0,
        low: p - 1.0,
        close: p,
        volume: 1.0,
    }
}

fn bars(range: std::ops::Range<i64>) -> Vec<Bar> {
    range.map(bar).collect()
}

#[test]
fn a_long_history_goes_in_pieces_and_only_the_last_says_it_is_the_end() {
    let n = 2 * HISTORY_CHUNK as i64 + 5;
    let plan = ReplayPlan::new(
        Timeframe::Min1,
        vec![(Symbol::Iwm, bars(0..n + 3)), (Symbol::Twm, bars(0..2))],
        bar(n).time,
    );
    let heads: Vec<(Symbol, usize, bool)> = plan
        .filter_map(|p| match p {
            Part::History { symbol, bars, more } => Some((symbol, bars.len(), more)),
            _ => None,
        })
        .collect();
    assert_eq!(
        heads,
        [
            (Symbol::Iwm, HISTORY_CHUNK, true),
            (Symbol::Iwm, HISTORY_CHUNK, true),
            (Symbol::Iwm, 5, false),
            (Symbol::Twm, 2, false),
        ]
    );
}

#[test]
fn a_history_of_exactly_one_piece_is_not_followed_by_an_empty_one() {
    let n = HISTORY_CHUNK as i64;
    let plan = ReplayPlan::new(
        Timeframe::Min1,
        vec![(Symbol::Iwm, bars(0..n + 1))],
        bar(n).time,
    );
    let (history, steps, _) = plan.collect();
    assert_eq!(history[0].1.len(), HISTORY_CHUNK);
    assert_eq!(steps.len(), 1);
    let plan = ReplayPlan::new(
        Timeframe::Min1,
        vec![(Symbol::Iwm, bars(0..n + 1))],
        bar(n).time,
    );
    let pieces = plan.filter(|p| matches!(p, Part::History { .. })).count();
    assert_eq!(pieces, 1);
}

#[test]
fn steps_group_a_timestamp_with_the_vehicles_before_iwm_and_resume_makes_fed_bars_history() {
    let series = || {
        vec![
            (Symbol::Iwm, bars(0..10)),
            (Symbol::Twm, bars(3..10)),
            (Symbol::Srty, bars(5..8)),
        ]
    };
    let (history, steps, _) = ReplayPlan::new(Timeframe::Min1, series(), bar(4).time).collect();
    assert_eq!(history[0].1.len(), 4);
    assert_eq!(history[1].1.len(), 1);
    assert!(history[2].1.is_empty());
    assert_eq!(steps.len(), 6);
    let symbols: Vec<Symbol> = steps[1].1.iter().map(|(s, _)| *s).collect();
    assert_eq!(symbols, [Symbol::Twm, Symbol::Srty, Symbol::Iwm]);
    assert!(steps
        .iter()
        .all(|(t, g)| g.iter().all(|(_, b)| b.time == *t)));

    let cutoffs = [(Symbol::Iwm, bar(6).time), (Symbol::Twm, bar(5).time)];
    let plan = ReplayPlan::new(Timeframe::Min1, series(), bar(4).time).resume_after(&cutoffs);
    let (history, steps, _) = plan.collect();
    assert_eq!(history[0].1.len(), 7);
    assert_eq!(history[1].1.len(), 3);
    assert!(history[2].1.is_empty());
    let first: Vec<(Symbol, i64)> = steps[0]
        .1
        .iter()
        .map(|(s, b)| (*s, (b.time - bar(0).time).num_minutes()))
        .collect();
    assert_eq!(first, [(Symbol::Srty, 5)]);
    let second: Vec<Symbol> = steps[1].1.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        second,
        [Symbol::Twm, Symbol::Srty],
        "IWM's bar at 6 was fed before the crash"
    );
}

#[test]
fn a_journal_plan_keeps_what_was_history_and_what_was_live() {
    let history = vec![(Symbol::Iwm, bars(0..3)), (Symbol::Twm, bars(0..2))];
    let live = vec![
        (Symbol::Iwm, bar(3)),
        (Symbol::Twm, bar(2)),
        (Symbol::Twm, bar(3)),
        (Symbol::Iwm, bar(4)),
    ];
    let (h, steps, _) = ReplayPlan::from_parts(Timeframe::Min1, history, live).collect();
    assert_eq!((h[0].1.len(), h[1].1.len()), (3, 2));
    let fed: Vec<Vec<Symbol>> = steps
        .iter()
        .map(|(_, g)| g.iter().map(|(s, _)| *s).collect())
        .collect();
    assert_eq!(
        fed,
        [
            vec![Symbol::Twm],
            vec![Symbol::Twm, Symbol::Iwm],
            vec![Symbol::Iwm]
        ]
    );
}

#[test]
fn a_skipped_row_goes_out_before_the_bars_read_after_it() {
    let skipped = |line| LoadWarning::skipped("IWM.csv", line, "unreadable time".into());
    let items: Vec<Result<Bar, LoadWarning>> = vec![
        Ok(bar(0)),
        Ok(bar(1)),
        Err(skipped(4)),
        Ok(bar(2)),
        Err(skipped(6)),
    ];
    let source = Feed::Stream((Box::new(items.into_iter()) as Bars).peekable());
    let plan = ReplayPlan::streams(Timeframe::Min1, vec![(Symbol::Iwm, source)], bar(1).time);
    let order: Vec<String> = plan
        .map(|p| match p {
            Part::History { bars, .. } => format!("history {}", bars.len()),
            Part::Step((t, _)) => format!("step {}", (t - bar(0).time).num_minutes()),
            Part::Skipped(w) => format!("skipped {}", w.line),
        })
        .collect();
    assert_eq!(
        order,
        ["history 1", "step 1", "skipped 4", "step 2", "skipped 6"]
    );
}

/// Bars in memory and the same bars read as a stream make the same plan: histories (in pieces),
/// steps with the vehicles first, and the uneven ends of the series.
#[test]
fn bars_in_memory_plan_as_the_same_bars_streamed() {
    let n = HISTORY_CHUNK as i64 + 40;
    let series = || {
        vec![
            (Symbol::Iwm, bars(0..n)),
            (
                Symbol::Srty,
                bars(3..n - 5).into_iter().step_by(2).collect(),
            ),
            (Symbol::Twm, bars(1..n + 7)),
        ]
    };
    let start = bar(HISTORY_CHUNK as i64 + 2).time;
    let memory: Vec<Part> = Iterator::collect(ReplayPlan::new(Timeframe::Min1, series(), start));
    let streamed = series()
        .into_iter()
        .map(|(s, b)| {
            let items: Bars = Box::new(b.into_iter().map(Ok));
            (s, Feed::Stream(items.peekable()))
        })
        .collect();
    let streamed: Vec<Part> =
        Iterator::collect(ReplayPlan::streams(Timeframe::Min1, streamed, start));
    assert!(memory.len() > 40, "{}", memory.len());
    assert_eq!(memory, streamed);
}
