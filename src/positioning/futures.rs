//! The CFTC figures the pane shows for one market at one instant: long, short and net in contracts
//! and dollars (contracts × index × multiplier, the index at the report's own date), the weekly
//! change, the 52-week range and the "record since" mark. The gross short is the press figure
//! ("hedge funds' record $20 B short"), the net what the Bear reads.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use super::{tff_published, AsOf, PositioningBook};
use crate::feed::cftc::{notional, range_52w, Range52, NASDAQ_MULTIPLIER, RTY, RUSSELL_MULTIPLIER};
use crate::model::{FuturesPositioning, TffReport};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuturesLine {
    pub market: String,
    pub contract_code: String,
    pub report_date: NaiveDate,
    /// `"futures_only"` or `"combined"`.
    pub report: TffReport,
    pub published: DateTime<Utc>,
    /// Russell 2000 close at the report date (`None` for NQ, or past the bundled history).
    pub index_level: Option<f64>,
    pub lev_money_long: i64,
    pub lev_money_short: i64,
    pub lev_money_net: i64,
    pub asset_mgr_net: Option<i64>,
    pub lev_money_long_usd: Option<f64>,
    pub lev_money_short_usd: Option<f64>,
    pub lev_money_net_usd: Option<f64>,
    pub asset_mgr_net_usd: Option<f64>,
    /// Change against the previous week's report (same report kind), and that report's date.
    pub previous_report: Option<NaiveDate>,
    pub lev_money_short_change: Option<i64>,
    pub lev_money_net_change: Option<i64>,
    pub lev_short_range_52w: Option<Range52>,
    pub lev_range_52w: Option<Range52>,
    /// The gross short is the highest held since this date (the first report held, any kind).
    pub short_record_since: Option<NaiveDate>,
}

impl FuturesLine {
    /// The line for `market` at `at`, from the report shown then.
    pub fn at(book: &PositioningBook, market: &str, at: &AsOf) -> Option<FuturesLine> {
        let (kind, last) = book.tff_shown(market, at)?;
        let d = last.report_date;
        let year_ago = d.checked_sub_days(Days::new(364))?;
        let window = book.tff_range(market, kind, year_ago, d);
        let prev = window
            .len()
            .checked_sub(2)
            .map(|i| window[i])
            .filter(|p| (d - p.report_date).num_days() <= 14);
        let (mult, level) = if market == RTY {
            (RUSSELL_MULTIPLIER, book.russell_close(d).map(|(_, v)| v))
        } else {
            (NASDAQ_MULTIPLIER, None)
        };
        let usd = |c: i64| notional(c, mult, level);
        Some(FuturesLine {
            market: last.market.clone(),
            contract_code: last.contract_code.clone(),
            report_date: d,
            report: kind,
            published: tff_published(d),
            index_level: level,
            lev_money_long: last.lev_money_long,
            lev_money_short: last.lev_money_short,
            lev_money_net: last.lev_money_net(),
            asset_mgr_net: last.asset_mgr_net(),
            lev_money_long_usd: usd(last.lev_money_long),
            lev_money_short_usd: usd(last.lev_money_short),
            lev_money_net_usd: usd(last.lev_money_net()),
            asset_mgr_net_usd: last.asset_mgr_net().and_then(usd),
            previous_report: prev.map(|p| p.report_date),
            lev_money_short_change: prev.map(|p| last.lev_money_short - p.lev_money_short),
            lev_money_net_change: prev.map(|p| last.lev_money_net() - p.lev_money_net()),
            lev_short_range_52w: range_52w(&window, |p| p.lev_money_short),
            lev_range_52w: range_52w(&window, FuturesPositioning::lev_money_net),
            short_record_since: record_since(book, market, last),
        })
    }
}

/// The first date held when `last`'s gross short is the highest of every report held up to it
/// (both kinds: combined runs a little above futures only, so a combined record beats both).
fn record_since(
    book: &PositioningBook,
    market: &str,
    last: &FuturesPositioning,
) -> Option<NaiveDate> {
    let mut first = last.report_date;
    for p in book.tff_all(market, last.report_date) {
        if p.lev_money_short > last.lev_money_short {
            return None;
        }
        first = first.min(p.report_date);
    }
    // A record over a few weeks of data says nothing.
    ((last.report_date - first).num_days() >= 364).then_some(first)
}

/// "Long Nasdaq, short Russell" in one line: leveraged funds' net on each, in contracts (dollars
/// where the index is known), each labelled with its report and date, and where each sits in its
/// 52-week range (+1 = at the top on NQ and the bottom on RTY).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NqRtyGauge {
    pub nq_net: i64,
    /// NQ's net in dollars (contracts × $20 × the Nasdaq-100 level): None while no Nasdaq-100
    /// level is known (none is bundled; QQQ is a fund, not the index).
    pub nq_net_usd: Option<f64>,
    pub nq_report: TffReport,
    pub nq_date: NaiveDate,
    pub rty_net: i64,
    pub rty_net_usd: Option<f64>,
    pub rty_report: TffReport,
    pub rty_date: NaiveDate,
    /// NQ's place in its 52-week range minus RTY's, in [-1, 1].
    pub gap: Option<f64>,
}

impl NqRtyGauge {
    pub fn from_lines(rty: &FuturesLine, nq: &FuturesLine) -> NqRtyGauge {
        let gap = rty
            .lev_range_52w
            .as_ref()
            .zip(nq.lev_range_52w.as_ref())
            .map(|(r, n)| n.pct_in_range - r.pct_in_range);
        NqRtyGauge {
            nq_net: nq.lev_money_net,
            nq_net_usd: nq.lev_money_net_usd,
            nq_report: nq.report,
            nq_date: nq.report_date,
            rty_net: rty.lev_money_net,
            rty_net_usd: rty.lev_money_net_usd,
            rty_report: rty.report,
            rty_date: rty.report_date,
            gap,
        }
    }
}
