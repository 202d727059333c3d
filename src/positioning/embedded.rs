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
//! - CFTC TFF: none. The contracts folder holds no E-mini Russell 2000 (239742) or Nasdaq-100
//!   (209742) TFF rows, so nothing is bundled and the pane says so.

use crate::feed::finra::{enrich_series, parse_regsho, parse_si_pipe};
use crate::feed::FeedEvent;
use crate::model::{ShortInterest, ShortVolume};

const SHORT_INTEREST: &str = include_str!("embedded/short_interest.psv");
const REGSHO_DAILY: &str = include_str!("embedded/regsho_daily.psv");

/// What the pane says where a series has no bundled data.
pub const NO_BUNDLED_CFTC: &str = "no bundled CFTC data";

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

/// Every bundled snapshot as feed events, for the app to apply before any poller reports.
pub fn embedded_events() -> Vec<FeedEvent> {
    short_interest()
        .into_iter()
        .map(FeedEvent::ShortInterest)
        .chain(short_volume().into_iter().map(FeedEvent::ShortVolume))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
