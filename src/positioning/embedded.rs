//! Real snapshots compiled into the binary, so the positioning pane shows real numbers offline.
//!
//! Sources:
//! - `embedded/short_interest.psv` (FINRA short-interest file layout, unknown columns blank):
//!   IWM short interest as published for the settlements of 2025-06-13, 06-30, 07-15 and 07-31
//!   (97.32 M, 90.86 M, 89.58 M, 90.50 M shares; published in millions to two decimals, so these
//!   counts are rounded to 10,000 shares). The first is often labelled "2025-06-15", a Sunday;
//!   FINRA's settlement date for that cycle is Friday 2025-06-13. Plus FINRA consolidated short
//!   interest settled 2026-05-15 for IWM 79,731,219, SRTY 327,078, TWM 151,509 shares, from
//!   EnderA44hub/finra-short-interest @4153a3eb (`finra_si_2026-05-15.parquet`).
//! - `embedded/regsho_daily.psv` (Reg SHO daily layout): IWM short-sale volume 2020-01-02 →
//!   2021-07-16 summed over the trade-reporting facility files FNSQ, FNYX, FNQC, FNRA from
//!   AnnihilationGod/AnnihilationGod @b19b25b8 (FNYX's repeated IWM row of 2011-05-31 dropped;
//!   `Market` lists the facilities summed). The sums equal FINRA's consolidated CNMS files on the
//!   days both exist (2020-01-02/03/06). TWM and SRTY rows for those three days come from the
//!   CNMS files themselves (pookiemaker/shorts @69aec95b).
//! - `embedded/tff.psv`: CFTC Traders in Financial Futures, E-mini Russell 2000 (239742) and
//!   E-mini Nasdaq-100 (209742), one line per report (`F` futures only, `C` futures + options),
//!   report Tuesday, open interest, leveraged funds long/short, asset managers long/short. From the
//!   raw CFTC `FinFutYY.txt` / `FinComYY.txt` files (futures only 2018 → 2025-04-29 with gaps and
//!   2026; combined 2022 → 2024-12-10) committed in public repos (storrealba09/fx_fundamentals,
//!   LIQiushui2427/Awesome-AI-Bot, cloorem2/fx-trader, wyne1/carbon-market-forecasting,
//!   jtrobinsonuk/Futures-Analysis, jessetusiime/Dashboard, gamaiun/cot-reports); Russell combined
//!   weeks the raw files lack (to 2026-02-17) from Philbenzy/cftc-cot-report `data/cot_data.json`
//!   (agrees with the raw files on all 70 overlapping weeks); Nasdaq-100 futures-only weeks the
//!   raw files lack from qiaoenn/cftc-cot-dashboard (leveraged funds only: no asset managers).
//!   `tools/trim_positioning.py` rebuilds it. US-government (CFTC) public data.
//! - `embedded/rut.csv`: Russell 2000 index daily closes 2016 → 2026-02-23 (alitalbi/storage_data_fy
//!   `^RUT.csv` @94140683), for contracts × index × $50 and the chart's index levels.

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;

use super::PositioningBook;
use crate::feed::cftc::{NQ, RTY};
use crate::feed::finra::{enrich_series, parse_regsho, parse_si_pipe};
use crate::feed::FeedEvent;
use crate::model::{FuturesPositioning, ShortInterest, ShortVolume, TffReport};

const SHORT_INTEREST: &str = include_str!("embedded/short_interest.psv");
const REGSHO_DAILY: &str = include_str!("embedded/regsho_daily.psv");
const TFF: &str = include_str!("embedded/tff.psv");
const RUT: &str = include_str!("embedded/rut.csv");

/// What the pane says where the bundled data ends.
pub const BUNDLED_ENDS: &str = "bundled data ends; live pollers bring current figures";

/// The bundled short-interest reports, sorted by symbol then date, change filled where consecutive.
pub fn short_interest() -> Vec<ShortInterest> {
    let mut rows = parse_si_pipe(SHORT_INTEREST, &[])
        .map(|p| p.rows)
        .unwrap_or_default();
    enrich_series(&mut rows);
    rows
}

/// The bundled Reg SHO daily rows, sorted by symbol then date.
pub fn short_volume() -> Vec<ShortVolume> {
    let mut rows = parse_regsho(REGSHO_DAILY, &[])
        .map(|p| p.rows)
        .unwrap_or_default();
    rows.sort_by(|a, b| (&a.symbol, a.date).cmp(&(&b.symbol, b.date)));
    rows
}

/// The bundled CFTC rows, by file order (report, code, date). A malformed line is a build-time
/// mistake the test below catches, so it is skipped rather than failing the app.
pub fn futures() -> Vec<FuturesPositioning> {
    TFF.lines().skip(1).filter_map(tff_row).collect()
}

fn tff_row(line: &str) -> Option<FuturesPositioning> {
    let [kind, code, date, oi, ll, ls, al, ash] = fields(line, b'|')?;
    let opt = |s: &str| s.parse::<i64>().ok();
    Some(FuturesPositioning {
        market: match code {
            "239742" => RTY,
            "209742" => NQ,
            _ => return None,
        }
        .to_string(),
        contract_code: code.to_string(),
        report_date: ymd(date)?,
        report: match kind {
            "F" => TffReport::FuturesOnly,
            "C" => TffReport::Combined,
            _ => return None,
        },
        lev_money_long: ll.parse().ok()?,
        lev_money_short: ls.parse().ok()?,
        asset_mgr_long: opt(al),
        asset_mgr_short: opt(ash),
        open_interest: opt(oi),
    })
}

/// The fields of `line` split at the ASCII `sep`, if there are exactly `N`. Taken as they come
/// (a `Vec` of them a line was a third of the bundled book's parse), found byte by byte (`str`'s
/// split looks for a `char`: most of the rest for fields this short).
fn fields<const N: usize>(line: &str, sep: u8) -> Option<[&str; N]> {
    let mut out = [""; N];
    let mut n = 0;
    let mut start = 0;
    for end in line
        .bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == sep).then_some(i))
    {
        *out.get_mut(n)? = &line[start..end];
        n += 1;
        start = end + 1;
    }
    *out.get_mut(n)? = &line[start..];
    (n + 1 == N).then_some(out)
}

/// A `YYYY-MM-DD` date as `str::parse` reads it, by the bar loader's reader (chrono's general
/// format parser was most of the bundled book's parse, which a `--sweep` waits for).
fn ymd(s: &str) -> Option<NaiveDate> {
    crate::data::plain_date(s.as_bytes()).or_else(|| s.parse().ok())
}

/// The bundled Russell 2000 closes.
pub fn russell() -> Arc<super::Dated<f64>> {
    static RUSSELL: OnceLock<Arc<super::Dated<f64>>> = OnceLock::new();
    RUSSELL
        .get_or_init(|| {
            Arc::new(
                RUT.lines()
                    .skip(1)
                    .filter_map(|l| {
                        let (d, c) = l.split_once(',')?;
                        Some((ymd(d)?, c.parse().ok()?))
                    })
                    .collect(),
            )
        })
        .clone()
}

/// Every bundled snapshot as feed events, for the app to apply before any poller reports.
pub fn embedded_events() -> Vec<FeedEvent> {
    short_interest()
        .into_iter()
        .map(FeedEvent::ShortInterest)
        .chain(short_volume().into_iter().map(FeedEvent::ShortVolume))
        .chain(futures().into_iter().map(FeedEvent::Positioning))
        .collect()
}

/// The book on the bundled data, parsed once per process (every session starts from it).
pub(super) fn book() -> &'static PositioningBook {
    static BOOK: OnceLock<PositioningBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let mut b = PositioningBook::new();
        for ev in embedded_events() {
            b.apply(&ev);
        }
        b.russell = russell();
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fields` as `str::split` gave them: exactly `N` or none.
    fn split_fields<const N: usize>(line: &str) -> Option<[&str; N]> {
        let v: Vec<&str> = line.split('|').collect();
        v.try_into().ok()
    }

    proptest::proptest! {
        #[test]
        fn fields_are_the_splits_pieces(line in "[a|é ]{0,12}") {
            proptest::prop_assert_eq!(fields::<3>(&line, b'|'), split_fields::<3>(&line));
            proptest::prop_assert_eq!(fields::<1>(&line, b'|'), split_fields::<1>(&line));
        }
    }

    #[test]
    fn every_bundled_cftc_line_splits_as_before() {
        for line in TFF.lines() {
            assert_eq!(fields::<8>(line, b'|'), split_fields::<8>(line), "{line}");
        }
    }

    #[test]
    fn bundled_files_parse_cleanly_with_the_published_figures() {
        let si = parse_si_pipe(SHORT_INTEREST, &[]).unwrap();
        assert!(si.skipped.is_empty(), "{:?}", si.skipped);
        let rows = short_interest();
        assert_eq!(rows.len(), 7);
        let iwm: Vec<u64> = rows
            .iter()
            .filter(|r| r.symbol == "IWM")
            .map(|r| r.shares_short)
            .collect();
        assert_eq!(
            iwm,
            [97_320_000, 90_860_000, 89_580_000, 90_500_000, 79_731_219]
        );
        // 07-31 vs 07-15 is consecutive: change filled; 2026-05-15 follows a 10-month gap: not.
        assert_eq!(rows[3].change, Some(920_000));
        assert_eq!(rows[4].change, None);
        let sv = parse_regsho(REGSHO_DAILY, &[]).unwrap();
        assert!(sv.skipped.is_empty(), "{:?}", sv.skipped);
        let first = &sv.rows[0];
        assert_eq!(
            (first.short_volume, first.total_volume),
            (2_085_904.0, 3_700_403.0)
        );
        assert!(sv.rows.len() > 380);
        let tff = futures();
        assert_eq!(tff.len(), TFF.lines().count() - 1, "every CFTC line parses");
        let aug5 = tff
            .iter()
            .find(|r| r.market == RTY && r.report_date.to_string() == "2025-08-05")
            .unwrap();
        assert_eq!(
            (aug5.report, aug5.lev_money_long, aug5.lev_money_short),
            (TffReport::Combined, 63_415, 180_193)
        );
        for s in [
            "2025-08-05",
            "2024-02-29",
            "2025-02-29",
            "2025-8-05",
            "+2025-08-05",
            "x",
        ] {
            assert_eq!(ymd(s), s.parse().ok(), "{s}");
        }
        let tff_dates = TFF.lines().filter_map(|l| l.split('|').nth(2));
        let rut_dates = RUT.lines().filter_map(|l| l.split(',').next());
        for s in tff_dates.chain(rut_dates) {
            assert_eq!(ymd(s), s.parse().ok(), "{s}");
        }
        let rut = russell();
        assert_eq!(rut.len(), RUT.lines().count() - 1, "every RUT line parses");
        assert_eq!(
            rut.get(&"2025-08-05".parse().unwrap()).copied(),
            Some(2225.67)
        );
    }
}
