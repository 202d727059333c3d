//! Positioning: the book of short-interest, short-volume and futures snapshots, the Bear's
//! [`ShortEvidence`] read from it, the display summary, the SQLite cache and the pollers.
//!
//! The session owns one [`PositioningBook`]: it applies every `FeedEvent::{ShortInterest,
//! ShortVolume, Positioning, Health}` with [`PositioningBook::apply`], and at each bar asks
//! [`PositioningBook::visible`] which reports are public; only when that changes does it rebuild
//! the Bear's evidence ([`PositioningBook::evidence_at`]) and the pane ([`PositioningBook::summary_at`]).
//! Every as-of lookup is a range query by date: nothing is cloned or filtered per bar.

pub mod cache;
pub mod embedded;
pub mod evidence;
pub mod futures;
mod poll;
pub mod pollers;
pub mod publish;
pub mod summary;
pub mod text;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::feed::cftc::{NQ, RTY};
use crate::feed::finra::enrich_series;
use crate::feed::{FeedEvent, FeedHealth};
use crate::model::{FuturesPositioning, ShortEvidence, ShortInterest, ShortVolume, TffReport};

pub use cache::{Cache, CacheError};
pub use embedded::embedded_events;
pub use futures::{FuturesLine, NqRtyGauge};
pub use pollers::{spawn_for_session, spawn_pollers, spawn_pollers_with_env};
pub use publish::{si_published, tff_published, AsOf, ASSUMED_SI_LAG_DAYS};
pub use summary::{PositioningSummary, ShortInterestLine, ShortVolumeLine};

/// The symbol every piece of evidence is about.
pub const SIGNAL_SYMBOL: &str = "IWM";
/// Evidence older than this (days since the data's own date) is not evidence any more.
pub const MAX_AGE_SI_DAYS: i64 = 45;
pub const MAX_AGE_SV_DAYS: i64 = 7;
pub const MAX_AGE_TFF_DAYS: i64 = 21;

type Dated<T> = BTreeMap<NaiveDate, T>;

/// The futures markets followed, in slot order.
pub const MARKETS: [&str; 2] = [RTY, NQ];

fn slot(market: &str, report: TffReport) -> Option<(usize, usize)> {
    let m = MARKETS.iter().position(|x| *x == market)?;
    Some((m, report as usize))
}

#[derive(Debug, Clone, Default)]
pub struct PositioningBook {
    si: BTreeMap<String, Dated<ShortInterest>>,
    /// `si` with change / previous filled across consecutive reports, rebuilt on insert.
    si_enriched: BTreeMap<String, Vec<ShortInterest>>,
    sv: BTreeMap<String, Dated<ShortVolume>>,
    /// By market ([`MARKETS`]) then report (futures only, combined): fixed slots, so a lookup
    /// allocates nothing.
    fut: [[Dated<FuturesPositioning>; 2]; 2],
    health: BTreeMap<String, FeedHealth>,
    /// Russell 2000 daily closes (bundled) for the dollar figures and the chart's index levels.
    russell: Arc<Dated<f64>>,
}

/// Which reports are public at an instant, and whether each is fresh enough to be evidence:
/// the evidence and the pane change only when this does, and not before `next_day` /
/// `next_tff`, so a replay looks again only then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    /// Per symbol (book order): the newest public short-interest settlement and Reg SHO day.
    pub si: Vec<Option<NaiveDate>>,
    pub sv: Vec<Option<NaiveDate>>,
    /// RTY, then NQ: the report shown and its date.
    pub fut: [Option<(TffReport, NaiveDate)>; 2],
    /// IWM short interest, IWM short volume, RTY: fresh enough to count as evidence.
    pub fresh: [bool; 3],
    /// The first market day on which a daily report may appear or a fact go stale.
    pub next_day: Option<NaiveDate>,
    /// When the next CFTC report after the ones shown is released.
    pub next_tff: Option<DateTime<Utc>>,
}

impl Visible {
    /// Whether anything may have changed by the close of a bar at `close` on UTC day `day`
    /// (a UTC day runs ahead of New York in the evening: at worst an early look).
    pub fn due(&self, day: NaiveDate, close: DateTime<Utc>) -> bool {
        self.next_day.is_some_and(|d| day >= d) || self.next_tff.is_some_and(|t| close >= t)
    }
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
            FeedEvent::ShortInterest(si) => self.insert_short_interest(si.clone()),
            FeedEvent::ShortVolume(sv) => {
                let slot = self.sv.entry(sv.symbol.clone()).or_default();
                slot.insert(sv.date, sv.clone()).as_ref() != Some(sv)
            }
            FeedEvent::Positioning(p) => {
                let Some((m, k)) = slot(&p.market, p.report) else {
                    return false;
                };
                self.fut[m][k].insert(p.report_date, p.clone()).as_ref() != Some(p)
            }
            FeedEvent::Health { source, health } if is_our_source(source) => {
                self.health.insert(source.clone(), health.clone()).as_ref() != Some(health)
            }
            _ => false,
        }
    }

    fn insert_short_interest(&mut self, si: ShortInterest) -> bool {
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

    /// The Russell 2000 close on `day`, or the last one within four days before it (a holiday).
    pub fn russell_close(&self, day: NaiveDate) -> Option<(NaiveDate, f64)> {
        let (d, v) = self.russell.range(..=day).next_back()?;
        ((day - *d).num_days() <= 4).then_some((*d, *v))
    }

    /// One symbol's reports, ascending, with change / previous filled across consecutive reports.
    pub fn short_interest(&self, symbol: &str) -> Vec<ShortInterest> {
        self.si_enriched.get(symbol).cloned().unwrap_or_default()
    }

    pub fn short_volume(&self, symbol: &str) -> Vec<ShortVolume> {
        self.sv
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
        let mut s: Vec<String> = self.si.keys().chain(self.sv.keys()).cloned().collect();
        s.sort_by_key(|x| (x != SIGNAL_SYMBOL, x.clone()));
        s.dedup();
        s
    }

    /// `symbol`'s short-interest reports public on `day`, ascending (a replay never peeks ahead).
    pub(crate) fn si_public(&self, symbol: &str, day: NaiveDate) -> Vec<&ShortInterest> {
        self.si_enriched
            .get(symbol)
            .map(|v| v.iter().filter(|r| si_published(r) <= day).collect())
            .unwrap_or_default()
    }

    /// `symbol`'s last `n` short-volume days up to `day`, ascending.
    pub(crate) fn sv_public(&self, symbol: &str, day: NaiveDate, n: usize) -> Vec<&ShortVolume> {
        let Some(m) = self.sv.get(symbol) else {
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
            .find(|r| tff_published(r.report_date) <= at.at)
    }

    /// The report `market` is shown from at `at`: the one with the newest public row; on a tie
    /// the one with more reports in the 52 weeks to it (the bundled futures-only rows have gaps
    /// where the combined ones have none), then futures only (the poller's report).
    pub fn tff_shown(&self, market: &str, at: &AsOf) -> Option<(TffReport, &FuturesPositioning)> {
        let year = |k: TffReport, d: NaiveDate| {
            let from = d.checked_sub_days(Days::new(364)).unwrap_or(d);
            self.tff_rows(market, k)
                .map_or(0, |m| m.range(from..=d).count())
        };
        [TffReport::FuturesOnly, TffReport::Combined]
            .into_iter()
            .filter_map(|k| Some((k, self.tff_public(market, k, at)?)))
            .max_by_key(|(k, r)| {
                (
                    r.report_date,
                    year(*k, r.report_date),
                    std::cmp::Reverse(*k),
                )
            })
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
        Some(&self.fut[m][k])
    }

    fn market_rows(&self, market: &str) -> impl Iterator<Item = &Dated<FuturesPositioning>> + '_ {
        MARKETS
            .iter()
            .position(|x| *x == market)
            .into_iter()
            .flat_map(|m| self.fut[m].iter())
    }

    /// What is public at `at` and when that can next change (range lookups only): compare with
    /// the last one to know whether the evidence and the pane need rebuilding.
    pub fn visible(&self, at: &AsOf) -> Visible {
        let day = at.day;
        let fresh = |d: Option<NaiveDate>, max: i64| d.is_some_and(|d| (day - d).num_days() <= max);
        let mut next_day: Option<NaiveDate> = None;
        let mut soonest = |d: Option<NaiveDate>| {
            if let Some(d) = d.filter(|d| *d > day) {
                next_day = Some(next_day.map_or(d, |n| n.min(d)));
            }
        };
        let symbols = self.symbols();
        let mut si = Vec::with_capacity(symbols.len());
        let mut sv = Vec::with_capacity(symbols.len());
        for s in &symbols {
            let rows = self
                .si_enriched
                .get(s)
                .map(Vec::as_slice)
                .unwrap_or_default();
            si.push(
                rows.iter()
                    .rev()
                    .find(|r| si_published(r) <= day)
                    .map(|r| r.settlement_date),
            );
            soonest(rows.iter().map(si_published).find(|p| *p > day));
            let days = self.sv.get(s);
            sv.push(
                days.and_then(|m| m.range(..=day).next_back())
                    .map(|(d, _)| *d),
            );
            soonest(
                days.and_then(|m| m.range(day.succ_opt()?..).next())
                    .map(|(d, _)| *d),
            );
        }
        let fut = MARKETS.map(|m| self.tff_shown(m, at).map(|(k, r)| (k, r.report_date)));
        let iwm = symbols.iter().position(|s| s == SIGNAL_SYMBOL);
        let pick = |v: &[Option<NaiveDate>]| iwm.and_then(|i| v[i]);
        let ages = [
            (pick(&si), MAX_AGE_SI_DAYS),
            (pick(&sv), MAX_AGE_SV_DAYS),
            (fut[0].map(|(_, d)| d), MAX_AGE_TFF_DAYS),
        ];
        for (d, max) in ages {
            soonest(d.and_then(|d| d.checked_add_days(Days::new(max as u64 + 1))));
        }
        let next_tff = MARKETS
            .iter()
            .flat_map(|m| [TffReport::FuturesOnly, TffReport::Combined].map(|k| (*m, k)))
            .filter_map(|(m, k)| {
                let rows = self.tff_rows(m, k)?;
                let next = match self.tff_public(m, k, at) {
                    Some(r) => rows.range(r.report_date.succ_opt()?..).next(),
                    None => rows.iter().next(),
                };
                next.map(|(d, _)| tff_published(*d))
            })
            .min();
        Visible {
            fresh: ages.map(|(d, max)| fresh(d, max)),
            si,
            sv,
            fut,
            next_day,
            next_tff,
        }
    }

    /// What the Bear reads on `day` (at its end): see [`Self::evidence_at`].
    pub fn evidence_as_of(&self, day: NaiveDate) -> ShortEvidence {
        self.evidence_at(&AsOf::end_of(day))
    }

    /// What the Bear reads at `at`: only data published by then and not older than its max age
    /// (so a replay neither peeks ahead nor leans on years-old numbers). `None` facts = no data.
    pub fn evidence_at(&self, at: &AsOf) -> ShortEvidence {
        let fresh = |d: NaiveDate, max: i64| (at.day - d).num_days() <= max;
        let si = self.si_public(SIGNAL_SYMBOL, at.day);
        let si_fact = si
            .last()
            .filter(|r| fresh(r.settlement_date, MAX_AGE_SI_DAYS))
            .and_then(|last| {
                let prev = si.len().checked_sub(2).map(|i| si[i]);
                evidence::short_interest_rising(last, prev)
            });
        let sv = self.sv_public(SIGNAL_SYMBOL, at.day, evidence::SV_WINDOW);
        let sv_fact = sv
            .last()
            .filter(|r| fresh(r.date, MAX_AGE_SV_DAYS))
            .and_then(|_| evidence::short_volume_above_mean(&sv));
        let rty_fact = self
            .tff_shown(RTY, at)
            .filter(|(_, r)| fresh(r.report_date, MAX_AGE_TFF_DAYS))
            .and_then(|(k, last)| {
                let from = last.report_date.checked_sub_days(Days::new(364))?;
                evidence::lev_funds_at_52w_low(&self.tff_range(RTY, k, from, last.report_date))
            });
        ShortEvidence {
            short_interest_rising: si_fact,
            short_volume_above_mean: sv_fact,
            lev_funds_at_52w_low: rty_fact,
        }
    }

    /// Display-ready figures for the positioning pane, as of the end of `day`.
    pub fn summary(&self, day: NaiveDate) -> PositioningSummary {
        self.summary_at(&AsOf::end_of(day))
    }

    pub fn summary_at(&self, at: &AsOf) -> PositioningSummary {
        summary::build(self, at)
    }

    pub(crate) fn has_futures(&self) -> bool {
        self.fut.iter().flatten().any(|m| !m.is_empty())
    }
}

fn is_our_source(s: &str) -> bool {
    use crate::feed::{cftc, finra};
    [finra::SOURCE_SI, finra::SOURCE_REGSHO, cftc::SOURCE].contains(&s)
}

#[cfg(test)]
mod tests;
