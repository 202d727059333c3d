//! The Bear's short-interest validation, as pure functions over ascending series. Every fact's
//! text cites the numbers and dates it rests on, so the trader can check it.

use crate::feed::cftc::range_52w;
use crate::model::{EvidenceFact, FuturesPositioning, ShortInterest, ShortVolume};

/// Sessions in the short-volume mean.
pub const SV_WINDOW: usize = 20;

/// Shares as "90.50 M".
pub fn millions(n: f64) -> String {
    format!("{:.2} M", n / 1e6)
}

/// Contracts with thousands separators and sign: "-81,234".
pub fn contracts(n: i64) -> String {
    crate::model::money::count(n)
}

/// Short interest rose from the previous report to the latest. Reads the latest report's
/// `previous_shares_short` (from FINRA, or filled from the consecutive report we hold) and cites
/// the previous report's date when `prev` is that report; `None` when the previous is unknown.
pub fn short_interest_rising(
    last: &ShortInterest,
    prev_row: Option<&ShortInterest>,
) -> Option<EvidenceFact> {
    let prev = last.previous_shares_short?;
    let change = last.shares_short as i64 - prev as i64;
    let pct = if prev > 0 {
        format!(", {:+.2} %", change as f64 / prev as f64 * 100.0)
    } else {
        String::new()
    };
    let prev_date = prev_row
        .filter(|r| r.shares_short == prev)
        .map(|r| format!(" (settled {})", r.settlement_date))
        .unwrap_or_default();
    let holds = change > 0;
    Some(EvidenceFact {
        holds,
        text: format!(
            "{} short interest {} (settled {}) {} {}{prev_date}: {}{}{}",
            last.symbol,
            millions(last.shares_short as f64),
            last.settlement_date,
            if holds { "up from" } else { "not above" },
            millions(prev as f64),
            if change >= 0 { "+" } else { "-" },
            millions(change.unsigned_abs() as f64),
            pct,
        ),
    })
}

/// The latest day's short-volume ratio against the mean of the last [`SV_WINDOW`] days
/// (the latest included). `None` with fewer days than the window.
pub fn short_volume_above_mean(series: &[&ShortVolume]) -> Option<EvidenceFact> {
    let with_ratio: Vec<(&ShortVolume, f64)> = series
        .iter()
        .filter_map(|s| Some((*s, s.ratio()?)))
        .collect();
    if with_ratio.len() < SV_WINDOW {
        return None;
    }
    let window = &with_ratio[with_ratio.len() - SV_WINDOW..];
    let mean = window.iter().map(|(_, r)| r).sum::<f64>() / SV_WINDOW as f64;
    let (last, ratio) = *window.last()?;
    let holds = ratio > mean;
    Some(EvidenceFact {
        holds,
        text: format!(
            "{} short-volume ratio {:.1} % on {} {} its {SV_WINDOW}-day mean {:.1} % ({} to {})",
            last.symbol,
            ratio * 100.0,
            last.date,
            if holds { "above" } else { "not above" },
            mean * 100.0,
            window[0].0.date,
            last.date,
        ),
    })
}

/// Leveraged funds' net E-mini Russell 2000 position is at (or below) its 52-week low (`rty`:
/// one report's rows, ascending). `None` with fewer than two reports (a one-point range says
/// nothing).
pub fn lev_funds_at_52w_low(rty: &[&FuturesPositioning]) -> Option<EvidenceFact> {
    if rty.len() < 2 {
        return None;
    }
    let r = range_52w(rty, FuturesPositioning::lev_money_net)?;
    let last = rty.last()?;
    let short_history = if r.reports < 52 {
        format!(", only {} weekly reports held", r.reports)
    } else {
        String::new()
    };
    Some(EvidenceFact {
        holds: r.at_low,
        text: format!(
            "Leveraged funds net E-mini Russell 2000 {} contracts on {} ({}, released {}) {} 52-week low {} (high {}{})",
            contracts(r.latest),
            last.report_date,
            last.report.label(),
            super::tff_published(last.report_date).date_naive(),
            if r.at_low { "at its" } else { "above its" },
            contracts(r.low),
            contracts(r.high),
            short_history,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Days, NaiveDate};

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(n)
    }

    fn si(n: u64, prev: Option<u64>) -> ShortInterest {
        ShortInterest {
            symbol: "IWM".into(),
            settlement_date: day(30),
            shares_short: n,
            previous_shares_short: prev,
            change: None,
            change_pct: None,
            avg_daily_volume: None,
            days_to_cover: None,
            revised: false,
            seen: None,
        }
    }

    #[test]
    fn si_rising_cites_both_reports() {
        let f = short_interest_rising(&si(90_500_000, Some(89_580_000)), None).unwrap();
        assert!(f.holds);
        assert!(
            f.text.contains("90.50 M") && f.text.contains("89.58 M"),
            "{}",
            f.text
        );
        assert!(f.text.contains("+1.03 %"), "{}", f.text);
        let f = short_interest_rising(&si(89_580_000, Some(90_860_000)), None).unwrap();
        assert!(!f.holds && f.text.contains("-1.28 M"), "{}", f.text);
        assert_eq!(short_interest_rising(&si(1, None), None), None);
    }

    fn sv(d: u64, short: f64) -> ShortVolume {
        ShortVolume {
            symbol: "IWM".into(),
            date: day(d),
            short_volume: short,
            short_exempt_volume: 0.0,
            total_volume: 100.0,
        }
    }

    #[test]
    fn short_volume_needs_a_full_window() {
        let mut s: Vec<_> = (0..19).map(|d| sv(d, 50.0)).collect();
        s.push(sv(19, 60.0));
        fn refs(s: &[ShortVolume]) -> Vec<&ShortVolume> {
            s.iter().collect()
        }
        let f = short_volume_above_mean(&refs(&s)).unwrap();
        assert!(f.holds, "{}", f.text);
        assert!(
            f.text.contains("60.0 %") && f.text.contains("50.5 %"),
            "{}",
            f.text
        );
        assert_eq!(short_volume_above_mean(&refs(&s[1..])), None);
        s.push(sv(20, 40.0));
        assert!(!short_volume_above_mean(&refs(&s)).unwrap().holds);
    }

    #[test]
    fn lev_funds_low_and_formatting() {
        let p = |w: u64, long: i64| FuturesPositioning {
            market: "RTY".into(),
            contract_code: "239742".into(),
            report_date: day(7 * w),
            report: Default::default(),
            lev_money_long: long,
            lev_money_short: 100_000,
            asset_mgr_long: None,
            asset_mgr_short: None,
            open_interest: None,
        };
        let h = [p(0, 50_000), p(1, 40_000), p(2, 18_766)];
        let h: Vec<&FuturesPositioning> = h.iter().collect();
        let f = lev_funds_at_52w_low(&h).unwrap();
        assert!(f.holds);
        assert!(
            f.text.contains("-81,234") && f.text.contains("only 3"),
            "{}",
            f.text
        );
        let rising = [p(0, 40_000), p(1, 50_000)];
        assert!(
            !lev_funds_at_52w_low(&rising.iter().collect::<Vec<_>>())
                .unwrap()
                .holds
        );
        assert_eq!(lev_funds_at_52w_low(&h[..1]), None);
        assert_eq!(contracts(1_234_567), "1,234,567");
        assert_eq!(contracts(-999), "-999");
    }
}
