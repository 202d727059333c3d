//! Positioning: the book of short-interest, short-volume and futures snapshots, the Bear's
//! [`ShortEvidence`] read from it, the display summary, the SQLite cache and the pollers.
//!
//! The app loop owns one [`PositioningBook`]: it applies every `FeedEvent::{ShortInterest,
//! ShortVolume, Positioning, Health}` with [`PositioningBook::apply`], asks
//! [`PositioningBook::evidence_as_of`] when the Bear decides, and renders
//! [`PositioningBook::summary`].

pub mod cache;
pub mod embedded;
pub mod evidence;
mod poll;
pub mod pollers;
pub mod summary;

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use crate::feed::cftc::{NQ, RTY};
use crate::feed::finra::enrich_series;
use crate::feed::{FeedEvent, FeedHealth};
use crate::model::{FuturesPositioning, ShortEvidence, ShortInterest, ShortVolume};

pub use cache::{Cache, CacheError};
pub use embedded::embedded_events;
pub use pollers::{spawn_for_session, spawn_pollers, spawn_pollers_with_env};
pub use summary::{FuturesLine, PositioningSummary, ShortInterestLine, ShortVolumeLine};

/// The symbol every piece of evidence is about.
pub const SIGNAL_SYMBOL: &str = "IWM";
/// When a report's first-seen time is unknown, assume FINRA published it this many days after
/// settlement (its schedule is ~7 business days) so a replay does not peek at unpublished data.
pub const ASSUMED_SI_LAG_DAYS: u64 = 10;
/// TFF reports are as of Tuesday and released on Friday.
pub const TFF_RELEASE_LAG_DAYS: u64 = 3;
/// Evidence older than this (days since the data's own date) is not evidence any more.
pub const MAX_AGE_SI_DAYS: i64 = 45;
pub const MAX_AGE_SV_DAYS: i64 = 7;
pub const MAX_AGE_TFF_DAYS: i64 = 21;

#[derive(Debug, Clone, Default)]
pub struct PositioningBook {
    si: BTreeMap<String, BTreeMap<NaiveDate, ShortInterest>>,
    sv: BTreeMap<String, BTreeMap<NaiveDate, ShortVolume>>,
    /// Keyed by market label ("RTY", "NQ").
    fut: BTreeMap<String, BTreeMap<NaiveDate, FuturesPositioning>>,
    health: BTreeMap<String, FeedHealth>,
    russell_level: Option<f64>,
    nasdaq_level: Option<f64>,
}

impl PositioningBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// A book holding the bundled real snapshots (see [`embedded`]).
    pub fn with_embedded() -> Self {
        let mut b = Self::new();
        for ev in embedded_events() {
            b.apply(&ev);
        }
        b
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
                let slot = self.fut.entry(p.market.clone()).or_default();
                slot.insert(p.report_date, p.clone()).as_ref() != Some(p)
            }
            FeedEvent::Health { source, health } if is_our_source(source) => {
                self.health.insert(source.clone(), health.clone()).as_ref() != Some(health)
            }
            _ => false,
        }
    }

    fn insert_short_interest(&mut self, si: ShortInterest) -> bool {
        let slot = self.si.entry(si.symbol.clone()).or_default();
        match slot.get(&si.settlement_date) {
            // A later unrevised copy never undoes a revision.
            Some(old) if old.revised && !si.revised => false,
            Some(old) if *old == si => false,
            _ => {
                slot.insert(si.settlement_date, si);
                true
            }
        }
    }

    /// Index levels for the dollar figures (Russell 2000 and Nasdaq-100 points). `None` = unknown:
    /// the summary then shows contracts only. Never derive these from ETF prices.
    pub fn set_index_levels(&mut self, russell: Option<f64>, nasdaq: Option<f64>) {
        self.russell_level = russell;
        self.nasdaq_level = nasdaq;
    }

    pub fn index_levels(&self) -> (Option<f64>, Option<f64>) {
        (self.russell_level, self.nasdaq_level)
    }

    /// One symbol's reports, ascending, with change / previous filled across consecutive reports.
    pub fn short_interest(&self, symbol: &str) -> Vec<ShortInterest> {
        let mut rows: Vec<ShortInterest> = self
            .si
            .get(symbol)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        enrich_series(&mut rows);
        rows
    }

    pub fn short_volume(&self, symbol: &str) -> Vec<ShortVolume> {
        self.sv
            .get(symbol)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One market's ("RTY" / "NQ") weekly rows, ascending.
    pub fn futures(&self, market: &str) -> Vec<FuturesPositioning> {
        self.fut
            .get(market)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
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

    /// `symbol`'s short-interest reports published by `day` (a replay never peeks ahead).
    pub fn short_interest_as_of(&self, symbol: &str, day: NaiveDate) -> Vec<ShortInterest> {
        self.short_interest(symbol)
            .into_iter()
            .filter(|r| si_published(r) <= day)
            .collect()
    }

    /// `symbol`'s short-volume days up to `day`.
    pub fn short_volume_as_of(&self, symbol: &str, day: NaiveDate) -> Vec<ShortVolume> {
        self.short_volume(symbol)
            .into_iter()
            .filter(|r| r.date <= day)
            .collect()
    }

    /// `market`'s weekly rows released by `day` (report Tuesday + the Friday release lag).
    pub fn futures_as_of(&self, market: &str, day: NaiveDate) -> Vec<FuturesPositioning> {
        self.futures(market)
            .into_iter()
            .filter(|r| r.report_date + Days::new(TFF_RELEASE_LAG_DAYS) <= day)
            .collect()
    }

    /// What the Bear reads on `day`: only data published by then and not older than its max age
    /// (so a replay neither peeks ahead nor leans on years-old numbers). `None` facts = no data.
    pub fn evidence_as_of(&self, day: NaiveDate) -> ShortEvidence {
        let fresh = |d: NaiveDate, max: i64| (day - d).num_days() <= max;
        let mut si: Vec<ShortInterest> = self
            .short_interest(SIGNAL_SYMBOL)
            .into_iter()
            .filter(|r| si_published(r) <= day)
            .collect();
        // A report older than the max age is not evidence of anything happening now.
        if si
            .last()
            .is_some_and(|r| !fresh(r.settlement_date, MAX_AGE_SI_DAYS))
        {
            si.clear();
        }
        let sv: Vec<ShortVolume> = self
            .short_volume(SIGNAL_SYMBOL)
            .into_iter()
            .filter(|r| r.date <= day)
            .collect();
        let sv_ok = sv.last().is_some_and(|r| fresh(r.date, MAX_AGE_SV_DAYS));
        let rty: Vec<FuturesPositioning> = self
            .futures(RTY)
            .into_iter()
            .filter(|r| r.report_date + Days::new(TFF_RELEASE_LAG_DAYS) <= day)
            .collect();
        let rty_ok = rty
            .last()
            .is_some_and(|r| fresh(r.report_date, MAX_AGE_TFF_DAYS));
        ShortEvidence {
            short_interest_rising: evidence::short_interest_rising(&si),
            short_volume_above_mean: sv_ok
                .then(|| evidence::short_volume_above_mean(&sv))
                .flatten(),
            lev_funds_at_52w_low: rty_ok
                .then(|| evidence::lev_funds_at_52w_low(&rty))
                .flatten(),
        }
    }

    /// The evidence on the newest data held, whatever its age (for display; the Bear should use
    /// [`Self::evidence_as_of`]).
    pub fn latest_evidence(&self) -> ShortEvidence {
        ShortEvidence {
            short_interest_rising: evidence::short_interest_rising(
                &self.short_interest(SIGNAL_SYMBOL),
            ),
            short_volume_above_mean: evidence::short_volume_above_mean(
                &self.short_volume(SIGNAL_SYMBOL),
            ),
            lev_funds_at_52w_low: evidence::lev_funds_at_52w_low(&self.futures(RTY)),
        }
    }

    /// Display-ready figures for the positioning pane, as of `today` (for lags and ages).
    pub fn summary(&self, today: NaiveDate) -> PositioningSummary {
        summary::build(self, today)
    }

    pub(crate) fn has_futures(&self) -> bool {
        self.fut.get(RTY).is_some_and(|m| !m.is_empty())
            || self.fut.get(NQ).is_some_and(|m| !m.is_empty())
    }
}

fn is_our_source(s: &str) -> bool {
    use crate::feed::{cftc, finra};
    [finra::SOURCE_SI, finra::SOURCE_REGSHO, cftc::SOURCE].contains(&s)
}

/// When a report became public: first seen if known, else settlement + the assumed lag.
fn si_published(r: &ShortInterest) -> NaiveDate {
    r.seen
        .map(|t| t.date_naive())
        .unwrap_or(r.settlement_date + Days::new(ASSUMED_SI_LAG_DAYS))
}

#[cfg(test)]
mod tests;
