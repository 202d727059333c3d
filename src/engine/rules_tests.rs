//! Table-driven tests of the Bear and Bull rules, one agent at a time, on hand-made bars.

use chrono::{Duration, TimeZone, Utc};

use super::bear::{trend, Bear};
use super::bull::Bull;
use super::context::{Ctx, ShortCheck, Sizing};
use super::indicators::Snapshot;
use super::levels::Break;
use super::types::{Level, LevelSource, LevelState};
use crate::config::Config;
use crate::model::{Bar, SignalKind};

fn bar(seq: u64, open: f64, high: f64, low: f64, close: f64) -> Bar {
    Bar {
        time: Utc.with_ymd_and_hms(2025, 1, 1, 5, 0, 0).unwrap() + Duration::days(seq as i64),
        open,
        high,
        low,
        close,
        volume: 1e6,
    }
}

/// Indicators of a downtrend: close below SMA50, SMA50 < SMA200.
fn down() -> Snapshot {
    Snapshot {
        rsi: Some(40.0),
        atr: Some(4.0),
        sma_fast: Some(220.0),
        sma_mid: Some(222.0),
        sma_slow: Some(225.0),
        ema: Some(212.0),
        volume_sma: Some(1e6),
        ..Snapshot::default()
    }
}

fn ctx<'a>(seq: u64, b: &'a Bar, s: &'a Snapshot, prev_high: Option<f64>) -> Ctx<'a> {
    Ctx {
        seq,
        bar: b,
        prev_high,
        ind: s,
        atr: s.atr.unwrap_or(4.0),
    }
}

fn brk(level: f64, bar: u64, close: f64) -> Break {
    Break {
        level: Level {
            price: level,
            source: LevelSource::Pivot,
            strength: 3,
            state: LevelState::Broken,
        },
        bar,
        close,
        atr: 4.0,
        magnitude: (level - close) / 4.0,
    }
}

#[test]
fn trend_table() {
    // (close, sma50, sma100, sma200, confirmed)
    let cases = [
        (210.0, 220.0, 222.0, 225.0, true),  // all three extras
        (221.0, 220.0, 222.0, 225.0, false), // above SMA50: never
        (215.0, 220.0, 210.0, 212.0, false), // above SMA200, SMA50 > SMA200, no stack
        (211.0, 220.0, 210.0, 212.0, true),  // close < SMA200 suffices
    ];
    for (close, f, m, s, want) in cases {
        let snap = Snapshot {
            sma_fast: Some(f),
            sma_mid: Some(m),
            sma_slow: Some(s),
            ..down()
        };
        let b = bar(0, close, close, close, close);
        assert_eq!(
            trend(&ctx(0, &b, &snap, None)).is_some(),
            want,
            "close {close}"
        );
    }
}

#[test]
fn tier_one_needs_a_remembered_break_and_the_trend() {
    let cfg = Config::default_config();
    let s = down();
    // (bars after the break, close, trend snapshot?, fires)
    let cases = [
        (0, 212.0, true, true),
        (4, 212.0, true, true),  // still remembered on the 5th bar
        (5, 212.0, true, false), // forgotten after break_memory_bars = 5
        (1, 214.5, true, false), // price climbed back over the level: forgotten
        (0, 212.0, false, false),
    ];
    for (after, close, trending, fires) in cases {
        let mut bear = Bear::new(&cfg);
        bear.on_break(brk(214.0, 10, 212.0));
        let snap = if trending {
            s
        } else {
            Snapshot {
                sma_fast: Some(200.0),
                ..s
            }
        };
        let b = bar(10 + after, close + 1.0, close + 1.5, close - 0.5, close);
        let c = ctx(10 + after, &b, &snap, None);
        bear.age_memory(c.seq, close);
        let p = bear.check_entry(&c, &ShortCheck::new(None));
        assert_eq!(
            p.is_some(),
            fires,
            "after {after}, close {close}, trend {trending}"
        );
        if let Some(p) = p {
            assert_eq!(p.kind, SignalKind::BearEntry { tier: 1 });
            // stop = close + 3 ATR, ATR 4 (not the old min(level + 0.5 ATR, close + 2 ATR))
            assert_eq!(p.stop_iwm, Some(close + 12.0));
            assert!(
                matches!(p.sizing, Sizing::BearBeta { m } if (m - (214.0 - close) / 4.0).abs() < 1e-9)
            );
            assert!(
                p.reasons[0].to_string().contains("support 214.00"),
                "{:?}",
                p.reasons
            );
        }
    }
}

/// The break reason quotes the configured threshold, not the default.
#[test]
fn break_reason_quotes_the_configured_break_atr() {
    for (break_atr, want) in [(0.25, "− 0.25 × ATR 4.00"), (0.5, "− 0.5 × ATR 4.00")] {
        let mut cfg = Config::default_config();
        cfg.bear.break_atr = break_atr;
        let mut bear = Bear::new(&cfg);
        bear.on_break(brk(214.0, 10, 212.0));
        let s = down();
        let b = bar(10, 213.0, 213.5, 211.5, 212.0);
        let p = bear
            .check_entry(&ctx(10, &b, &s, None), &ShortCheck::new(None))
            .expect("tier 1");
        let text = p.reasons[0].to_string();
        assert!(text.contains(want), "break_atr {break_atr}: {text}");
    }
}

#[test]
fn later_tiers_need_extension_gap_and_a_failed_rebound() {
    let s = down();
    // level 214, ATR 4: extension ≤ 210, rebound high ≥ 212, close < 214 and < open.
    // (bar, open, high, low, close, fires)
    let cases = [
        (13, 213.5, 213.0, 209.0, 211.0, true),
        (12, 213.5, 213.0, 209.0, 211.0, false), // only 2 bars after tier 1
        (13, 213.5, 211.5, 209.0, 211.0, false), // high not within 0.5 ATR of the level
        (13, 210.5, 213.0, 209.0, 211.0, false), // closes above its open
        (13, 215.0, 215.0, 209.0, 214.5, false), // closes above the level
        (13, 213.5, 213.0, 210.5, 211.0, false), // never traded 1 ATR below
    ];
    for (seq, o, h, l, c, fires) in cases {
        let mut bear = entered_bear();
        let b = bar(seq, o, h, l, c);
        let cx = ctx(seq, &b, &s, None);
        assert!(bear.check_stop(&cx).is_none());
        let p = bear.check_entry(&cx, &ShortCheck::new(None));
        assert_eq!(
            p.map(|p| p.kind),
            fires.then_some(SignalKind::BearEntry { tier: 2 }),
            "bar {seq} {o} {h} {l} {c}"
        );
    }
}

/// A Bear that took tier 1 on bar 10: a break of 214 closing at 212, ATR 4, in the downtrend.
fn entered_bear() -> Bear {
    let mut bear = Bear::new(&Config::default_config());
    bear.on_break(brk(214.0, 10, 212.0));
    let b0 = bar(10, 213.0, 213.5, 211.5, 212.0);
    assert!(bear
        .check_entry(&ctx(10, &b0, &down(), None), &ShortCheck::new(None))
        .is_some());
    bear
}

#[test]
fn bear_stop_trails_down_and_fires_above() {
    let s = down();
    let mut bear = entered_bear();
    // Entry close 212, ATR 4: stop 212 + 3 ATR = 224, trailed at the lowest close + 12.
    // (close, stop after the bar, stopped)
    let cases = [
        (206.0, 218.0, false),
        (209.0, 218.0, false),
        (200.0, 212.0, false),
        (212.5, 212.0, true),
    ];
    for (i, (close, stop, stopped)) in cases.into_iter().enumerate() {
        let b = bar(11 + i as u64, close, close + 0.5, close - 0.5, close);
        let p = bear.check_stop(&ctx(11 + i as u64, &b, &s, None));
        assert_eq!(p.is_some(), stopped, "close {close}");
        if !stopped {
            assert_eq!(bear.pos().map(|p| p.stop), Some(stop), "close {close}");
        }
    }
    // The stop fired: the position waits for its exit's fill, and no second exit is proposed.
    assert!(bear.pos().is_some_and(|p| p.exiting));
    let b = bar(15, 209.0, 209.5, 208.5, 209.0);
    assert!(bear.check_stop(&ctx(15, &b, &s, None)).is_none());
}

#[test]
fn the_profit_target_takes_every_tier_9_atr_below_the_tier_1_close() {
    let s = down();
    let mut bear = entered_bear();
    // 212 − 9 × ATR 4 = 176: 176.5 holds, 176 exits (the stop trails far above by then)
    for (i, (close, exits)) in [(190.0, false), (176.5, false), (176.0, true)]
        .into_iter()
        .enumerate()
    {
        let b = bar(11 + i as u64, close, close + 0.5, close - 0.5, close);
        let p = bear.check_stop(&ctx(11 + i as u64, &b, &s, None));
        assert_eq!(
            p.as_ref().map(|p| p.kind),
            exits.then_some(SignalKind::BearTarget),
            "{close}"
        );
    }
}

#[test]
fn after_a_stop_out_the_same_level_waits_out_the_cool_down() {
    let s = down();
    let mut bear = entered_bear();
    // stopped out at bar 11 (close 225 > 224)
    let b = bar(11, 224.0, 225.5, 223.5, 225.0);
    assert!(bear.check_stop(&ctx(11, &b, &s, None)).is_some());
    bear.stand_down();
    // (bar, level, fires): the same level (within 0.5 ATR = 2) waits 20 bars; another does not
    for (seq, level, fires) in [
        (20, 215.0, false),
        (30, 213.0, false),
        (31, 214.0, true),
        (20, 205.0, true),
    ] {
        let mut b2 = bear.clone();
        b2.on_break(brk(level, seq, level - 2.0));
        let b = bar(seq, level - 1.0, level - 0.5, level - 2.5, level - 2.0);
        let p = b2.check_entry(&ctx(seq, &b, &s, None), &ShortCheck::new(None));
        assert_eq!(p.is_some(), fires, "bar {seq}, level {level}");
    }
}

/// Shares adopted at a restart whose journaled tier clock counts bars this history has not
/// reached (a shorter history): the clock goes, the day the position began stays.
#[test]
fn an_adopted_position_keeps_the_day_it_began_without_its_bar_clock() {
    use crate::model::{BearTiers, StandingStop};
    let mut bear = Bear::new(&Config::default_config());
    let since = Utc.with_ymd_and_hms(2025, 2, 24, 5, 0, 0).unwrap();
    let known = StandingStop::Bear {
        stop: 224.68,
        lowest_close: 213.83,
        level: 214.79,
        entry: 213.83,
        target: Some(181.26),
        tiers: Some(BearTiers {
            first_bar: 500,
            since,
            last_tier_bar: 500,
            min_low: 212.0,
            confidence: 0.4,
            magnitude: 0.27,
        }),
    };
    let at = super::context::AdoptAt {
        seq: 120,
        time: Utc.with_ymd_and_hms(2025, 3, 4, 5, 0, 0).unwrap(),
        close: 205.0,
        low: 204.0,
        atr: 3.6,
    };
    bear.adopt(&at, 1, Some(known));
    let p = bear.pos().unwrap();
    assert_eq!(p.since, since);
    // The bar clock is this history's: it starts at the adoption bar.
    assert_eq!(p.first_bar, 120);
    // A day after the adoption bar is not this history's either.
    let mut later = Bear::new(&Config::default_config());
    let mut at = at;
    at.time = Utc.with_ymd_and_hms(2025, 2, 20, 5, 0, 0).unwrap();
    later.adopt(&at, 1, Some(known));
    assert_eq!(later.pos().unwrap().since, at.time);
}

#[path = "bull_rules_tests.rs"]
mod bull;
