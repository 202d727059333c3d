//! The Bull's rules: the counter-trend hedge on an oversold bounce, re-engagement on a reclaim
//! with evidence, and the hedge leaving with the Bear position it protects.

use super::*;

#[test]
fn hedge_table() {
    let cfg = Config::default_config();
    // (RSI of the previous bars, open, close, previous high, bear engaged, fires)
    let cases = [
        ([25.0, 35.0, 36.0], 200.0_f64, 203.0_f64, 202.0, true, true),
        ([35.0, 35.0, 36.0], 200.0, 203.0, 202.0, true, false), // never oversold
        ([25.0, 35.0, 36.0], 204.0, 203.0, 202.0, true, false), // bearish bar
        ([25.0, 35.0, 36.0], 200.0, 201.0, 202.0, true, false), // not above the previous high
        ([25.0, 35.0, 36.0], 200.0, 203.0, 202.0, false, false), // no Bear to hedge
    ];
    for (rsis, open, close, prev_high, engaged, fires) in cases {
        let mut bull = Bull::new(&cfg);
        for (i, r) in rsis.iter().enumerate() {
            let snap = Snapshot {
                rsi: Some(*r),
                ..down()
            };
            let b = bar(i as u64, 200.0, 201.0, 199.0, 200.0);
            bull.observe(&ctx(i as u64, &b, &snap, None));
        }
        let b = bar(3, open, close.max(open) + 0.5, open.min(close) - 0.5, close);
        let snap = down();
        let p = bull.check_hedge(
            &ctx(3, &b, &snap, Some(prev_high)),
            engaged.then_some(214.0),
        );
        assert_eq!(
            p.is_some(),
            fires,
            "{rsis:?} {open} {close} {prev_high} {engaged}"
        );
        if let Some(p) = p {
            // stop = close − 1.5 ATR; target = nearer of level 214 and EMA 212 above the close
            assert_eq!(p.stop_iwm, Some(close - 6.0));
            assert_eq!(bull.hedge().and_then(|h| h.target), Some(212.0));
        }
    }
}

#[test]
fn reengagement_needs_a_reclaim_plus_evidence_and_the_stop_only_rises() {
    // The optional trailing stop of the full long (off by default: it leaves at the hand-off).
    let mut cfg = Config::default_config();
    cfg.bull.stop_atr = 2.0;
    // (RSI before the reclaim, reclaim close, bars after the break, fires)
    let cases = [
        (25.0, 216.0, 10, true),
        (45.0, 216.0, 10, false), // no other evidence
        (25.0, 214.5, 10, false), // not above level + 0.25 ATR = 215
        (25.0, 216.0, 61, false), // too long after the break
    ];
    for (rsi, close, after, fires) in cases {
        let mut bull = Bull::new(&cfg);
        bull.on_bear_break(brk(214.0, 0, 212.0));
        let snap = Snapshot {
            rsi: Some(rsi),
            ..down()
        };
        let b = bar(after - 1, 210.0, 211.0, 209.0, 210.0);
        bull.observe(&ctx(after - 1, &b, &snap, None));
        let b = bar(after, 213.0, close + 0.5, 212.5, close);
        let s = down();
        let c = ctx(after, &b, &s, None);
        let reclaim = bull.observe(&c);
        let p = bull.check_reengage(&c, reclaim);
        assert_eq!(p.is_some(), fires, "rsi {rsi} close {close} after {after}");
    }
    // Trailing: highest close − 2 ATR, never lowered; a close below exits.
    let mut bull = Bull::new(&cfg);
    bull.on_bear_break(brk(214.0, 0, 212.0));
    let s = Snapshot {
        rsi: Some(25.0),
        ..down()
    };
    let b = bar(1, 213.0, 216.5, 212.5, 216.0);
    let c = ctx(1, &b, &s, None);
    let r = bull.observe(&c);
    assert!(bull.check_reengage(&c, r).is_some());
    let mut last = bull.pos().map(|p| p.stop).unwrap_or_default();
    assert_eq!(last, 208.0);
    for (i, close) in [220.0, 215.0, 221.0, 212.0].into_iter().enumerate() {
        let b = bar(2 + i as u64, close, close + 0.5, close - 0.5, close);
        let stop = bull.check_stop(&ctx(2 + i as u64, &b, &s, None));
        match bull.pos() {
            Some(p) if !p.exiting => {
                assert!(p.stop >= last);
                last = p.stop;
            }
            _ => assert_eq!(stop.map(|p| p.kind), Some(SignalKind::BullStop)),
        }
    }
    assert_eq!(last, 213.0);
    assert!(bull.pos().is_some_and(|p| p.exiting), "212 < 213 exits");
}

#[test]
fn the_hedge_exits_with_the_bear_position_it_hedges() {
    let cfg = Config::default_config();
    let mut bull = Bull::new(&cfg);
    let oversold = Snapshot {
        rsi: Some(25.0),
        ..down()
    };
    let b = bar(0, 200.0, 201.0, 199.0, 200.0);
    bull.observe(&ctx(0, &b, &oversold, None));
    let b = bar(1, 200.0, 203.5, 199.5, 203.0);
    let snap = down();
    assert!(bull
        .check_hedge(&ctx(1, &b, &snap, Some(202.0)), Some(214.0))
        .is_some());
    // The next bar is inside the hedge's stop and target, well within its time.
    let b = bar(2, 203.0, 204.0, 202.0, 203.5);
    let c = ctx(2, &b, &snap, Some(203.5));
    assert!(
        bull.check_hedge_exit(&c, true).is_none(),
        "the Bear still in"
    );
    let p = bull
        .check_hedge_exit(&c, false)
        .expect("the Bear's position is going out: so is the hedge");
    assert_eq!(p.kind, SignalKind::BullHedgeExit);
    assert!(p.reasons[0].to_string().contains("hedges is exiting"));
    assert!(
        bull.check_hedge_exit(&c, false).is_none(),
        "one exit, not one a bar"
    );
}
