//! The Bear's short-interest validation, as pure functions over ascending series. Every fact's
//! text cites the numbers and dates it rests on, so the trader can check it.

use std::fmt;

use crate::feed::cftc::range_52w_of;
use crate::model::{EvidenceFact, FactNumbers, FuturesPositioning, ShortInterest, ShortVolume};

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
    Some(EvidenceFact {
        holds: last.shares_short > prev,
        numbers: FactNumbers::ShortInterest {
            symbol: last.symbol.clone(),
            shares: last.shares_short,
            settled: last.settlement_date,
            prev,
            prev_settled: prev_row
                .filter(|r| r.shares_short == prev)
                .map(|r| r.settlement_date),
        },
    })
}

/// The latest day's short-volume ratio against the mean of the last [`SV_WINDOW`] days with a
/// ratio (the latest included), from days given newest first. `None` with fewer than the window.
pub fn short_volume_above_mean<'a>(
    newest_first: impl Iterator<Item = &'a ShortVolume>,
) -> Option<EvidenceFact> {
    let mut window = newest_first
        .filter_map(|s| Some((s, s.ratio()?)))
        .take(SV_WINDOW);
    let (last, ratio) = window.next()?;
    // Summed oldest first, as the mean always was (the last digit of a float sum depends on it).
    let mut ratios = [0.0; SV_WINDOW];
    ratios[SV_WINDOW - 1] = ratio;
    let mut first = last;
    let mut n = 1;
    for (s, r) in window {
        ratios[SV_WINDOW - 1 - n] = r;
        first = s;
        n += 1;
    }
    if n < SV_WINDOW {
        return None;
    }
    let mean = ratios.iter().sum::<f64>() / SV_WINDOW as f64;
    Some(EvidenceFact {
        holds: ratio > mean,
        numbers: FactNumbers::ShortVolume {
            symbol: last.symbol.clone(),
            ratio,
            day: last.date,
            mean,
            from: first.date,
        },
    })
}

/// Leveraged funds' net E-mini Russell 2000 position is at (or below) its 52-week low (`rty`:
/// one report's rows, ascending). `None` with fewer than two reports (a one-point range says
/// nothing).
pub fn lev_funds_at_52w_low<'a, I>(rty: I) -> Option<EvidenceFact>
where
    I: DoubleEndedIterator<Item = &'a FuturesPositioning> + Clone,
{
    rty.clone().nth(1)?;
    let last = rty.clone().next_back()?;
    let r = range_52w_of(rty, FuturesPositioning::lev_money_net)?;
    Some(EvidenceFact {
        holds: r.at_low,
        numbers: FactNumbers::LevFunds {
            net: r.latest,
            report_date: last.report_date,
            report: last.report,
            low: r.low,
            high: r.high,
            reports: r.reports,
        },
    })
}

/// The sentence a trader reads: every figure and date the fact rests on.
impl fmt::Display for EvidenceFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let holds = self.holds;
        match &self.numbers {
            FactNumbers::ShortInterest {
                symbol,
                shares,
                settled,
                prev,
                prev_settled,
            } => {
                let change = *shares as i64 - *prev as i64;
                write!(
                    f,
                    "{symbol} short interest {} (settled {settled}) {} {}",
                    millions(*shares as f64),
                    if holds { "up from" } else { "not above" },
                    millions(*prev as f64),
                )?;
                if let Some(d) = prev_settled {
                    write!(f, " (settled {d})")?;
                }
                write!(
                    f,
                    ": {}{}",
                    if change >= 0 { "+" } else { "-" },
                    millions(change.unsigned_abs() as f64),
                )?;
                if *prev > 0 {
                    write!(f, ", {:+.2} %", change as f64 / *prev as f64 * 100.0)?;
                }
                Ok(())
            }
            FactNumbers::ShortVolume {
                symbol,
                ratio,
                day,
                mean,
                from,
            } => write!(
                f,
                "{symbol} short-volume ratio {:.1} % on {day} {} its {SV_WINDOW}-day mean {:.1} % ({from} to {day})",
                ratio * 100.0,
                if holds { "above" } else { "not above" },
                mean * 100.0,
            ),
            FactNumbers::LevFunds {
                net,
                report_date,
                report,
                low,
                high,
                reports,
            } => {
                write!(
                    f,
                    "Leveraged funds net E-mini Russell 2000 {} contracts on {report_date} ({}, released {}) {} 52-week low {} (high {}",
                    contracts(*net),
                    report.label(),
                    super::tff_published(*report_date).date_naive(),
                    if holds { "at its" } else { "above its" },
                    contracts(*low),
                    contracts(*high),
                )?;
                if *reports < 52 {
                    write!(f, ", only {reports} weekly reports held")?;
                }
                f.write_str(")")
            }
        }
    }
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
            f.text().contains("90.50 M") && f.text().contains("89.58 M"),
            "{}",
            f.text()
        );
        assert!(f.text().contains("+1.03 %"), "{}", f.text());
        let f = short_interest_rising(&si(89_580_000, Some(90_860_000)), None).unwrap();
        assert!(!f.holds && f.text().contains("-1.28 M"), "{}", f.text());
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
        let f = short_volume_above_mean(s.iter().rev()).unwrap();
        assert!(f.holds, "{}", f.text());
        assert!(
            f.text().contains("60.0 %") && f.text().contains("50.5 %"),
            "{}",
            f.text()
        );
        assert_eq!(short_volume_above_mean(s[1..].iter().rev()), None);
        s.push(sv(20, 40.0));
        assert!(!short_volume_above_mean(s.iter().rev()).unwrap().holds);
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
        let f = lev_funds_at_52w_low(h.iter()).unwrap();
        assert!(f.holds);
        assert!(
            f.text().contains("-81,234") && f.text().contains("only 3"),
            "{}",
            f.text()
        );
        let rising = [p(0, 40_000), p(1, 50_000)];
        assert!(!lev_funds_at_52w_low(rising.iter()).unwrap().holds);
        assert_eq!(lev_funds_at_52w_low(h[..1].iter()), None);
        assert_eq!(contracts(1_234_567), "1,234,567");
        assert_eq!(contracts(-999), "-999");
    }
}
