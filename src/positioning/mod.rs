//! Positioning: the book of short-interest, short-volume and futures snapshots, the Bear's
//! [`ShortEvidence`] read from it, the display summary, the SQLite cache and the pollers.
//!
//! The session owns one [`PositioningBook`]: it applies every `FeedEvent::{ShortInterest,
//! ShortVolume, Positioning, Health}` with [`PositioningBook::apply`], and at each bar asks
//! [`PositioningBook::visible`] which reports are public; only when that changes does it rebuild
//! the Bear's evidence ([`PositioningBook::evidence_at`]) and the pane ([`PositioningBook::summary_at`]).
//! Every as-of lookup is a range query by date: nothing is cloned or filtered per bar.

pub mod cache;
mod dated;
pub mod embedded;
pub mod evidence;
pub mod futures;
mod poll;
pub mod pollers;
pub mod publish;
pub mod ratio;
pub mod summary;
pub mod text;
mod visible;

pub use visible::Visible;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::feed::cftc::{NQ, RTY};
use crate::feed::finra::enrich_series;
use crate::feed::{FeedEvent, FeedHealth};
use crate::model::{FuturesPositioning, ShortInterest, ShortVolume, TffReport};

pub use cache::{Cache, CacheError};
pub use embedded::embedded_events;
pub use futures::{FuturesLine, NqRtyGauge};
pub use pollers::{spawn_for_session, spawn_pollers, spawn_pollers_with_env};
pub use publish::{
    finra_dissemination, si_published, tff_public_at, tff_published, tff_release_at,
    tff_release_day, us_market_holiday, AsOf, SI_DISSEMINATION_BUSINESS_DAYS,
};
pub use summary::{PositioningSummary, ShortInterestLine, ShortVolumeLine};

/// The symbol every piece of evidence is about.
pub const SIGNAL_SYMBOL: &str = "IWM";
/// Evidence older than this (days since the data's own date) is not evidence any more.
pub const MAX_AGE_SI_DAYS: i64 = 45;
pub const MAX_AGE_SV_DAYS: i64 = 7;
pub const MAX_AGE_TFF_DAYS: i64 = 21;

use dated::Dated;

/// The futures markets followed, in slot order.
pub const MARKETS: [&str; 2] = [RTY, NQ];

fn slot(market: &str, report: TffReport) -> Option<(usize, usize)> {
    let m = MARKETS.iter().position(|x| *x == market)?;
    Some((m, report as usize))
}

#[derive(Debug, Clone, Default)]
pub struct PositioningBook {
    /// Shared, copy on write: every session starts from the bundled book, and only one that
    /// applies a report of its own (a live poller's) copies them (a sweep's sessions read one).
    reports: Arc<Reports>,
    health: BTreeMap<String, FeedHealth>,
    /// Russell 2000 daily closes (bundled) for the dollar figures and the chart's index levels.
    russell: Arc<Dated<f64>>,
}

/// The book's reports, by symbol or market.
#[derive(Debug, Clone, Default)]
struct Reports {
    si: BTreeMap<String, Dated<ShortInterest>>,
    /// `si` with change / previous filled across consecutive reports, rebuilt on insert.
    si_enriched: BTreeMap<String, Vec<ShortInterest>>,
    sv: BTreeMap<String, Dated<ShortVolume>>,
    /// By market ([`MARKETS`]) then report (futures only, combined): fixed slots, so a lookup
    /// allocates nothing.
    fut: [[Dated<FuturesPositioning>; 2]; 2],
    /// Symbols with short-interest or short-volume data, IWM first (kept on insert: every
    /// refresh walks them).
    symbols: Vec<String>,
}

impl PositioningBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// A book holding the bundled real snapshots and the Russell 2000 history (see [`embedded`]).
    pub fn with_embedded() -> Self {
        embedded::book().clone()
    }

    /// Take one feed event; returns whether the book changed (so the UI knows to redraw).
    pub fn apply(&mut self, ev: &FeedEvent) -> bool {
        match ev {
            FeedEvent::ShortInterest(si) => {
                Arc::make_mut(&mut self.reports).insert_short_interest(si.clone())
            }
            FeedEvent::ShortVolume(sv) => {
                let reports = Arc::make_mut(&mut self.reports);
                reports.index_symbol(&sv.symbol);
                let slot = reports.sv.entry(sv.symbol.clone()).or_default();
                slot.insert(sv.date, sv.clone()).as_ref() != Some(sv)
            }
            FeedEvent::Positioning(p) => {
                let Some((m, k)) = slot(&p.market, p.report) else {
                    return false;
                };
                let rows = &mut Arc::make_mut(&mut self.reports).fut[m][k];
                rows.insert(p.report_date, p.clone()).as_ref() != Some(p)
            }
            FeedEvent::Health { source, health } if is_our_source(source) => {
                self.health.insert(source.clone(), health.clone()).as_ref() != Some(health)
            }
            _ => false,
        }
    }

    /// The Russell 2000 close on `day`, or the last one within four days before it (a holiday).
    pub fn russell_close(&self, day: NaiveDate) -> Option<(NaiveDate, f64)> {
        let (d, v) = self.russell.range(..=day).next_back()?;
        ((day - *d).num_days() <= 4).then_some((*d, *v))
    }

    /// One symbol's reports, ascending, with change / previous filled across consecutive reports.
    pub fn short_interest(&self, symbol: &str) -> Vec<ShortInterest> {
        self.reports
            .si_enriched
            .get(symbol)
            .cloned()
            .unwrap_or_default()
    }

    pub fn short_volume(&self, symbol: &str) -> Vec<ShortVolume> {
        self.reports
            .sv
            .get(symbol)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One market's ("RTY" / "NQ") weekly rows of every report, by date then report.
    pub fn futures(&self, market: &str) -> Vec<FuturesPositioning> {
        let mut rows: Vec<FuturesPositioning> = self
            .market_rows(market)
            .flat_map(|rows| rows.values().cloned())
            .collect();
        rows.sort_by_key(|r| (r.report_date, r.report));
        rows
    }

    pub fn health(&self) -> &BTreeMap<String, FeedHealth> {
        &self.health
    }

    /// Symbols with short-interest or short-volume data (IWM first).
    pub fn symbols(&self) -> Vec<String> {
        self.reports.symbols.clone()
    }

    /// `symbol`'s short-interest reports public on `day`, ascending (a replay never peeks ahead).
    pub(crate) fn si_public(&self, symbol: &str, day: NaiveDate) -> Vec<&ShortInterest> {
        self.reports
            .si_enriched
            .get(symbol)
            .map(|v| v.iter().filter(|r| si_published(r) <= day).collect())
            .unwrap_or_default()
    }

    /// `symbol`'s last `n` short-volume days up to `day`, ascending.
    pub(crate) fn sv_public(&self, symbol: &str, day: NaiveDate, n: usize) -> Vec<&ShortVolume> {
        let Some(m) = self.reports.sv.get(symbol) else {
            return Vec::new();
        };
        let mut v: Vec<&ShortVolume> = m.range(..=day).rev().take(n).map(|(_, r)| r).collect();
        v.reverse();
        v
    }

    /// The newest row of `market`'s `report` public at `at`.
    fn tff_public(
        &self,
        market: &str,
        report: TffReport,
        at: &AsOf,
    ) -> Option<&FuturesPositioning> {
        let rows = self.tff_rows(market, report)?;
        // Published three days after the report date: only the last two or so rows are checked.
        rows.range(..=at.day)
            .rev()
            .map(|(_, r)| r)
            .find(|r| tff_public_at(r.report_date, at))
    }

    /// The report `market` is shown from at `at`: the one with the newest public row, futures +
    /// options on a tie (the bundled combined rows have no gaps where the futures-only ones do;
    /// the poller's futures-only rows are the newest once the bundled data ends).
    pub fn tff_shown(&self, market: &str, at: &AsOf) -> Option<(TffReport, &FuturesPositioning)> {
        shown_of(
            [TffReport::FuturesOnly, TffReport::Combined]
                .into_iter()
                .filter_map(|k| Some((k, self.tff_public(market, k, at)?))),
        )
    }

    /// `market`'s `report` rows from `from` to `to`, ascending.
    pub(crate) fn tff_range(
        &self,
        market: &str,
        report: TffReport,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<&FuturesPositioning> {
        self.tff_rows(market, report)
            .map(|m| m.range(from..=to).map(|(_, r)| r).collect())
            .unwrap_or_default()
    }

    /// The report after `date` in `market`'s `report`, if held.
    pub(crate) fn tff_next(
        &self,
        market: &str,
        report: TffReport,
        date: NaiveDate,
    ) -> Option<&FuturesPositioning> {
        let m = self.tff_rows(market, report)?;
        m.range(date.succ_opt()?..).next().map(|(_, r)| r)
    }

    /// Every row of `market` (any report) dated up to `to`.
    pub(crate) fn tff_all(
        &self,
        market: &str,
        to: NaiveDate,
    ) -> impl Iterator<Item = &FuturesPositioning> + '_ {
        self.market_rows(market)
            .flat_map(move |rows| rows.range(..=to).map(|(_, r)| r))
    }

    fn tff_rows(&self, market: &str, report: TffReport) -> Option<&Dated<FuturesPositioning>> {
        let (m, k) = slot(market, report)?;
        Some(&self.reports.fut[m][k])
    }

    fn market_rows(&self, market: &str) -> impl Iterator<Item = &Dated<FuturesPositioning>> + '_ {
        MARKETS
            .iter()
            .position(|x| *x == market)
            .into_iter()
            .flat_map(|m| self.reports.fut[m].iter())
    }

    /// Display-ready figures for the positioning pane, as of the end of `day`.
    pub fn summary(&self, day: NaiveDate) -> PositioningSummary {
        self.summary_at(&AsOf::end_of(day))
    }

    pub fn summary_at(&self, at: &AsOf) -> PositioningSummary {
        summary::build(self, at)
    }

    pub(crate) fn has_futures(&self) -> bool {
        self.reports.fut.iter().flatten().any(|m| !m.is_empty())
    }
}

impl Reports {
    fn insert_short_interest(&mut self, si: ShortInterest) -> bool {
        self.index_symbol(&si.symbol);
        let symbol = si.symbol.clone();
        let slot = self.si.entry(symbol.clone()).or_default();
        match slot.get(&si.settlement_date) {
            // A later unrevised copy never undoes a revision.
            Some(old) if old.revised && !si.revised => return false,
            Some(old) if *old == si => return false,
            _ => {
                slot.insert(si.settlement_date, si);
            }
        }
        let mut rows: Vec<ShortInterest> = slot.values().cloned().collect();
        enrich_series(&mut rows);
        self.si_enriched.insert(symbol, rows);
        true
    }

    fn index_symbol(&mut self, symbol: &str) {
        if !self.symbols.iter().any(|s| s == symbol) {
            self.symbols.push(symbol.to_string());
            self.symbols
                .sort_by(|a, b| (a != SIGNAL_SYMBOL, a).cmp(&(b != SIGNAL_SYMBOL, b)));
        }
    }
}

/// Of each report's newest public row, the one shown (see [`PositioningBook::tff_shown`]).
fn shown_of<'a>(
    public: impl Iterator<Item = (TffReport, &'a FuturesPositioning)>,
) -> Option<(TffReport, &'a FuturesPositioning)> {
    public.max_by_key(|(k, r)| (r.report_date, *k))
}

fn is_our_source(s: &str) -> bool {
    use crate::feed::{cftc, finra};
    [finra::SOURCE_SI, finra::SOURCE_REGSHO, cftc::SOURCE].contains(&s)
}

#[cfg(test)]
mod tests;
