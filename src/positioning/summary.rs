//! Display-ready figures for the positioning pane as of an instant: latest values, dates,
//! publication lags, sparkline histories, and plain notes where a series has no data (never a
//! made-up number). Ages are worked out when drawn ([`PositioningSummary::lines`]), so the summary
//! is rebuilt only when a new report becomes public.

use chrono::NaiveDate;
use serde::Serialize;

use super::evidence::SV_WINDOW;
use super::futures::{FuturesLine, NqRtyGauge};
use super::{AsOf, PositioningBook, MAX_AGE_SV_DAYS, MAX_AGE_TFF_DAYS, SIGNAL_SYMBOL};
use crate::feed::cftc::{NQ, RTY};
use crate::feed::FeedHealth;
use crate::model::ShortEvidence;

/// Points kept in each sparkline history.
pub const SPARK_SI: usize = 24;
pub const SPARK_SV: usize = 60;

/// A report older than its series' cadence (days since its own date) says how old it is:
/// short interest twice a month + ~10 days to publish, Reg SHO every session (a long weekend),
/// CFTC weekly + 3 days to publish.
pub const CADENCE_SI_DAYS: i64 = 31;
pub const CADENCE_SV_DAYS: i64 = 4;
pub const CADENCE_TFF_DAYS: i64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShortInterestLine {
    pub symbol: String,
    pub settlement_date: NaiveDate,
    pub shares_short: u64,
    pub change: Option<i64>,
    pub change_pct: Option<f64>,
    pub days_to_cover: Option<f64>,
    pub revised: bool,
    /// First seen − settlement, in days; `None` for bundled data (first sighting unknown).
    pub publication_lag_days: Option<i64>,
    /// The next report held after this one (`None`: the data ends here).
    pub next_held: Option<NaiveDate>,
    /// Shares short per report, oldest first (ratatui `Sparkline` takes `u64`).
    pub history: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShortVolumeLine {
    pub symbol: String,
    pub date: NaiveDate,
    pub ratio: Option<f64>,
    /// Mean ratio over the last 20 days, when 20 days are held.
    pub mean_20: Option<f64>,
    pub next_held: Option<NaiveDate>,
    /// Daily ratios, oldest first.
    pub history: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositioningSummary {
    /// The market day it was built for.
    pub day: NaiveDate,
    pub short_interest: Vec<ShortInterestLine>,
    pub short_volume: Vec<ShortVolumeLine>,
    /// RTY then NQ, each from the report shown at the instant.
    pub futures: Vec<FuturesLine>,
    /// Whether a later CFTC row is held after each shown one (RTY, NQ).
    pub futures_next_held: Vec<Option<NaiveDate>>,
    /// Long Nasdaq, short Russell, when both markets have data.
    pub gauge: Option<NqRtyGauge>,
    /// The Bear's evidence at the instant (stale data gives `None` facts).
    pub evidence: ShortEvidence,
    pub health: Vec<(String, FeedHealth)>,
    /// Plain sentences for what is missing or unusual.
    pub notes: Vec<String>,
}

pub(super) fn build(book: &PositioningBook, at: &AsOf) -> PositioningSummary {
    let day = at.day;
    let mut notes = Vec::new();
    let mut short_interest = Vec::new();
    let mut short_volume = Vec::new();
    for sym in book.symbols() {
        let si = book.si_public(&sym, day);
        if let Some(last) = si.last() {
            let all = book.reports.si_enriched.get(&sym);
            short_interest.push(ShortInterestLine {
                symbol: sym.clone(),
                settlement_date: last.settlement_date,
                shares_short: last.shares_short,
                change: last.change,
                change_pct: last.change_pct,
                days_to_cover: last.days_to_cover,
                revised: last.revised,
                publication_lag_days: last.publication_lag_days(),
                next_held: all.and_then(|v| {
                    v.iter()
                        .map(|r| r.settlement_date)
                        .find(|d| *d > last.settlement_date)
                }),
                history: tail(si.iter().map(|r| r.shares_short), SPARK_SI),
            });
        }
        let sv = book.sv_public(&sym, day, SPARK_SV.max(SV_WINDOW));
        if let Some(last) = sv.last() {
            let ratios: Vec<f64> = sv.iter().filter_map(|r| r.ratio()).collect();
            let mean_20 = (ratios.len() >= SV_WINDOW)
                .then(|| ratios[ratios.len() - SV_WINDOW..].iter().sum::<f64>() / SV_WINDOW as f64);
            short_volume.push(ShortVolumeLine {
                symbol: sym.clone(),
                date: last.date,
                ratio: last.ratio(),
                mean_20,
                next_held: book
                    .reports
                    .sv
                    .get(&sym)
                    .and_then(|m| m.range(last.date.succ_opt()?..).next().map(|(d, _)| *d)),
                history: tail(ratios.into_iter(), SPARK_SV),
            });
        }
    }
    if short_interest.iter().all(|l| l.symbol != SIGNAL_SYMBOL) {
        let first = book
            .reports
            .si_enriched
            .get(SIGNAL_SYMBOL)
            .and_then(|v| v.first())
            .filter(|r| r.settlement_date > day)
            .map(|r| format!(" (the bundled reports start {})", r.settlement_date))
            .unwrap_or_default();
        notes.push(format!(
            "IWM short interest: no report published by {day}{first}"
        ));
    }
    let futures: Vec<FuturesLine> = [RTY, NQ]
        .into_iter()
        .filter_map(|m| FuturesLine::at(book, m, at))
        .collect();
    let futures_next_held = futures
        .iter()
        .map(|f| {
            book.tff_next(&f.market, f.report, f.report_date)
                .map(|r| r.report_date)
        })
        .collect();
    if !book.has_futures() {
        notes.push(
            "CFTC positioning (E-mini Russell 2000 239742, Nasdaq-100 209742): no data held; \
             shown once the cftc poller has fetched it"
                .into(),
        );
    } else if futures.is_empty() {
        notes.push(format!("CFTC positioning: no report released by {day}"));
    }
    if futures
        .iter()
        .any(|f| f.market == RTY && f.index_level.is_none())
    {
        notes.push("Russell 2000 level unknown at the report date: RTY in contracts only".into());
    }
    let evidence = book.evidence_at(at);
    if evidence.facts().next().is_none() {
        notes.push(format!(
            "Bear evidence: none as of {day} (needs the two latest IWM reports, Reg SHO within \
             {MAX_AGE_SV_DAYS} days, CFTC within {MAX_AGE_TFF_DAYS} days)"
        ));
    }
    let rty = futures.iter().find(|f| f.market == RTY);
    let nq = futures.iter().find(|f| f.market == NQ);
    PositioningSummary {
        day,
        short_interest,
        short_volume,
        gauge: rty.zip(nq).map(|(r, n)| NqRtyGauge::from_lines(r, n)),
        futures_next_held,
        futures,
        evidence,
        health: book
            .health()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        notes,
    }
}

fn tail<T>(it: impl Iterator<Item = T>, n: usize) -> Vec<T> {
    let v: Vec<T> = it.collect();
    let skip = v.len().saturating_sub(n);
    v.into_iter().skip(skip).collect()
}

/// Scale any series onto 0..=100 for ratatui's `Sparkline` (which wants `u64` and can't go
/// negative, while net positions usually are).
pub fn sparkline_u64(values: &[f64]) -> Vec<u64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    values
        .iter()
        .map(|v| {
            if !v.is_finite() || hi <= lo {
                50
            } else {
                ((v - lo) / (hi - lo) * 100.0).round() as u64
            }
        })
        .collect()
}

pub use super::text::{billions, shares};
