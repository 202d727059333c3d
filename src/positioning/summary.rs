//! Display-ready figures for the positioning pane: latest values, dates, publication lags,
//! sparkline histories, and plain notes where a series has no data (never a made-up number).

use chrono::NaiveDate;
use serde::Serialize;

use super::evidence::{contracts, millions, SV_WINDOW};
use super::{
    embedded::NO_BUNDLED_CFTC, PositioningBook, MAX_AGE_SV_DAYS, MAX_AGE_TFF_DAYS, SIGNAL_SYMBOL,
};
use crate::feed::cftc::{
    gap_gauge, notional, range_52w, GapGauge, Range52, NASDAQ_MULTIPLIER, NQ, RTY,
    RUSSELL_MULTIPLIER,
};
use crate::feed::FeedHealth;
use crate::model::{FuturesPositioning, ShortEvidence};

/// Points kept in each sparkline history.
pub const SPARK_SI: usize = 24;
pub const SPARK_SV: usize = 60;
pub const SPARK_TFF: usize = 53;

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
    /// Days from settlement to `today`.
    pub age_days: i64,
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
    pub age_days: i64,
    /// Daily ratios, oldest first.
    pub history: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuturesLine {
    pub market: String,
    pub contract_code: String,
    pub report_date: NaiveDate,
    pub lev_money_net: i64,
    pub asset_mgr_net: i64,
    /// Dollar notionals; `None` when the index level is unknown (show contracts only).
    pub lev_money_net_usd: Option<f64>,
    pub asset_mgr_net_usd: Option<f64>,
    pub lev_range_52w: Option<Range52>,
    pub age_days: i64,
    /// Leveraged funds' net contracts per week, oldest first.
    pub history: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositioningSummary {
    pub short_interest: Vec<ShortInterestLine>,
    pub short_volume: Vec<ShortVolumeLine>,
    pub futures: Vec<FuturesLine>,
    /// Russell-vs-Nasdaq leveraged-funds gap, when both markets have data.
    pub gap: Option<GapGauge>,
    /// The Bear's evidence as of `today` (stale data gives `None` facts).
    pub evidence: ShortEvidence,
    pub health: Vec<(String, FeedHealth)>,
    /// Plain sentences for what is missing or unusual.
    pub notes: Vec<String>,
}

pub(super) fn build(book: &PositioningBook, today: NaiveDate) -> PositioningSummary {
    let mut notes = Vec::new();
    let mut short_interest = Vec::new();
    let mut short_volume = Vec::new();
    for sym in book.symbols() {
        let si = book.short_interest_as_of(&sym, today);
        if let Some(last) = si.last() {
            short_interest.push(ShortInterestLine {
                symbol: sym.clone(),
                settlement_date: last.settlement_date,
                shares_short: last.shares_short,
                change: last.change,
                change_pct: last.change_pct,
                days_to_cover: last.days_to_cover,
                revised: last.revised,
                publication_lag_days: last.publication_lag_days(),
                age_days: (today - last.settlement_date).num_days(),
                history: tail(si.iter().map(|r| r.shares_short), SPARK_SI),
            });
        }
        let sv = book.short_volume_as_of(&sym, today);
        if let Some(last) = sv.last() {
            let ratios: Vec<f64> = sv.iter().filter_map(|r| r.ratio()).collect();
            let mean_20 = (ratios.len() >= SV_WINDOW)
                .then(|| ratios[ratios.len() - SV_WINDOW..].iter().sum::<f64>() / SV_WINDOW as f64);
            short_volume.push(ShortVolumeLine {
                symbol: sym.clone(),
                date: last.date,
                ratio: last.ratio(),
                mean_20,
                age_days: (today - last.date).num_days(),
                history: tail(ratios.into_iter(), SPARK_SV),
            });
        }
    }
    if short_interest.iter().all(|l| l.symbol != SIGNAL_SYMBOL) {
        notes.push(format!(
            "IWM short interest: no report published by {today}"
        ));
    }
    let (russell, nasdaq) = book.index_levels();
    let rty = book.futures_as_of(RTY, today);
    let nq = book.futures_as_of(NQ, today);
    let futures: Vec<FuturesLine> = [
        (&rty, RUSSELL_MULTIPLIER, russell),
        (&nq, NASDAQ_MULTIPLIER, nasdaq),
    ]
    .into_iter()
    .filter_map(|(h, mult, level)| futures_line(h, mult, level, today))
    .collect();
    if !book.has_futures() {
        notes.push(format!(
            "CFTC positioning (E-mini Russell 2000 239742, Nasdaq-100 209742): {NO_BUNDLED_CFTC}; \
             shown once the cftc poller has fetched it"
        ));
    } else if futures.iter().any(|f| f.lev_money_net_usd.is_none()) {
        notes.push("index level unknown: futures shown in contracts only".into());
    }
    let evidence = book.evidence_as_of(today);
    if evidence.facts().next().is_none() {
        notes.push(format!(
            "Bear evidence: none as of {today} (needs the two latest IWM reports, Reg SHO within \
             {MAX_AGE_SV_DAYS} days, CFTC within {MAX_AGE_TFF_DAYS} days)"
        ));
    }
    PositioningSummary {
        short_interest,
        short_volume,
        futures,
        gap: gap_gauge(&rty, &nq, russell, nasdaq),
        evidence,
        health: book
            .health()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        notes,
    }
}

fn futures_line(
    h: &[FuturesPositioning],
    mult: f64,
    level: Option<f64>,
    today: NaiveDate,
) -> Option<FuturesLine> {
    let last = h.last()?;
    Some(FuturesLine {
        market: last.market.clone(),
        contract_code: last.contract_code.clone(),
        report_date: last.report_date,
        lev_money_net: last.lev_money_net(),
        asset_mgr_net: last.asset_mgr_net(),
        lev_money_net_usd: notional(last.lev_money_net(), mult, level),
        asset_mgr_net_usd: notional(last.asset_mgr_net(), mult, level),
        lev_range_52w: range_52w(h, FuturesPositioning::lev_money_net),
        age_days: (today - last.report_date).num_days(),
        history: tail(h.iter().map(|p| p.lev_money_net() as f64), SPARK_TFF),
    })
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

impl PositioningSummary {
    /// Plain text lines, a fallback rendering and what the headless mode prints.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in &self.short_interest {
            let change = match (l.change, l.change_pct) {
                (Some(c), Some(p)) => format!(
                    " {}{} ({p:+.2} %)",
                    sign(c),
                    millions(c.unsigned_abs() as f64)
                ),
                _ => String::new(),
            };
            let lag = l
                .publication_lag_days
                .map(|d| format!(", published +{d} d"))
                .unwrap_or_default();
            let dtc = l
                .days_to_cover
                .map(|d| format!(", {d:.2} days to cover"))
                .unwrap_or_default();
            let rev = if l.revised { " (revised)" } else { "" };
            out.push(format!(
                "SI {} {} settled {}{change}{dtc}{lag}{rev}",
                l.symbol,
                shares(l.shares_short),
                l.settlement_date
            ));
        }
        for l in &self.short_volume {
            let ratio = l
                .ratio
                .map(|r| format!("{:.1} %", r * 100.0))
                .unwrap_or_else(|| "n/a".into());
            let mean = l
                .mean_20
                .map(|m| format!(", 20-day mean {:.1} %", m * 100.0))
                .unwrap_or_default();
            out.push(format!(
                "Short volume {} {} on {}{mean}",
                l.symbol, ratio, l.date
            ));
        }
        for f in &self.futures {
            let usd = f
                .lev_money_net_usd
                .map(|u| format!(" (${:.2} bn)", u / 1e9))
                .unwrap_or_default();
            out.push(format!(
                "{} lev funds net {}{usd}, asset managers net {} on {}",
                f.market,
                contracts(f.lev_money_net),
                contracts(f.asset_mgr_net),
                f.report_date
            ));
        }
        if let Some(g) = &self.gap {
            out.push(format!("NQ−RTY lev-funds gap {:+.2} (of ±1)", g.gap));
        }
        for fact in self.evidence.facts() {
            out.push(format!(
                "[{}] {}",
                if fact.holds { "x" } else { " " },
                fact.text
            ));
        }
        out.extend(self.notes.iter().cloned());
        out
    }
}

/// Millions for big counts ("79.73 M"), exact below ten million ("327,078").
pub fn shares(n: u64) -> String {
    if n >= 10_000_000 {
        millions(n as f64)
    } else {
        contracts(n as i64)
    }
}

fn sign(n: i64) -> &'static str {
    if n < 0 {
        "-"
    } else {
        "+"
    }
}
