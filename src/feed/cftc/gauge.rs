//! Positioning arithmetic: contracts → dollars, 52-week ranges, and the Russell-vs-Nasdaq gap.

use chrono::Days;
use serde::Serialize;

use crate::model::FuturesPositioning;

/// Dollar notional of `contracts` at index `level`; `None` when the level is unknown, so the
/// display falls back to contracts instead of inventing a level.
pub fn notional(contracts: i64, multiplier: f64, level: Option<f64>) -> Option<f64> {
    level
        .filter(|l| l.is_finite() && *l > 0.0)
        // Whole dollars: the level's cents times the multiplier leave float dust
        // (7,408,420,073.000001) that no reader wants in the JSON.
        .map(|l| (contracts as f64 * multiplier * l).round())
}

/// Where the newest value sits in its trailing 52-week range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range52 {
    pub latest: i64,
    pub low: i64,
    pub high: i64,
    /// Reports inside the window (52 or 53 for a full year).
    pub reports: usize,
    /// 0 = at the low, 1 = at the high; 0.5 when the range is flat.
    pub pct_in_range: f64,
    pub at_low: bool,
}

/// The 52-week range of `value` over `history` (ascending by date, one contract), ending at the
/// newest row. `None` for an empty history.
pub fn range_52w(
    history: &[&FuturesPositioning],
    value: impl Fn(&FuturesPositioning) -> i64,
) -> Option<Range52> {
    range_52w_of(history.iter().copied(), value)
}

/// [`range_52w`] over rows as they come out of the book's date index, without collecting them.
pub fn range_52w_of<'a, I>(
    history: I,
    value: impl Fn(&FuturesPositioning) -> i64,
) -> Option<Range52>
where
    I: DoubleEndedIterator<Item = &'a FuturesPositioning> + Clone,
{
    let newest = history.clone().next_back()?;
    let start = newest.report_date.checked_sub_days(Days::new(364))?;
    let (mut low, mut high, mut reports) = (i64::MAX, i64::MIN, 0);
    for v in history.filter(|p| p.report_date >= start).map(&value) {
        low = low.min(v);
        high = high.max(v);
        reports += 1;
    }
    let latest = value(newest);
    let pct_in_range = if high > low {
        (latest - low) as f64 / (high - low) as f64
    } else {
        0.5
    };
    Some(Range52 {
        latest,
        low,
        high,
        reports,
        pct_in_range,
        at_low: latest <= low,
    })
}

/// "Long Nasdaq, short Russell" in one number: leveraged funds' place in their own 52-week range
/// on NQ minus on RTY. +1 = at the top of the range on Nasdaq and the bottom on Russell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapGauge {
    pub rty_pct_in_range: f64,
    pub nq_pct_in_range: f64,
    /// `nq_pct_in_range − rty_pct_in_range`, in [-1, 1].
    pub gap: f64,
    /// Net leveraged-fund dollars NQ − RTY, when both index levels are known.
    pub dollar_gap: Option<f64>,
}

pub fn gap_gauge(
    rty: &[&FuturesPositioning],
    nq: &[&FuturesPositioning],
    russell_level: Option<f64>,
    nasdaq_level: Option<f64>,
) -> Option<GapGauge> {
    let r = range_52w(rty, FuturesPositioning::lev_money_net)?;
    let n = range_52w(nq, FuturesPositioning::lev_money_net)?;
    let r_usd = notional(r.latest, super::RUSSELL_MULTIPLIER, russell_level);
    let n_usd = notional(n.latest, super::NASDAQ_MULTIPLIER, nasdaq_level);
    Some(GapGauge {
        rty_pct_in_range: r.pct_in_range,
        nq_pct_in_range: n.pct_in_range,
        gap: n.pct_in_range - r.pct_in_range,
        dollar_gap: n_usd.zip(r_usd).map(|(n, r)| n - r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// The press figure of 2025-08-05 in whole dollars, and the 08-12 long without float dust.
    #[test]
    fn notional_is_whole_dollars() {
        let short = notional(180_193, 50.0, Some(2225.67)).unwrap();
        assert_eq!(short, 20_052_507_716.0);
        let long = notional(64_907, 50.0, Some(2282.78)).unwrap();
        assert_eq!(long, 7_408_420_073.0);
        assert_eq!(notional(1, 50.0, None), None);
        assert_eq!(notional(1, 50.0, Some(f64::NAN)), None);
    }

    fn p(market: &str, week: u64, lev_long: i64) -> FuturesPositioning {
        let d = NaiveDate::from_ymd_opt(2025, 1, 7).unwrap() + Days::new(7 * week);
        FuturesPositioning {
            market: market.into(),
            contract_code: "x".into(),
            report_date: d,
            report: Default::default(),
            lev_money_long: lev_long,
            lev_money_short: 100,
            asset_mgr_long: None,
            asset_mgr_short: None,
            open_interest: None,
        }
    }

    #[test]
    fn range_uses_only_the_last_52_weeks() {
        // Week 0 has the lowest value but falls outside the window ending at week 60.
        let mut h: Vec<_> = (0..=60).map(|w| p("RTY", w, 50 + w as i64)).collect();
        h[0].lev_money_long = -1000;
        fn refs(h: &[FuturesPositioning]) -> Vec<&FuturesPositioning> {
            h.iter().collect()
        }
        let r = range_52w(&refs(&h), FuturesPositioning::lev_money_net).unwrap();
        assert_eq!(r.reports, 53);
        assert_eq!((r.low, r.high, r.latest), (8 - 100 + 50, 10, 10));
        assert!(!r.at_low);
        h.last_mut().unwrap().lev_money_long = -5000;
        assert!(
            range_52w(&refs(&h), FuturesPositioning::lev_money_net)
                .unwrap()
                .at_low
        );
    }

    #[test]
    fn dollars_only_with_a_level_and_gap_sign() {
        assert_eq!(notional(-10, 50.0, Some(2000.0)), Some(-1_000_000.0));
        assert_eq!(notional(-10, 50.0, None), None);
        assert_eq!(notional(-10, 50.0, Some(f64::NAN)), None);
        let rty: Vec<_> = (0..5).map(|w| p("RTY", w, 100 - w as i64)).collect();
        let nq: Vec<_> = (0..5).map(|w| p("NQ", w, 100 + w as i64)).collect();
        let (rty, nq): (Vec<_>, Vec<_>) = (rty.iter().collect(), nq.iter().collect());
        let g = gap_gauge(&rty, &nq, None, Some(20000.0)).unwrap();
        assert_eq!(
            (g.rty_pct_in_range, g.nq_pct_in_range, g.gap),
            (0.0, 1.0, 1.0)
        );
        assert_eq!(g.dollar_gap, None);
    }
}
